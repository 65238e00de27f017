import { matchesLoosely, matchesStrictly, type RoutePattern } from '../route-pattern.js';
import { PASS, type Check, type Outcome } from './check.js';

const NEEDS_AUTH: Outcome = { result: 'skip', detail: 'route is public but a rule requires authentication' };

/**
 * Public routes: declared in the app's code (`route.public`) or by `policy.public` (matched
 * strictly), unless `policy.restrictPublic` names them (matched loosely). On a public route whose
 * rules and route requirements ask for nothing, anonymous callers may pass.
 */
export function createPublicRouteCheck(publicRoutes: readonly RoutePattern[], restrictPublic: readonly RoutePattern[]): Check {
  const restricted: Outcome[] = restrictPublic.map((p) => ({ result: 'skip', detail: `restricted by restrictPublic "${p.source}"` }));
  return {
    name: 'public-route',
    run(ctx) {
      let isPublic = ctx.route?.public === true;
      for (let i = 0; !isPublic && i < publicRoutes.length; i++) {
        isPublic = matchesStrictly(publicRoutes[i] as RoutePattern, ctx.method, ctx.path.strict);
      }
      if (!isPublic) return undefined;
      for (let i = 0; i < restrictPublic.length; i++) {
        if (matchesLoosely(restrictPublic[i] as RoutePattern, ctx.method, ctx.path.loose)) return restricted[i];
      }
      const route = ctx.route;
      if (route?.groups?.length || route?.scopes?.length) return NEEDS_AUTH;
      for (const r of ctx.matchedRules) if ((r.groups?.length || r.scopes?.length) && !r.reportOnly) return NEEDS_AUTH;
      ctx.anonymousOk = true;
      return PASS;
    },
    describe: () => 'route is public',
  };
}
