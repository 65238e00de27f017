import express from 'express';
import { restauth } from '@restauth/express';
import { redisPlugin } from '@restauth/redis';

export function createApi(issuer: string, redisUrl: string) {
  const app = express();
  const auth = restauth({
    providers: [{ name: 'corp', type: 'jwt', issuer, audience: 'api', discovery: true }],
    policy: { bypass: ['GET /health'] },
    rateLimit: {
      enabled: true,
      limit: 100, // requests...
      windowSec: 60, // ...per minute, per caller
      by: 'principal',
      store: { type: 'redis', url: redisUrl, keyPrefix: 'orders-api:rl:' },
      onStoreError: 'deny', // Redis unreachable: 503 + Retry-After ('allow': pass unlimited)
    },
  }, {
    plugins: [redisPlugin({ commandTimeoutMs: 250, breaker: { failureThreshold: 5, coolOffMs: 2000 } })],
  });

  app.get('/health', (_req, res) => { res.json({ status: 'ok' }); });
  app.use(auth);
  app.get('/api/items', (_req, res) => { res.json([]); });
  return { app, auth };
}
