import { RestAuthError } from '../errors.js';
import type { Principal } from '../principal.js';

/** Requirements a route declares in code (adapters' `requireAuth`, decorators, route config). */
export interface RouteRequirements {
  /** The principal must be in one of these groups. */
  readonly groups?: readonly string[] | undefined;
  /** The principal must hold every one of these scopes. */
  readonly scopes?: readonly string[] | undefined;
}

/** True when `have` and `want` share an element. */
export function hasAny(have: readonly string[], want: ReadonlySet<string> | readonly string[]): boolean {
  if (Array.isArray(want)) {
    for (const g of have) if (want.includes(g)) return true;
  } else {
    for (const g of have) if ((want as ReadonlySet<string>).has(g)) return true;
  }
  return false;
}

/** Why a principal does not meet requirements (groups, then scopes), or undefined when it does. */
export function requirementError(principal: Principal, req: RouteRequirements): RestAuthError | undefined {
  if (req.groups?.length && !hasAny(principal.groups, req.groups)) {
    return new RestAuthError('forbidden', `Requires membership of one of: ${req.groups.join(', ')}`);
  }
  if (req.scopes?.length && !req.scopes.every((s) => principal.scopes.includes(s))) {
    return new RestAuthError('insufficient_scope', `Requires scope: ${req.scopes.join(' ')}`, { scopes: req.scopes });
  }
  return undefined;
}
