import type { RuleConfig } from '../config/types.js';
import type { NormalizedPath } from '../path.js';
import { matchesLoosely, type RoutePattern } from '../route-pattern.js';
import { fail, PASS, type Check } from './check.js';
import { requirementError } from './requirements.js';

/** One `policy.rules` entry, compiled. */
export interface CompiledRule {
  readonly pattern: RoutePattern;
  readonly methods: ReadonlySet<string> | undefined;
  readonly groups: readonly string[] | undefined;
  readonly scopes: readonly string[] | undefined;
  readonly reportOnly: boolean;
  /** Position in `policy.rules` (names the rule's own rate-limit bucket). */
  readonly index: number;
  readonly rateLimit: RuleConfig['rateLimit'];
}

/** The rules that match a request (loosely: rules tighten), in config order. */
export function matchRules(rules: readonly CompiledRule[], method: string, path: NormalizedPath): CompiledRule[] {
  const matched: CompiledRule[] = [];
  for (const r of rules) {
    if (matchesLoosely(r.pattern, method, path.loose) && (!r.methods || r.methods.has(method) || (method === 'HEAD' && r.methods.has('GET')))) {
      matched.push(r);
    }
  }
  return matched;
}

/**
 * `policy.rules`: one check per rule, each with its own mode. A rule applies to a verified caller
 * on a matching request: groups (any of) and scopes (all of).
 */
export function createRuleChecks(rules: readonly CompiledRule[]): Check[] {
  return rules.map((rule) => ({
    name: 'rule',
    policy: { reportOnly: rule.reportOnly },
    run(ctx) {
      const p = ctx.principal;
      if (p === undefined || !ctx.matchedRules.includes(rule)) return undefined;
      const error = requirementError(p, rule);
      return error ? fail(error) : PASS;
    },
    describe: () => `meets rule "${rule.pattern.source}"`,
  }));
}
