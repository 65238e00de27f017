import type { DecisionReason } from '../decision.js';
import type { RestAuthError } from '../errors.js';
import type { GateContext } from './context.js';

/** The names a check reports under in decisions, audit events and explain steps. */
export type CheckName = DecisionReason | 'public-route';

/**
 * What one check says about one request.
 * - `pass` / `skip`: go on (the difference only shows in explain output);
 * - `fail`: deny with `error` (a policy check of a report-only config is turned into a
 *   would-fail by the runner and the request goes on);
 * - `allow`: stop here and let the request through untouched (bypass, disabled);
 * - `undefined`: the check had nothing to look at for this request (no explain step).
 */
export type Outcome =
  | { readonly result: 'pass' | 'skip' | 'allow'; readonly detail?: string }
  | { readonly result: 'fail'; readonly error: RestAuthError; readonly headers?: Readonly<Record<string, string>> }
  | undefined;

/**
 * One named step of the gate. A check is built from the config once, by its module's
 * `create*Check` factory (which returns nothing when the config does not use it), and run for
 * every request in the order of `DESIGN.md`.
 */
export interface Check {
  readonly name: CheckName;
  /**
   * Set on access-policy checks (groups, read-only, clients, rules): a failure becomes a
   * would-fail in report-only mode, and on a public route it drops the principal instead of
   * denying (the request goes on as anonymous).
   */
  readonly policy?: { readonly reportOnly: boolean };
  run(ctx: GateContext): Outcome | Promise<Outcome>;
  /** The explain detail of a pass or skip (only called by `explain`, never on the hot path). */
  describe?(ctx: GateContext, outcome: NonNullable<Outcome>): string;
}

/** Outcomes without detail, shared by every request. */
export const PASS: Outcome = Object.freeze({ result: 'pass' });
export const SKIP: Outcome = Object.freeze({ result: 'skip' });
export const ALLOW: Outcome = Object.freeze({ result: 'allow' });

/** A refusal outcome. */
export function fail(error: RestAuthError, headers?: Readonly<Record<string, string>>): Outcome {
  return headers ? { result: 'fail', error, headers } : { result: 'fail', error };
}
