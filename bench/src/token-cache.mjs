// Does instant revocation cost the hot path anything? `node bench/src/token-cache.mjs [--quick]`
// prices one gate decision for a repeated API token with the memory store and with the Redis
// store (its revocation subscriber on), and counts the store calls those decisions made: a
// verified token is answered from the cache, so the Redis row should make no round trip.
// Prints one JSON document. Needs Redis on 127.0.0.1:6379 (REDIS_URL).
import { createRestAuth } from '@restauth/core';
import { createRedisApiTokenStore } from '@restauth/redis';
import { Bench } from 'tinybench';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const quick = process.argv.includes('--quick');
const N = 100;
const owner = { subject: 'alice', username: 'alice', groups: ['users'], scopes: ['items:read'], provider: 'bench', tokenType: 'jwt', claims: {} };
const request = (token) => ({ method: 'GET', url: '/api/items', headers: { authorization: `Bearer ${token}` }, remoteAddress: '127.0.0.1' });

/** A store whose calls are counted (each call of the Redis store is one round trip). */
function counted(store) {
  const calls = { get: 0, spend: 0 };
  return { calls, store: { ...store, get: (id) => (calls.get++, store.get(id)), spend: (id) => (calls.spend++, store.spend(id)), onRevoke: store.onRevoke?.bind(store) } };
}

async function gateWith(store) {
  const c = counted(store);
  // Registered under "redis" so the config validates; it hands the gate the counted store.
  const plugin = { name: 'bench-store', apiTokenStores: { redis: () => c.store } };
  const auth = createRestAuth({ apiTokens: { enabled: true, store: { type: 'redis' } } }, { plugins: [plugin] });
  const { token } = await auth.tokens.create(owner, { name: 'bench' });
  const req = request(token);
  if (!(await auth.authenticate(req)).allowed) throw new Error('the API token is refused');
  return { auth, req, calls: c.calls };
}

const prefix = `restauth-bench:tok:${process.pid}:`;
const memory = await gateWith((await import('@restauth/core')).createMemoryApiTokenStore());
const redisStore = createRedisApiTokenStore({ url: REDIS_URL, keyPrefix: prefix });
const redis = await gateWith(redisStore);

const bench = new Bench({ time: quick ? 200 : 1000, warmup: true, warmupTime: quick ? 50 : 200 });
const cases = [
  ['gate, API token repeated, memory store', memory],
  ['gate, API token repeated, Redis store + revocation subscriber', redis],
];
for (const [name, g] of cases) bench.add(name, async () => { for (let i = 0; i < N; i++) await g.auth.authenticate(g.req); });
const before = cases.map(([, g]) => ({ ...g.calls }));
await bench.run();
const rows = cases.map(([name, g], i) => {
  const r = bench.getTask(name).result;
  const decisions = (r.latency?.samplesCount ?? r.runs ?? 0) * N;
  return {
    name,
    usPerDecision: Number(((r.latency.mean * 1000) / N).toFixed(2)),
    usP99PerDecision: Number(((r.latency.p99 * 1000) / N).toFixed(2)),
    decisions,
    storeCallsDuringRun: (g.calls.get - before[i].get) + (g.calls.spend - before[i].spend),
  };
});
console.log(JSON.stringify({ node: process.version, quick, rows }, null, 2));
for (const [, g] of cases) await g.auth.close();
// Leave nothing behind in Redis.
const { Redis } = await import('ioredis');
const admin = new Redis(REDIS_URL);
let cursor = '0';
do {
  const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  cursor = next;
  if (keys.length) await admin.del(...keys);
} while (cursor !== '0');
admin.disconnect();
