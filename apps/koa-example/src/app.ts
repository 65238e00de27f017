import Koa from 'koa';
import Router from '@koa/router';
import { Registry } from 'prom-client';
import { createConsole } from '@restauth/console';
import { restauth, type RestAuth } from '@restauth/koa';
import { describePrincipal, healthHttpResult } from '@restauth/core';
import { ItemStore } from './items.js';
import { readJsonBody } from './json-body.js';
import { postgresPlugin } from '@restauth/postgres';
import { prometheusObserver } from '@restauth/prometheus';
import { redisPlugin } from '@restauth/redis';

declare module 'koa' {
  interface Request {
    /** The parsed JSON body (undefined when the request is not JSON). */
    body?: unknown;
  }
}

// Express answers a route parameter that is not valid percent-encoding with 400 (whatever the
// method); @koa/router would pass it on undecoded.
function decodeParam(raw: string | undefined): void {
  try {
    decodeURIComponent(raw ?? '');
  } catch {
    throw Object.assign(new URIError('Failed to decode a route parameter'), { status: 400 });
  }
}

/** Builds the example app behind restauth (config: an object or a JSON file path). */
export function createApp(config: Parameters<typeof restauth>[0]): { app: Koa; auth: RestAuth } {
  const app = new Koa();
  const items = new ItemStore();
  // restauth's metrics go to the app's own registry, served at GET /metrics.
  const registry = new Registry();
  const auth = restauth(config, { plugins: [redisPlugin(), postgresPlugin()], observers: [prometheusObserver({ registry })] });
  // The console (@restauth/console) signs people in itself: it answers below its prefix, before the gate.
  if (auth.instance.config.console) app.use(createConsole(auth.instance).koa());

  // The same JSON bodies Express's error handler gives; headers already set (rate limits) stay.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const s = (err as { status?: unknown } | null)?.status;
      const status = typeof s === 'number' && s >= 400 && s < 500 ? s : 500;
      ctx.status = status;
      ctx.body = { error: status === 500 ? 'internal_error' : 'bad_request', message: status === 500 ? 'Internal error' : 'Malformed request' };
    }
  });

  const open = new Router();
  open.get('/health', (ctx) => { ctx.body = { status: 'ok' }; });
  // Declared public in code: anonymous callers pass unless the config's restrictPublic names it.
  open.get('/public/info', auth.public(), (ctx) => { ctx.body = { info: 'public', username: ctx.state.auth?.username ?? null }; });
  // restauth's own health, public (probes send no token): 200 ok or degraded, 503 down.
  open.get('/health/restauth', auth.public(), async (ctx) => {
    const r = healthHttpResult(await auth.instance.health());
    ctx.status = r.status;
    ctx.body = r.body;
    ctx.set(r.headers);
  });
  app.use(open.routes());

  app.use(auth);
  app.use(async (ctx, next) => {
    ctx.request.body = await readJsonBody(ctx.req);
    await next();
  });
  app.use(auth.tokenRoutes()); // POST/GET /auth/tokens, DELETE /auth/tokens/:id

  const api = new Router();
  api.get('/api/items', (ctx) => { ctx.body = items.list(); });
  api.post('/api/items', (ctx) => {
    ctx.status = 201;
    ctx.body = items.add((ctx.request.body as { name?: unknown } | undefined)?.name);
  });
  api.all('/api/items/:id', (ctx, next) => {
    decodeParam(ctx.captures?.[0]);
    return next();
  });
  api.delete('/api/items/:id', (ctx) => {
    if (!items.remove(ctx.params['id'] ?? '')) {
      ctx.status = 404;
      ctx.body = { error: 'not_found', message: 'No such item' };
      return;
    }
    ctx.status = 204;
  });
  api.get('/api/me', (ctx) => { ctx.body = describePrincipal(ctx.state.auth); });
  // Behind the gate and for admins only (docs/operations.md): a scraper sends an admin's API token.
  api.get('/metrics', auth.requireAuth({ groups: ['admins'] }), async (ctx) => {
    const text = await registry.metrics();
    ctx.set('content-type', registry.contentType);
    ctx.body = text;
  });
  app.use(api.routes());

  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { error: 'not_found', message: 'Not found' };
  });
  return { app, auth: auth.instance };
}
