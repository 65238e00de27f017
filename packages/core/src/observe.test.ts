import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiToken } from './api-tokens/format.js';
import type { ApiTokenStore } from './api-tokens/store.js';
import type {
  ConfigReloadEvent,
  DecisionEvent,
  ObservedSource,
  ProviderFetchEvent,
  RestAuthObserver,
  StoreErrorEvent,
  TokenCacheEvent,
} from './observe.js';
import { createObservers } from './observe.js';
import { bearer, json, startServer, type TestServer } from './opaque/test-server.test-helper.js';
import type { RestAuthPlugin } from './plugin.js';
import { createRestAuth } from './rest-auth.js';
import { staticStrategy } from './test-strategy.test-helper.js';

/** An observer that keeps everything it is told, in order. */
function recorder() {
  const events = {
    decision: [] as DecisionEvent[],
    providerFetch: [] as ProviderFetchEvent[],
    tokenCache: [] as TokenCacheEvent[],
    storeError: [] as StoreErrorEvent[],
    configReload: [] as ConfigReloadEvent[],
    order: [] as string[],
    sources: [] as ObservedSource[],
    detached: 0,
  };
  const observer: RestAuthObserver = {
    decision: (e) => void events.decision.push(e),
    providerFetch: (e) => void events.providerFetch.push(e),
    tokenCache: (e) => void events.tokenCache.push(e),
    storeError: (e) => void events.storeError.push(e),
    configReload: (e) => void events.configReload.push(e),
    attach(source) {
      events.sources.push(source);
      return () => void events.detached++;
    },
    startDecision() {
      events.order.push('decision:start');
      return { run: (fn) => (events.order.push('decision:run'), fn()), end: (e) => void events.order.push(`decision:end:${e.decision}`) };
    },
    startProviderFetch(start) {
      events.order.push(`fetch:start:${start.kind}`);
      return { end: (e) => void events.order.push(`fetch:end:${e.outcome}`) };
    },
  };
  return { events, observer };
}

const req = (token?: string, url = '/api/items') => ({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {}, remoteAddress: '127.0.0.1' });

describe('observers', () => {
  it('are told of each decision: outcome, deciding check, provider, token type and gate time', async () => {
    const { events, observer } = recorder();
    const auth = createRestAuth(
      { policy: { bypass: ['GET /health'], allowGroups: ['users'] } },
      { strategies: [staticStrategy()], observers: [observer] },
    );
    await auth.authenticate(req('alice'));
    await auth.authenticate(req());
    await auth.authenticate(req('eve'));
    await auth.authenticate(req(undefined, '/health'));
    expect(events.decision.map(({ durationMs, ...e }) => (expect(durationMs).toBeGreaterThanOrEqual(0), e))).toEqual([
      { decision: 'allow', reason: 'authenticated', status: 200, provider: 'static', tokenType: 'jwt' },
      { decision: 'deny', reason: 'credentials', status: 401, provider: undefined, tokenType: undefined },
      { decision: 'deny', reason: 'allowGroups', status: 403, provider: 'static', tokenType: 'jwt' },
      { decision: 'allow', reason: 'bypass', status: 200, provider: undefined, tokenType: undefined },
    ]);
    expect(events.order.slice(0, 3)).toEqual(['decision:start', 'decision:run', 'decision:end:allow']);
    const denied = auth.authorize(req('bob'), (await auth.authenticate(req('bob'))).principal, { scopes: ['admin'] });
    expect(denied.status).toBe(403);
    expect(events.decision.at(-1)).toMatchObject({ decision: 'deny', reason: 'route', provider: 'static' });
    await auth.close();
  });

  it('report a would-deny under the check that would have denied', async () => {
    const { events, observer } = recorder();
    const auth = createRestAuth({ policy: { mode: 'report-only', allowGroups: ['admins'] } }, { strategies: [staticStrategy()], observers: [observer] });
    expect((await auth.authenticate(req('bob'))).allowed).toBe(true);
    expect(events.decision[0]).toMatchObject({ decision: 'would-deny', reason: 'allowGroups', status: 200 });
  });

  it('cannot change a decision by throwing, and every other observer is still told', async () => {
    const { events, observer } = recorder();
    const thrower: RestAuthObserver = {
      decision() {
        throw new Error('observer bug');
      },
      startDecision() {
        throw new Error('observer bug');
      },
      attach() {
        throw new Error('observer bug');
      },
    };
    const auth = createRestAuth({}, { strategies: [staticStrategy()], observers: [thrower, observer] });
    const d = await auth.authenticate(req('alice'));
    expect(d).toMatchObject({ allowed: true, status: 200 });
    expect(events.decision).toHaveLength(1);
  });

  it('report rate-limit and API-token store errors', async () => {
    const { events, observer } = recorder();
    const failing: RestAuthPlugin = {
      name: 'failing',
      rateLimitStores: { redis: () => ({ hit: () => Promise.reject(new Error('connection refused')) }) },
      apiTokenStores: {
        redis: () =>
          new Proxy({} as ApiTokenStore, { get: (_t, key) => (key === 'then' || key === 'onRevoke' ? undefined : () => Promise.reject(new Error('connection refused'))) }),
      },
    };
    const auth = createRestAuth(
      { apiTokens: { enabled: true, store: { type: 'redis', url: 'redis://127.0.0.1:1' } }, rateLimit: { enabled: true, limit: 10, windowSec: 60, store: { type: 'redis', url: 'redis://127.0.0.1:1' }, onStoreError: 'allow' } },
      { strategies: [staticStrategy()], plugins: [failing], observers: [observer] },
    );
    expect((await auth.authenticate(req('alice'))).allowed).toBe(true);
    expect(events.storeError).toEqual([{ store: 'rateLimit' }]);
    const d = await auth.authenticate(req(generateApiToken().token));
    expect(d.status).toBeGreaterThanOrEqual(400);
    expect(events.storeError.map((e) => e.store)).toContain('apiTokens');
    await auth.close().catch(() => undefined);
  });

  it('can read the audit queue and are detached on close', async () => {
    const { events, observer } = recorder();
    const auth = createRestAuth({ audit: { enabled: true, sink: { type: 'memory' } } }, { strategies: [staticStrategy()], observers: [observer] });
    await auth.authenticate(req('alice'));
    expect(events.sources).toHaveLength(1);
    expect(events.sources[0]?.auditStats()).toMatchObject({ dropped: 0 });
    await auth.close();
    expect(events.detached).toBe(1);
  });

  it('reports config reloads through the observer set', () => {
    const { events, observer } = recorder();
    createObservers([observer])?.configReload({ result: 'refused' });
    expect(events.configReload).toEqual([{ result: 'refused' }]);
    expect(createObservers([])).toBeUndefined();
  });

  describe('with an introspection provider', () => {
    let server: TestServer;
    let up = true;
    beforeAll(async () => {
      server = await startServer((r, res) => {
        if (!up) return json(res, 503, {});
        json(res, 200, r.body.includes('token=good') ? { active: true, sub: 'u1', username: 'u1', exp: Math.floor(Date.now() / 1000) + 600 } : { active: false });
      });
    });
    afterAll(() => server.close());

    it('reports each call (outcome, latency) inside the decision span, and cache hits and misses', async () => {
      const { events, observer } = recorder();
      const provider = { name: 'opaque', type: 'introspection' as const, introspectionEndpoint: `${server.url}/introspect`, clientId: 'c', clientSecret: 's' };
      const auth = createRestAuth({ providers: [provider] }, { observers: [observer] });
      expect((await auth.authenticate(bearer('good'))).allowed).toBe(true);
      expect((await auth.authenticate(bearer('good'))).allowed).toBe(true);
      up = false;
      expect((await auth.authenticate(bearer('other'))).status).toBe(503);
      up = true;
      expect(events.providerFetch.map((e) => [e.provider, e.kind, e.outcome])).toEqual([
        ['opaque', 'introspection', 'ok'],
        ['opaque', 'introspection', 'error'],
      ]);
      expect(events.tokenCache.map((e) => `${e.cache}:${e.result}`)).toEqual(['opaque:miss', 'opaque:hit', 'opaque:miss']);
      expect(events.order.slice(0, 5)).toEqual(['decision:start', 'decision:run', 'fetch:start:introspection', 'fetch:end:ok', 'decision:end:allow']);
      expect(events.decision[2]).toMatchObject({ decision: 'deny', reason: 'verify', status: 503 });
      await auth.close();
    });
  });
});
