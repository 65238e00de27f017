import type { NextFunction, Request, RequestHandler, Response } from 'express';
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

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The authenticated caller, set by restauth; undefined on anonymous public routes. */
      auth?: Principal;
    }
  }
}

/** Options of {@link restauth}: plugins (`redisPlugin()`...) and extra strategies. */
export type RestAuthExpressOptions = CreateRestAuthOptions;

/** The gate middleware, with route-level helpers bound to the same instance. */
export interface RestAuthMiddleware extends RequestHandler {
  /** The core instance (for `explain`, `close`, sharing with other adapters). */
  readonly instance: RestAuth;
  /** Route middleware: this route is public (anonymous allowed unless `restrictPublic` names it). Mount the route before the global gate. */
  public(): RequestHandler;
  /** Route middleware: the caller must meet these requirements (after the gate). */
  requireAuth(requirements: RouteRequirements): RequestHandler;
  /** The API-token routes (`POST`/`GET /auth/tokens`, `DELETE /auth/tokens/:id`); mount after the gate. */
  tokenRoutes(): RequestHandler;
}

const STATE = Symbol.for('restauth.express.state');
type WithState = Request & { [STATE]?: RestAuth };

function toRequestLike(req: Request): RequestLike {
  return { method: req.method, url: req.originalUrl ?? req.url, headers: req.headers, remoteAddress: req.socket?.remoteAddress, rawHeaders: req.rawHeaders, socket: req.socket };
}

function apply(decision: Decision, req: WithState, res: Response, next: NextFunction, instance: RestAuth | undefined): void {
  for (const name in decision.headers) res.setHeader(name, decision.headers[name] as string);
  if (!decision.allowed) {
    res.statusCode = decision.status;
    res.end(decision.body);
    return;
  }
  if (instance) req[STATE] = instance;
  if (decision.principal) req.auth = decision.principal;
  next();
}

function gate(instance: RestAuth, route: RouteOptions | undefined): RequestHandler {
  return function restauthGate(req, res, next) {
    const r = req as WithState;
    if (r[STATE]) return next(); // already through the gate
    instance.begin(toRequestLike(req), route).then(({ decision, complete }) => {
      onResponseDone(res, complete); // the audit event, with the status the caller finally got
      apply(decision, r, res, next, instance);
    }, next);
  };
}

/**
 * Express middleware that puts the restauth gate in front of every route after it. Takes a
 * config object, a path to a JSON config file, or an instance made by `createRestAuth`.
 *
 * @example
 * const auth = restauth({ providers: [{ name: 'corp', type: 'jwt', issuer: 'https://idp', audience: 'api', discovery: true }] });
 * app.get('/public/info', auth.public(), (req, res) => res.json({ ok: true }));
 * app.use(auth);
 * app.delete('/api/items/:id', auth.requireAuth({ groups: ['admins'] }), handler);
 */
export function restauth(config: RestAuthConfig | RestAuth | string, options: RestAuthExpressOptions = {}): RestAuthMiddleware {
  const instance = isRestAuth(config)
    ? config
    : createRestAuth(typeof config === 'string' ? loadConfig(config, options) : config, {
        ...options,
        plugins: [...(options.plugins ?? []), jwtPlugin()],
      });
  const middleware = gate(instance, undefined) as RestAuthMiddleware;
  Object.defineProperty(middleware, 'instance', { value: instance });
  middleware.public = () => gate(instance, { public: true });
  middleware.requireAuth = (requirements) => requireAuth(requirements);
  middleware.tokenRoutes = () =>
    function restauthTokenRoutes(req, res, next) {
      if (!isTokenRoute(req.originalUrl)) return next();
      const body: Promise<unknown> = req.body !== undefined || req.method !== 'POST' ? Promise.resolve(req.body) : readJsonBody(req);
      body
        .then((b) => instance.handleTokenRequest(toRequestLike(req), req.auth, b))
        .then((result) => {
          if (!result) return next();
          for (const name in result.headers) res.setHeader(name, result.headers[name] as string);
          res.statusCode = result.status;
          res.end(result.body);
        }, next);
    };
  return middleware;
}

/**
 * Route middleware that checks requirements against the principal the gate attached. Without
 * the gate in front it denies (fails closed).
 *
 * @example
 * app.post('/api/admin', requireAuth({ groups: ['admins'], scopes: ['admin'] }), handler);
 */
export function requireAuth(requirements: RouteRequirements): RequestHandler {
  return function restauthRequire(req, res, next) {
    const r = req as WithState;
    const instance = r[STATE];
    const decision = instance
      ? instance.authorize(toRequestLike(req), req.auth, requirements)
      : denyDecision('api', 'route', new RestAuthError('unauthorized', 'Authentication required'));
    apply(decision, r, res, next, instance);
  };
}

export type { Principal, RestAuth, RestAuthConfig, RouteRequirements } from '@restauth/core';
