import { RestAuthError } from '../errors.js';
import { fail, PASS, type Check } from './check.js';
import { hasAny } from './requirements.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * `policy.readOnlyGroups`: members may only read. The request's real method decides
 * (method-override headers never do); a route declared `readOnly` in code counts as a read.
 */
export function createReadOnlyCheck(groups: readonly string[], reportOnly: boolean): Check | undefined {
  if (!groups.length) return undefined;
  const readOnly = new Set(groups);
  return {
    name: 'readOnly',
    policy: { reportOnly },
    run(ctx) {
      const p = ctx.principal;
      if (p === undefined) return undefined;
      if (SAFE_METHODS.has(ctx.method) || ctx.route?.readOnly === true || !hasAny(p.groups, readOnly)) return PASS;
      return fail(new RestAuthError('forbidden', `Read-only access: ${ctx.method} is not allowed`));
    },
    describe: () => 'not restricted to reads, or a read',
  };
}
