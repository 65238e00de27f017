import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import {
  ConfigError,
  createRestAuth,
  denyDecision,
  isRestAuth,
  loadConfig,
  onResponseDone,
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

/**
 * What a route declares in its `config.restauth`: `public`, `readOnly`, `groups`, `scopes`.
 *
 * @example
 * const adminsOnly: RestAuthRouteConfig = { groups: ['admins'], scopes: ['admin'] };
 * app.post('/api/admin/reindex', { config: { restauth: adminsOnly } }, handler);
 */
export type RestAuthRouteConfig = RouteOptions;

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, set by restauth; undefined on anonymous public routes. */
    auth?: Principal;
  }
  interface FastifyInstance {
    /** The core instance behind the plugin (for `explain`, `close`, sharing with other adapters). */
    restauth: RestAuth;
  }
  interface FastifyContextConfig {
    /** This route's restauth options, e.g. `{ public: true }` or `{ groups: ['admins'] }`. */
    restauth?: RestAuthRouteConfig;
  }
}

/**
 * Options of {@link restauth}: a config (object or JSON file path) plus plugins and strategies,
 * or an instance made by `createRestAuth` (the app owns it and closes it).
 *
 * @example
 * await app.register(restauth, { config: './restauth.config.json', plugins: [redisPlugin()] });
 * await app.register(restauth, { instance: createRestAuth(config, { plugins: [jwtPlugin()] }) });
 */
export type RestAuthFastifyOptions =
  | (CreateRestAuthOptions & { config: RestAuthConfig | string; instance?: never })
  | { instance: RestAuth; config?: never };

const COMPILED = Symbol.for('restauth.fastify.route');
const ROUTE_KEYS = new Map([['public', 'boolean'], ['readOnly', 'boolean'], ['groups', 'list'], ['scopes', 'list']]);

function isValid(key: string, v: unknown): boolean {
  const kind = ROUTE_KEYS.get(key);
  if (v === undefined) return kind !== undefined;
  return kind === 'boolean' ? typeof v === 'boolean' : kind === 'list' && Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/** Checks and copies a route's `config.restauth` once; a typo there would loosen the route, so it throws. */
function compileRoute(value: unknown, where: string): RouteOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError([{ path: `${where} config.restauth`, message: 'must be an object { public?, readOnly?, groups?, scopes? }' }]);
  }
  const bad = Object.entries(value).filter(([k, v]) => !isValid(k, v));
  if (bad.length) throw new ConfigError(bad.map(([k]) => ({ path: `${where} config.restauth.${k}`, message: ROUTE_KEYS.has(k) ? 'has the wrong type' : 'is not a restauth route option' })));
  const v = value as RouteOptions;
  return Object.freeze({ public: v.public, readOnly: v.readOnly, groups: v.groups && [...v.groups], scopes: v.scopes && [...v.scopes] });
}

type ContextConfig = { restauth?: unknown; url?: string; method?: unknown; [COMPILED]?: RouteOptions | undefined };

function routeOf(request: FastifyRequest): RouteOptions | undefined {
  const config = request.routeOptions.config as ContextConfig | undefined;
  if (!config || config.restauth === undefined) return undefined;
  // Routes added before the plugin loaded missed onRoute: compile them on first use, once.
  if (!(COMPILED in config)) config[COMPILED] = compileRoute(config.restauth, `${String(config.method)} ${config.url}`);
  return config[COMPILED];
}

function toRequestLike(request: FastifyRequest): RequestLike {
  return { method: request.method, url: request.originalUrl, headers: request.raw.headers, remoteAddress: request.raw.socket?.remoteAddress, rawHeaders: request.raw.rawHeaders, socket: request.raw.socket };
}

/** Writes a deny exactly as core built it: status, headers, body bytes (content-type included). */
function deny(reply: FastifyReply, decision: Decision): FastifyReply {
  return reply.code(decision.status).headers(decision.headers).send(decision.body);
}

const plugin: FastifyPluginAsync<RestAuthFastifyOptions> = async function restauthPlugin(fastify, options) {
  if (!options || (options.instance === undefined) === (options.config === undefined)) {
    throw new ConfigError([{ path: '', message: '@restauth/fastify takes exactly one of { config } or { instance }' }]);
  }
  let instance: RestAuth;
  if (options.instance !== undefined) {
    if (!isRestAuth(options.instance)) throw new ConfigError([{ path: 'instance', message: 'is not a restauth instance (createRestAuth)' }]);
    instance = options.instance;
  } else {
    const { config, ...rest } = options;
    const createOptions = { ...rest, plugins: [...(rest.plugins ?? []), jwtPlugin()] };
    instance = createRestAuth(typeof config === 'string' ? loadConfig(config, createOptions) : config, createOptions);
    fastify.addHook('onClose', () => instance.close()); // we made it, so we close it
  }

  fastify.decorate('restauth', instance);
  fastify.decorateRequest('auth', undefined);
  fastify.addHook('onRoute', (route) => {
    const compiled = compileRoute(route.config?.restauth, `${String(route.method)} ${route.url}`);
    route.config = { ...route.config, [COMPILED]: compiled } as typeof route.config;
  });
  // onRequest runs for unknown routes too (the 404 handler): the gate answers 401 before any 404.
  fastify.addHook('onRequest', async function restauthGate(request, reply) {
    const { decision, complete } = await instance.begin(toRequestLike(request), routeOf(request));
    onResponseDone(reply.raw, complete); // the audit event, with the status the caller finally got
    if (!decision.allowed) return deny(reply, decision);
    reply.headers(decision.headers);
    if (decision.principal) request.auth = decision.principal;
  });
  if (instance.tokens) {
    // The API-token routes; every method reaches core so wrong ones get its 405, as elsewhere.
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const result = await instance.handleTokenRequest(toRequestLike(request), request.auth, request.body);
      if (!result) return reply.callNotFound();
      return reply.code(result.status).headers(result.headers).send(result.body);
    };
    const method = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
    fastify.route({ method, url: '/auth/tokens', handler });
    fastify.route({ method, url: '/auth/tokens/:id', handler });
    fastify.route({ method, url: '/auth/tokens/:id/:action', handler });
  }
};

/**
 * The restauth plugin for Fastify 5 (a `fastify-plugin`, so it guards every route of the app).
 * Register it before the routes. Per route, `config: { restauth: { public, groups, scopes,
 * readOnly } }`. The instance is `fastify.restauth`; the caller is `request.auth`.
 *
 * @example
 * const app = Fastify();
 * await app.register(restauth, { config: './restauth.config.json' });
 * app.get('/public/info', { config: { restauth: { public: true } } }, async () => ({ ok: true }));
 * app.delete('/api/items/:id', { config: { restauth: { groups: ['admins'] } } }, handler);
 * app.get('/api/me', async (request) => request.auth?.username);
 */
export const restauth = fp(plugin, { fastify: '5.x', name: '@restauth/fastify' });

/**
 * A `preHandler` (or route-level `onRequest`) hook that checks requirements against the
 * principal the gate attached: per route, or for every route of an encapsulated plugin.
 * Without the plugin registered it denies (fails closed).
 *
 * @example
 * app.register(async (admin) => {
 *   admin.addHook('preHandler', requireAuth({ groups: ['admins'] }));
 *   admin.post('/api/admin/reindex', handler);
 * });
 */
export function requireAuth(requirements: RouteRequirements): preHandlerHookHandler {
  return function restauthRequire(this: FastifyInstance, request, reply, done) {
    const instance = (request.server as { restauth?: RestAuth }).restauth;
    const decision = instance
      ? instance.authorize(toRequestLike(request), request.auth, requirements)
      : denyDecision('api', 'route', new RestAuthError('unauthorized', 'Authentication required'));
    if (!decision.allowed) {
      deny(reply, decision);
      return;
    }
    done();
  };
}

export type { Principal, RestAuth, RestAuthConfig, RouteRequirements } from '@restauth/core';
