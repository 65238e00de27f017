/**
 * The API-token life cycle over HTTP in every example app, with the tokens kept in Redis and in
 * PostgreSQL (the memory store runs in conformance.test.ts). Real servers: in CI a missing one
 * fails; elsewhere the file skips with how to start it.
 */
import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { mainConfig } from './cases.js';
import { startApp, writeConfig, type RunningApp } from './process.js';
import { DATABASE_URL, dropTokenStore, REDIS_URL, storesUnreachable } from './store-servers.js';
import { TARGETS } from './targets.js';
import { tokenLifeCycle } from './token-life-cycle.js';

const problem = await storesUnreachable();
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
    await dropTokenStore(store);
  });

  it.each(TARGETS.map((t) => [t.name]))('%s', (name) => tokenLifeCycle(apps.get(name)!, tokens));
});
