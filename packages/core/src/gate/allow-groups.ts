import { fixedRefusal } from '../errors.js';
import { fail, PASS, type Check } from './check.js';
import { hasAny } from './requirements.js';

const NOT_A_MEMBER = fail(fixedRefusal('forbidden', 'Not a member of an allowed group'));

/** `policy.allowGroups`: a verified caller must be in one of these groups. */
export function createAllowGroupsCheck(groups: readonly string[], reportOnly: boolean): Check | undefined {
  if (!groups.length) return undefined;
  const allowed = new Set(groups);
  return {
    name: 'allowGroups',
    policy: { reportOnly },
    run(ctx) {
      const p = ctx.principal;
      if (p === undefined) return undefined;
      return hasAny(p.groups, allowed) ? PASS : NOT_A_MEMBER;
    },
    describe: () => 'member of an allowed group',
  };
}
