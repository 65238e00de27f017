import { allowDecision, denyDecision, type Decision, type DecisionReason } from '../decision.js';
import type { RequestLike } from '../request.js';
import type { Check, CheckName, Outcome } from './check.js';
import type { Gate } from './compile.js';
import { GateContext } from './context.js';
import type { RouteOptions } from './route.js';
import { toRestAuthError } from './verify.js';

/** One step of {@link RestAuth.explain}: a check, what it said, and why. */
export interface ExplainStep {
  readonly check: CheckName;
  readonly result: 'pass' | 'fail' | 'skip' | 'would-fail';
  readonly detail: string;
}

// `public-route` never refuses, so every check that decides has a DecisionReason for a name.
const reasonOf = (check: Check): DecisionReason => check.name as DecisionReason;

/**
 * Runs one request through the gate's checks, in order. The runner, not the checks, handles
 * report-only mode, the anonymous fallback on public routes, errors thrown by a check (a deny
 * under that check's name, never a 500) and the explain steps (only when `steps` is given).
 * A decision made with an API token counts in that token's usage (not when explaining).
 */
export async function runGate(gate: Gate, request: RequestLike, route: RouteOptions | undefined, steps?: ExplainStep[]): Promise<Decision> {
  const decision = await runChecks(gate, request, route, steps);
  if (!steps) gate.tokens?.count(decision);
  return decision;
}

async function runChecks(gate: Gate, request: RequestLike, route: RouteOptions | undefined, steps?: ExplainStep[]): Promise<Decision> {
  const ctx = new GateContext(request, route, gate.settings);
  const realm = gate.config.realm;
  for (const check of gate.checks) {
    let out: Outcome;
    try {
      const pending = check.run(ctx);
      out = pending instanceof Promise ? await pending : pending;
    } catch (err) {
      const error = toRestAuthError(err);
      steps?.push({ check: check.name, result: 'fail', detail: error.message });
      return denyDecision(realm, reasonOf(check), error, ctx.principal);
    }
    if (out === undefined) continue;
    if (out.result === 'fail') {
      const { error } = out;
      if (check.policy?.reportOnly) {
        steps?.push({ check: check.name, result: 'would-fail', detail: `${error.message} (report-only)` });
        ctx.wouldDeny ??= { reason: reasonOf(check), error };
        continue;
      }
      if (check.policy && ctx.anonymousOk && ctx.principal) {
        // A token must not make a public route worse than no token: its owner goes on as anonymous.
        steps?.push({ check: check.name, result: 'fail', detail: `${error.message}; the route is public, so the request goes on as anonymous` });
        ctx.anonymous = { reason: reasonOf(check), error, principal: ctx.principal };
        ctx.principal = undefined;
        continue;
      }
      steps?.push({ check: check.name, result: 'fail', detail: error.message });
      return denyDecision(realm, reasonOf(check), error, ctx.principal, out.headers);
    }
    if (steps) steps.push({ check: check.name, result: out.result === 'skip' ? 'skip' : 'pass', detail: out.detail ?? check.describe?.(ctx, out) ?? '' });
    if (out.result === 'allow') return allowDecision(reasonOf(check), undefined);
  }
  return allowDecision(ctx.principal ? 'authenticated' : 'public', ctx.principal, ctx.headers, ctx.wouldDeny, ctx.anonymous);
}
