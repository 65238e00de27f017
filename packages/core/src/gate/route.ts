import { fixedRefusal } from '../errors.js';
import { fail, PASS, type Check } from './check.js';
import { requirementError, type RouteRequirements } from './requirements.js';

/** What the route itself says, as declared in the app's code. */
export interface RouteOptions extends RouteRequirements {
  /** Anonymous callers may pass (unless the config's `restrictPublic` names the route). */
  readonly public?: boolean | undefined;
  /**
   * The handler only reads: members of `readOnlyGroups` may call it whatever its method
   * (a `POST /search`, say). Method-override headers never have this effect.
   */
  readonly readOnly?: boolean | undefined;
}

const AUTH_REQUIRED = fail(fixedRefusal('unauthorized', 'Authentication required'));

/** Requirements the route declares in code (`requireAuth`, decorators, route config). */
export function createRouteCheck(): Check {
  return {
    name: 'route',
    run(ctx) {
      const route = ctx.route;
      if (!route || !(route.groups?.length || route.scopes?.length)) return undefined;
      if (ctx.principal === undefined) return AUTH_REQUIRED;
      const error = requirementError(ctx.principal, route);
      return error ? fail(error) : PASS;
    },
    describe: () => 'meets the route requirements',
  };
}
