import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { Registry } from 'prom-client';
import { createConsole, type RestAuthConsole } from '@restauth/console';
import { restauth, type RestAuthConfig } from '@restauth/fastify';
import { describePrincipal, healthHttpResult } from '@restauth/core';
import { ItemStore } from './items.js';
import { useExpressLikeJsonBodies } from './json-body.js';
import { postgresPlugin } from '@restauth/postgres';
import { prometheusObserver } from '@restauth/prometheus';
import { redisPlugin } from '@restauth/redis';

const malformed = { error: 'bad_request', message: 'Malformed request' };

/** Builds the example app behind restauth (config: an object or a JSON file path). */
export async function createApp(config: RestAuthConfig | string): Promise<FastifyInstance> {
  const app = Fastify({
    // Express's routing defaults (case-insensitive, optional trailing slash, no param length cap).
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 65536 },
    // Fastify refuses a URL it cannot percent-decode before any hook runs: the Express example's 400 body.
    frameworkErrors: (_err, _request, reply) => { void (reply as FastifyReply).code(400).send(malformed); },
    // While closing, Fastify would answer 503 itself before any hook: such a request never meets
    // the gate and leaves no audit event. Let the gate answer it (restauth closes after the server).
    return503OnClosing: false,
  });
  useExpressLikeJsonBodies(app);
  const items = new ItemStore();
  // restauth's metrics go to the app's own registry, served at GET /metrics.
  const registry = new Registry();
  // The console (@restauth/console) signs people in itself: its hook answers below its prefix, before the gate's.
  let consoleHook: ReturnType<RestAuthConsole['fastify']> | undefined;
  app.addHook('onRequest', async (request, reply) => consoleHook?.(request, reply));
  await app.register(restauth, { config, plugins: [redisPlugin(), postgresPlugin()], observers: [prometheusObserver({ registry })] });
  if (app.restauth.config.console) consoleHook = createConsole(app.restauth).fastify();

  app.get('/health', async () => ({ status: 'ok' }));
  // Declared public in code: anonymous callers pass unless the config's restrictPublic names it.
  app.get('/public/info', { config: { restauth: { public: true } } }, async (request) => ({ info: 'public', username: request.auth?.username ?? null }));

  // restauth's own health, public (probes send no token): 200 ok or degraded, 503 down.
  app.get('/health/restauth', { config: { restauth: { public: true } } }, async (_request, reply) => {
    const r = healthHttpResult(await app.restauth.health());
    return reply.code(r.status).headers(r.headers).send(r.body);
  });
  app.get('/api/items', async () => items.list());
  app.post<{ Body: { name?: unknown } | undefined }>('/api/items', async (request, reply) => reply.code(201).send(items.add(request.body?.name)));
  app.delete<{ Params: { id: string } }>('/api/items/:id', async (request, reply) => {
    if (!items.remove(request.params.id)) return reply.code(404).send({ error: 'not_found', message: 'No such item' });
    return reply.code(204).send();
  });
  app.get('/api/me', async (request) => describePrincipal(request.auth));
  // Behind the gate and for admins only (docs/operations.md): a scraper sends an admin's API token.
  app.get('/metrics', { config: { restauth: { groups: ['admins'] } } }, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ error: 'not_found', message: 'Not found' }));
  app.setErrorHandler(async (err: FastifyError & { status?: number }, _request, reply) => {
    const s = err.statusCode ?? err.status;
    const status = s && s >= 400 && s < 500 ? s : 500;
    return reply.code(status).send(status === 500 ? { error: 'internal_error', message: 'Internal error' } : malformed);
  });
  return app;
}
