import type { Server } from 'node:http';
import express from 'express';
import type { StoreConfig } from '@restauth/core';
import { restauth, type RestAuthMiddleware } from '@restauth/express';
import { createDpopClient, startIdp, type DpopClient, type TestIdp } from '@restauth/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisReplayStore, redisPlugin } from '../src/index.js';
import { adminClient, deleteKeys, REDIS_URL, requireRedis, RUN_PREFIX } from './redis-available.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const redisUp = await requireRedis();
const PREFIX = RUN_PREFIX + 'dpop:';
// Every instance sits behind the same public URL, as behind a load balancer: one proof fits all.
const PUBLIC_URL = 'https://api.example.com';

interface Instance { readonly base: string; readonly server: Server; readonly mw: RestAuthMiddleware }

async function instance(idp: TestIdp, replayStore: StoreConfig, onStoreError: 'deny' | 'allow' = 'deny'): Promise<Instance> {
  const mw = restauth({
    providers: [{ name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', discovery: true }],
    dpop: { publicUrl: PUBLIC_URL, replayStore, onStoreError },
  }, { plugins: [redisPlugin({ commandTimeoutMs: 300, breaker: { failureThreshold: 2, coolOffMs: 300 } })] });
  const app = express();
  app.use(mw);
  app.get('/api/me', (req, res) => { res.json({ binding: req.auth?.binding ?? null }); });
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, mw };
}

describe.skipIf(!redisUp)('DPoP replay store on Redis (real IdP, real Redis, real HTTP)', () => {
  let idp: TestIdp;
  let client: DpopClient;
  let token: string;
  let admin: Redis;
  let proxy: TcpProxy;
  const instances: Instance[] = [];
  let a: Instance, b: Instance, deny: Instance, allow: Instance;

  beforeAll(async () => {
    idp = await startIdp({ audience: 'api' });
    client = await createDpopClient();
    token = await idp.clientToken('service-a', { dpop: client });
    admin = adminClient();
    proxy = await startTcpProxy(REDIS_URL);
    const shared: StoreConfig = { type: 'redis', url: REDIS_URL, keyPrefix: PREFIX };
    const flaky: StoreConfig = { type: 'redis', url: proxy.url, keyPrefix: PREFIX + 'flaky:' };
    [a, b, deny, allow] = await Promise.all([instance(idp, shared), instance(idp, shared), instance(idp, flaky, 'deny'), instance(idp, flaky, 'allow')]);
    instances.push(a, b, deny, allow);
  });
  afterAll(async () => {
    for (const i of instances) {
      await new Promise((r) => i.server.close(r));
      await i.mw.instance.close();
    }
    await proxy?.close();
    await deleteKeys(admin, PREFIX);
    admin?.disconnect();
    await idp?.close();
  });

  const send = (i: Instance, proof: string) => fetch(`${i.base}/api/me`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
  const proofFor = (jti?: string) => client.proof({ method: 'GET', url: `${PUBLIC_URL}/api/me`, accessToken: token, jti });

  it('a proof accepted by one instance is refused by the other (and by the first again)', async () => {
    const proof = await proofFor();
    const first = await send(a, proof);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ binding: 'dpop' });
    for (const again of [b, a]) {
      const res = await send(again, proof);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof", error_description="DPoP proof has been used before"');
      expect(await res.json()).toEqual({ error: 'invalid_dpop_proof', message: 'DPoP proof has been used before' });
    }
    expect((await send(b, await proofFor())).status).toBe(200);
  });

  it('one key per proof: SET NX PX under the key prefix, expiring with the proof window', async () => {
    const jti = `jti-${Date.now()}`;
    expect((await send(a, await proofFor(jti))).status).toBe(200);
    const key = `${PREFIX}${client.thumbprint}.${jti}`;
    expect(await admin.get(key)).toBe('1');
    const ttl = await admin.pttl(key);
    // maxAgeSec 60 + 2 × clockToleranceSec 5 (the defaults).
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(70_000);
  });

  it('Redis down: onStoreError deny answers 503, allow lets the proof through; both recover', async () => {
    expect((await send(deny, await proofFor())).status).toBe(200);
    proxy.setMode('down');
    try {
      const refused = await send(deny, await proofFor());
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await refused.json()) as { error: string }).error).toBe('temporarily_unavailable');
      const passed = await send(allow, await proofFor());
      expect(passed.status).toBe(200);
      expect(await passed.json()).toEqual({ binding: 'dpop' });
    } finally {
      proxy.setMode('pass');
    }
    const end = Date.now() + 5000;
    let status = 0;
    while (Date.now() < end && (status = (await send(deny, await proofFor())).status) !== 200) await new Promise((r) => setTimeout(r, 100));
    expect(status).toBe(200);
  });

  it('createRedisReplayStore alone: true once, false after, under its own prefix', async () => {
    const store = createRedisReplayStore({ url: REDIS_URL, keyPrefix: PREFIX + 'direct:' });
    try {
      expect(await store.claim({ key: 'k1', ttlMs: 5000 })).toBe(true);
      expect(await store.claim({ key: 'k1', ttlMs: 5000 })).toBe(false);
      expect(await admin.exists(`${PREFIX}direct:k1`)).toBe(1);
    } finally {
      await store.close();
    }
  });
});
