/**
 * API tokens across instances (issue 17, points 4 and 7): four example-app processes (four
 * frameworks where the run has them) share one Redis or PostgreSQL store. Remaining uses are
 * spent atomically across them, and a revocation or a roll on one is refused by the others
 * within 1 s, although each keeps verified tokens in its cache.
 */
import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mainConfig } from './cases.js';
import { startApp, writeConfig, type RunningApp } from './process.js';
import { DATABASE_URL, dropTokenStore, REDIS_URL, storesUnreachable } from './store-servers.js';
import { TARGETS } from './targets.js';

const problem = await storesUnreachable();
if (problem && process.env['CI'] === 'true') throw new Error(`Redis (${REDIS_URL}) and PostgreSQL (${DATABASE_URL}) must be running in CI: ${problem}`);
if (problem) console.warn(`skipping multi-instance token tests: ${problem}`);

const run = `${process.pid}_${Date.now().toString(36)}`;
const stores = {
  redis: { type: 'redis', url: REDIS_URL, keyPrefix: `rtinst:${run}:` },
  postgres: { type: 'postgres', url: DATABASE_URL, table: `restauth_inst_tokens_${run}` },
} as const;
const INSTANCES = 4;
const CONCURRENT = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(problem !== undefined).each(Object.entries(stores).map(([name, store]) => [name, store] as const))('%s: four instances share API tokens', (_name, store) => {
  let idp: TestIdp;
  let alice = '';
  const apps: RunningApp[] = [];
  const me = (a: RunningApp, token: string) => fetch(a.url + '/api/me', { headers: { authorization: `Bearer ${token}` } });
  async function send(a: RunningApp, method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(a.url + path, { method, headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  }
  async function create(body: Record<string, unknown>): Promise<{ id: string; token: string }> {
    const r = await send(apps[0]!, 'POST', '/auth/tokens', body);
    expect(r.status).toBe(201);
    return (await r.json()) as { id: string; token: string };
  }
  /** Every instance accepts the token (and so holds it in its verified-token cache). */
  async function warm(token: string): Promise<void> {
    for (const a of apps) expect((await me(a, token)).status).toBe(200);
  }
  /** How long until `a` refuses `token` (ms from `since`), polling every 20 ms for at most 5 s. */
  async function refusedAfter(a: RunningApp, token: string, since: number): Promise<number> {
    while (Date.now() - since < 5000) {
      const r = await me(a, token);
      if (r.status === 401) return Date.now() - since;
      expect(r.status).toBe(200);
      await sleep(20);
    }
    return Infinity;
  }

  beforeAll(async () => {
    idp = await startIdp({ audience: 'api' });
    alice = await idp.userToken('alice');
    const base = mainConfig(idp.issuer, idp.jwksUri);
    const file = writeConfig(`instances-${store.type}`, { ...base, apiTokens: { ...base.apiTokens, store } });
    const targets = Array.from({ length: INSTANCES }, (_, i) => TARGETS[i % TARGETS.length]!);
    apps.push(...(await Promise.all(targets.map((t) => startApp(t, file)))));
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await idp?.close();
    await dropTokenStore(store);
  });

  it(`${INSTANCES} processes × ${CONCURRENT} concurrent requests against remaining: 100 allow exactly 100`, async () => {
    // One request per instance first (each spends one use), so the burst meets a known token everywhere.
    const c = await create({ name: 'quota', remaining: 100 + INSTANCES });
    await warm(c.token);
    const answers = await Promise.all(apps.flatMap((a) => Array.from({ length: CONCURRENT }, () => me(a, c.token).then(async (r) => ({ status: r.status, body: await r.text() })))));
    const count = (status: number) => answers.filter((r) => r.status === status).length;
    const late = count(503);
    console.info(`${store.type}: ${count(200)} allowed, ${count(401)} used up, ${late} store timeouts`);
    for (const r of answers.filter((x) => x.status !== 200)) {
      expect([
        '401 {"error":"invalid_token","message":"API token is used up"}',
        '503 {"error":"temporarily_unavailable","message":"API token store is unavailable"}',
      ]).toContain(`${r.status} ${r.body}`);
    }
    // Never more than 100. A 503 is a use whose answer came back after the store's command
    // timeout (an overloaded machine): spent in the store, refused to the caller (fails closed).
    expect(count(200) + late).toBe(100);
    expect(count(401)).toBe(INSTANCES * CONCURRENT - 100);
    if (store.type === 'postgres' || late === 0) expect(count(200)).toBe(100);
    const listed = (await (await send(apps[3]!, 'GET', '/auth/tokens')).json()) as { tokens: { id: string; remaining: number }[] };
    expect(listed.tokens.find((t) => t.id === c.id)?.remaining).toBe(0);
  });

  it('a token revoked on one instance is refused by every other within 1 s', async () => {
    const c = await create({ name: 'revoke me' });
    await warm(c.token);
    const since = Date.now();
    expect((await send(apps[0]!, 'DELETE', `/auth/tokens/${c.id}`)).status).toBe(204);
    const delays = await Promise.all(apps.slice(1).map((a) => refusedAfter(a, c.token, since)));
    console.info(`${store.type}: revocation refused elsewhere after ${delays.join(', ')} ms`);
    for (const d of delays) expect(d).toBeLessThan(1000);
  });

  it('a token rolled without grace, or past its grace, is refused by every other instance within 1 s', async () => {
    const c = await create({ name: 'roll me' });
    await warm(c.token);
    let since = Date.now();
    const r = await send(apps[0]!, 'POST', `/auth/tokens/${c.id}/roll`, {});
    expect(r.status).toBe(201);
    const rolled = (await r.json()) as { token: string };
    const noGrace = await Promise.all(apps.slice(1).map((a) => refusedAfter(a, c.token, since)));
    for (const d of noGrace) expect(d).toBeLessThan(1000);
    await warm(rolled.token);

    since = Date.now();
    const again = await send(apps[1]!, 'POST', `/auth/tokens/${c.id}/roll`, { graceSec: 2 });
    expect(again.status).toBe(201);
    const graceEnd = Date.now() - since + 2000; // the grace ends at the latest here (ms from since)
    const next = (await again.json()) as { token: string };
    // Within the grace both secrets work everywhere; the old one is refused once it ends.
    for (const a of apps) expect((await me(a, rolled.token)).status).toBe(200);
    await warm(next.token);
    const afterGrace = await Promise.all(apps.filter((_, i) => i !== 1).map((a) => refusedAfter(a, rolled.token, since)));
    console.info(`${store.type}: roll refused elsewhere after ${noGrace.join(', ')} ms; past a 2 s grace after ${afterGrace.join(', ')} ms`);
    // Refused only after the 2 s grace (each instance reads the end from the record), and within 1 s of it.
    for (const d of afterGrace) {
      expect(d).toBeGreaterThanOrEqual(1900);
      expect(d - graceEnd).toBeLessThan(1000);
    }
  });
});
