import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from './docs-snippet.js';
import { REDIS_URL, requireRedis } from './redis-available.js';

const redisUp = await requireRedis();

describe('docs/rate-limiting.md snippet', () => {
  it('is the code in docs-snippet.ts', () => {
    const doc = readFileSync(new URL('../../../docs/rate-limiting.md', import.meta.url), 'utf8');
    const code = readFileSync(new URL('./docs-snippet.ts', import.meta.url), 'utf8');
    expect(doc).toContain('```ts\n' + code.trim() + '\n```');
  });

  describe.skipIf(!redisUp)('runs (real IdP, real Redis)', () => {
    let idp: TestIdp;
    let server: Server;
    let base: string;
    let close: () => Promise<void>;
    beforeAll(async () => {
      idp = await startIdp();
      const { app, auth } = createApi(idp.issuer, REDIS_URL);
      close = () => auth.instance.close();
      server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      await new Promise((r) => server?.close(r));
      await close?.();
      await idp?.close();
    });

    it('limits authenticated callers through Redis and leaves /health alone', async () => {
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(health.headers.get('ratelimit-limit')).toBeNull();
      const token = await idp.userToken('carol');
      const res = await fetch(`${base}/api/items`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('100');
      expect(res.headers.get('ratelimit-policy')).toBe('100;w=60');
      expect(Number(res.headers.get('ratelimit-remaining'))).toBeLessThanOrEqual(99);
      expect((await fetch(`${base}/api/items`)).status).toBe(401);
    });
  });
});
