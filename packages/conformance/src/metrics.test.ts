import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mainConfig } from './cases.js';
import { startApp, writeConfig, type RunningApp } from './process.js';
import { TARGETS } from './targets.js';

// GET /metrics in every example app: prom-client's text with restauth's series, behind the gate
// and for members of `admins` only (docs/operations.md, "Protecting /metrics").

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
let idp: TestIdp;
const tokens = {} as Record<'alice' | 'bob' | 'eve', string>;
const apps = new Map<string, RunningApp>();

const get = (app: RunningApp, path: string, token?: string) =>
  fetch(app.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

/** The same traffic for every app: allowed, no credentials, outside allowGroups, a bad token. */
async function traffic(app: RunningApp): Promise<void> {
  for (const token of [tokens.alice, tokens.alice, undefined, tokens.eve, 'not.a.jwt']) {
    await (await get(app, '/api/items', token)).arrayBuffer();
  }
}

/** `name{labels}` of every restauth series of a scrape (values left out). */
function seriesOf(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('restauth_')).map((l) => l.slice(0, l.lastIndexOf(' '))).sort();
}

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  [tokens.alice, tokens.bob, tokens.eve] = await Promise.all([idp.userToken('alice'), idp.userToken('bob'), idp.userToken('eve')]);
  const file = writeConfig('metrics', mainConfig(idp.issuer, idp.jwksUri));
  await Promise.all(TARGETS.map(async (t) => {
    const app = await startApp(t, file);
    apps.set(t.name, app);
    await traffic(app);
  }));
});

afterAll(async () => {
  await Promise.all([...apps.values()].map((a) => a.stop()));
  await idp?.close();
});

describe.each(TARGETS.map((t) => [t.name]))('%s', (name) => {
  const app = () => apps.get(name)!;

  it('GET /metrics without credentials → 401, like any protected route', async () => {
    const res = await get(app(), '/metrics');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="conformance"');
    expect(await res.text()).toBe('{"error":"unauthorized","message":"Authentication required"}');
  });

  it('GET /metrics by a user outside admins → 403', async () => {
    const res = await get(app(), '/metrics', tokens.bob);
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('{"error":"forbidden","message":"Requires membership of one of: admins"}');
  });

  it('GET /metrics by an admin → Prometheus text with the decisions so far', async () => {
    const res = await get(app(), '/metrics', tokens.alice);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(res.headers.get('content-type')).toBe(PROMETHEUS_TEXT);
    expect(text).toMatch(/^restauth_decisions_total\{decision="allow",reason="authenticated",provider="idp"\} [1-9]\d*$/m);
    expect(text).toMatch(/^restauth_decisions_total\{decision="deny",reason="credentials",provider="none"\} [1-9]\d*$/m);
    expect(text).toMatch(/^restauth_decisions_total\{decision="deny",reason="allowGroups",provider="idp"\} [1-9]\d*$/m);
    expect(text).toMatch(/^restauth_decisions_total\{decision="deny",reason="verify",provider="none"\} [1-9]\d*$/m);
    expect(text).toMatch(/^restauth_provider_requests_total\{provider="idp",kind="jwks",outcome="ok"\} [1-9]\d*$/m);
    expect(text).toMatch(/^restauth_decision_duration_seconds_count [1-9]\d*$/m);
    // Nothing from the requests themselves: no username, path, token or address in any series.
    for (const series of seriesOf(text)) expect(series).not.toMatch(/"(alice|bob|eve)"|\/api\/|not\.a\.jwt|127\.0\.0\.1/);
  });

  it('a scraper with an admin\'s API token gets the metrics', async () => {
    const created = await fetch(`${app().url}/auth/tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/json' }, body: '{"name":"prometheus"}',
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };
    const res = await get(app(), '/metrics', token);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^restauth_decisions_total\{decision="allow",reason="authenticated",provider="api-token"\} 1$/m);
  });
});

it('every framework reports the same restauth series for the same traffic', async () => {
  const scrapes = await Promise.all(TARGETS.map(async (t) => {
    const app = apps.get(t.name)!;
    await traffic(app); // the same again, so this test stands alone too
    const res = await get(app, '/metrics', tokens.alice);
    expect(res.status).toBe(200);
    return [t.name, seriesOf(await res.text())] as const;
  }));
  const names = (series: readonly string[]) => [...new Set(series.map((s) => s.replace(/\{.*$/, '')))];
  const [first, ...others] = scrapes;
  expect(names(first![1])).toEqual(expect.arrayContaining([
    'restauth_decisions_total', 'restauth_decision_duration_seconds_bucket', 'restauth_provider_requests_total', 'restauth_token_cache_total', 'restauth_audit_queue_events',
  ]));
  for (const [name, series] of others) {
    expect(names(series), `${name} vs ${first![0]}`).toEqual(names(first![1]));
    // The same decisions, by the same labels.
    expect(series.filter((s) => s.startsWith('restauth_decisions_total')), name).toEqual(first![1].filter((s) => s.startsWith('restauth_decisions_total')));
  }
});
