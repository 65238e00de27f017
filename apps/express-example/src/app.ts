import express, { type Express } from 'express';
import { Registry } from 'prom-client';
import { restauth, type RestAuth } from '@restauth/express';
import { createConsole } from '@restauth/console';
import { describePrincipal, healthHttpResult } from '@restauth/core';
import { postgresPlugin } from '@restauth/postgres';
import { prometheusObserver } from '@restauth/prometheus';
import { redisPlugin } from '@restauth/redis';
import { ItemStore } from './items.js';

/** Builds the example app behind restauth (config: an object or a JSON file path). */
export function createApp(config: Parameters<typeof restauth>[0]): { app: Express; auth: RestAuth } {
  const app = express();
  app.disable('x-powered-by');
  const items = new ItemStore();
  // restauth's metrics go to the app's own registry, served at GET /metrics.
  const registry = new Registry();
  // Every plugin is registered, so a config may name `"type": "redis"` stores.
  const auth = restauth(config, { plugins: [redisPlugin(), postgresPlugin()], observers: [prometheusObserver({ registry })] });

  // The console (@restauth/console) signs people in itself: it answers below its prefix, before the gate.
  if (auth.instance.config.console) app.use(createConsole(auth.instance).express());
  app.get('/health', (_req, res) => { res.json({ status: 'ok' }); });
  // Declared public in code: anonymous callers pass unless the config's restrictPublic names it.
  app.get('/public/info', auth.public(), (req, res) => { res.json({ info: 'public', username: req.auth?.username ?? null }); });
  // restauth's own health, public (probes send no token): 200 ok or degraded, 503 down.
  app.get('/health/restauth', auth.public(), (_req, res, next) => {
    auth.instance.health().then((report) => { const r = healthHttpResult(report); res.status(r.status).set(r.headers).send(r.body); }, next);
  });

  app.use(auth);
  app.use(express.json({ limit: '16kb' }));
  app.use(auth.tokenRoutes()); // POST/GET /auth/tokens, DELETE /auth/tokens/:id
  app.get('/api/items', (_req, res) => { res.json(items.list()); });
  app.post('/api/items', (req, res) => { res.status(201).json(items.add(req.body?.name)); });
  app.delete('/api/items/:id', (req, res) => {
    if (!items.remove(req.params.id)) { res.status(404).json({ error: 'not_found', message: 'No such item' }); return; }
    res.status(204).end();
  });
  app.get('/api/me', (req, res) => { res.json(describePrincipal(req.auth)); });
  // Behind the gate and for admins only (docs/operations.md): a scraper sends an admin's API token.
  app.get('/metrics', auth.requireAuth({ groups: ['admins'] }), (_req, res, next) => {
    // end(), not send(): send() would reorder the content type's parameters.
    registry.metrics().then((text) => { res.set('content-type', registry.contentType).end(text); }, next);
  });
  app.use((_req: express.Request, res: express.Response) => { res.status(404).json({ error: 'not_found', message: 'Not found' }); });
  app.use((err: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    res.status(status).json({ error: status === 500 ? 'internal_error' : 'bad_request', message: status === 500 ? 'Internal error' : 'Malformed request' });
  });
  return { app, auth: auth.instance };
}
