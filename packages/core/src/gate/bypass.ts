import { matchesStrictly, type RoutePattern } from '../route-pattern.js';
import { SKIP, type Check, type Outcome } from './check.js';

/**
 * `policy.bypass`: a request matching one of these patterns (strictly: a loosening rule) passes
 * untouched; the gate looks at nothing else, not even the IP.
 */
export function createBypassCheck(patterns: readonly RoutePattern[]): Check | undefined {
  if (!patterns.length) return undefined;
  const allows: Outcome[] = patterns.map((p) => ({ result: 'allow', detail: `matches bypass "${p.source}"` }));
  return {
    name: 'bypass',
    run(ctx) {
      for (let i = 0; i < patterns.length; i++) {
        if (matchesStrictly(patterns[i] as RoutePattern, ctx.method, ctx.path.strict)) return allows[i];
      }
      return SKIP;
    },
    describe: () => 'no bypass pattern matches',
  };
}
