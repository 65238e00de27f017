/**
 * The API-token life cycle over HTTP in every example app, with the tokens kept in Redis and in
 * PostgreSQL (the memory store runs in conformance.test.ts). Real servers: in CI a missing one
 * fails; elsewhere the file skips with how to start it.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { mainConfig } from './cases.js';
import { startApp, writeConfig, type RunningApp } from './process.js';
import { TARGETS } from './targets.js';
import { tokenLifeCycle } from './token-life-cycle.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env['DATABASE_URL'] ?? `postgres://${process.env['PGUSER'] ?? process.env['USER'] ?? 'postgres'}@127.0.0.1:5432/test`;

async function reachable(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await redis.connect();
    await redis.ping();
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    redis.disconnect();
    await client.end().catch(() => undefined);
  }
}

const problem = await reachable();
if (problem && process.env['CI'] === 'true') throw new Error(`Redis (${REDIS_URL}) and PostgreSQL (${DATABASE_URL}) must be running in CI: ${problem}`);
if (problem) console.warn(`skipping store conformance: ${problem}. Start them: redis-server --daemonize yes; pg_ctlcluster 15 main start`);

const run = `${process.pid}_${Date.now().toString(36)}`;
const stores = {
  redis: { type: 'redis', url: REDIS_URL, keyPrefix: `rtconf:${run}:` },
  postgres: { type: 'postgres', url: DATABASE_URL, table: `restauth_conf_tokens_${run}` },
} as const;

describe.skipIf(problem !== undefined).each(Object.entries(stores).map(([name, store]) => [name, store] as const))('API tokens in %s', (_name, store) => {
  let idp: TestIdp;
  const tokens = { alice: '', bob: '' };
  const apps = new Map<string, RunningApp>();

  beforeAll(async () => {
    idp = await startIdp({ audience: 'api' });
    [tokens.alice, tokens.bob] = await Promise.all([idp.userToken('alice'), idp.userToken('bob')]);
    const base = mainConfig(idp.issuer, idp.jwksUri);
    const file = writeConfig(`store-${store.type}`, { ...base, apiTokens: { ...base.apiTokens, store } });
    await Promise.all(TARGETS.map(async (t) => apps.set(t.name, await startApp(t, file))));
  });

  afterAll(async () => {
    await Promise.all([...apps.values()].map((a) => a.stop()));
    await idp?.close();
    if (store.type === 'redis') {
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${store.keyPrefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    } else {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`drop table if exists ${store.table}`);
      await client.end();
    }
  });

  it.each(TARGETS.map((t) => [t.name]))('%s', (name) => tokenLifeCycle(apps.get(name)!, tokens));
});
