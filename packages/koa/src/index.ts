import type { Context, Middleware, Next } from 'koa';
import {
  createRestAuth,
  denyDecision,
  isRestAuth,
  isTokenRoute,
  loadConfig,
  onResponseDone,
  readJsonBody,
  RestAuthError,
  type CreateRestAuthOptions,
  type Decision,
  type Principal,
  type RequestLike,
  type RestAuth,
  type RestAuthConfig,
  type RouteOptions,
  type RouteRequirements,
} from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';

declare module 'koa' {
  interface DefaultState {
    /** The authenticated caller, set by restauth; undefined on anonymous public routes. */
    auth?: Principal | undefined;
  }
}

/** Options of {@link restauth}: plugins (`redisPlugin()`...) and extra strategies. */
export type RestAuthKoaOptions = CreateRestAuthOptions;

/** The gate middleware, with route-level helpers bound to the same instance. */
export interface RestAuthKoaMiddleware extends Middleware {
  /** The core instance (for `explain`, `close`, sharing with other adapters). */
  readonly instance: RestAuth;
  /** Route middleware: this route is public (anonymous allowed unless `restrictPublic` names it). Mount its router before the global gate. */
  public(): Middleware;
  /** Route middleware: the caller must meet these requirements (after the gate). */
  requireAuth(requirements: RouteRequirements): Middleware;
  /** The API-token routes (`POST`/`GET /auth/tokens`, `DELETE /auth/tokens/:id`); mount after the gate. */
  tokenRoutes(): Middleware;
}

const STATE = Symbol.for('restauth.koa.state');
type WithState = Context & { [STATE]?: RestAuth };

function toRequestLike(ctx: Context): RequestLike {
  // originalUrl: the request target as received, not the one a mount or a rewrite left in ctx.url.
  return { method: ctx.method, url: ctx.originalUrl, headers: ctx.req.headers, remoteAddress: ctx.req.socket?.remoteAddress, rawHeaders: ctx.req.rawHeaders, socket: ctx.req.socket };
}

function apply(decision: Decision, ctx: WithState, next: Next, instance: RestAuth | undefined): Promise<unknown> | undefined {
  if (!decision.allowed) {
    ctx.status = decision.status;
    ctx.body = decision.body ?? '';
  }
  // Headers last: a string body makes Koa pick its own content-type unless one is already set.
  for (const name in decision.headers) ctx.set(name, decision.headers[name] as string);
  if (!decision.allowed) return undefined;
  if (instance) ctx[STATE] = instance;
  if (decision.principal) ctx.state.auth = decision.principal;
  return next();
}

function gate(instance: RestAuth, route: RouteOptions | undefined): Middleware {
  return async function restauthGate(ctx, next) {
    const c = ctx as WithState;
    if (c[STATE]) return next(); // already through the gate
    const { decision, complete } = await instance.begin(toRequestLike(c), route);
    onResponseDone(c.res, complete); // the audit event, with the status the caller finally got
    return apply(decision, c, next, instance);
  };
}

/**
 * Koa middleware that puts the restauth gate in front of every middleware after it. Takes a
 * config object, a path to a JSON config file, or an instance made by `createRestAuth`.
 *
 * @example
 * const auth = restauth({ providers: [{ name: 'corp', type: 'jwt', issuer: 'https://idp', audience: 'api', discovery: true }] });
 * const open = new Router().get('/public/info', auth.public(), (ctx) => { ctx.body = { ok: true }; });
 * const api = new Router().delete('/api/items/:id', auth.requireAuth({ groups: ['admins'] }), handler);
 * app.use(open.routes()).use(auth).use(api.routes());
 */
export function restauth(config: RestAuthConfig | RestAuth | string, options: RestAuthKoaOptions = {}): RestAuthKoaMiddleware {
  const instance = isRestAuth(config)
    ? config
    : createRestAuth(typeof config === 'string' ? loadConfig(config, options) : config, {
        ...options,
        plugins: [...(options.plugins ?? []), jwtPlugin()],
      });
  const middleware = gate(instance, undefined) as RestAuthKoaMiddleware;
  Object.defineProperty(middleware, 'instance', { value: instance });
  middleware.public = () => gate(instance, { public: true });
  middleware.requireAuth = (requirements) => requireAuth(requirements);
  middleware.tokenRoutes = () =>
    async function restauthTokenRoutes(ctx, next) {
      if (!isTokenRoute(ctx.originalUrl)) return next();
      const parsed = (ctx.request as { body?: unknown }).body;
      const body = parsed !== undefined || ctx.method !== 'POST' ? parsed : await readJsonBody(ctx.req);
      const result = await instance.handleTokenRequest(toRequestLike(ctx), ctx.state.auth, body);
      if (!result) return next();
      ctx.status = result.status;
      ctx.body = result.body === '' ? null : result.body;
      for (const name in result.headers) ctx.set(name, result.headers[name] as string);
      return undefined;
    };
  return middleware;
}

/**
 * Route middleware that checks requirements against the principal the gate attached. Without
 * the gate in front it denies (fails closed).
 *
 * @example
 * router.post('/api/admin', requireAuth({ groups: ['admins'], scopes: ['admin'] }), handler);
 */
export function requireAuth(requirements: RouteRequirements): Middleware {
  return function restauthRequire(ctx, next) {
    const c = ctx as WithState;
    const instance = c[STATE];
    const decision = instance
      ? instance.authorize(toRequestLike(c), c.state.auth, requirements)
      : denyDecision('api', 'route', new RestAuthError('unauthorized', 'Authentication required'));
    return apply(decision, c, next, instance);
  };
}

export type { Principal, RestAuth, RestAuthConfig, RouteRequirements } from '@restauth/core';
