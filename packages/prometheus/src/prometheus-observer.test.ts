import { createRestAuth, type Principal, type Strategy } from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';
import { startIdp, type TestIdp } from '@restauth/testing';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusObserver } from './prometheus-observer.js';

/** `Bearer user-<n>`: a user of that name, in group `staff` when n is even. */
const usersStrategy: Strategy = {
  name: 'users',
  async verify(c) {
    if (c.kind !== 'bearer' || !c.token.startsWith('user-')) return undefined;
    const n = Number(c.token.slice(5));
    const p: Principal = { subject: c.token, username: c.token, groups: n % 2 ? [] : ['staff'], scopes: [], provider: 'corp', tokenType: 'jwt', claims: {} };
    return p;
  },
};

const req = (user: number | undefined, path: string, ip = '127.0.0.1') => ({
  method: 'GET',
  url: path,
  headers: user === undefined ? {} : { authorization: `Bearer user-${user}` },
  remoteAddress: ip,
});

async function seriesCount(registry: Registry): Promise<number> {
  return (await registry.getMetricsAsJSON()).reduce((n, m) => n + m.values.length, 0);
}

describe('prometheusObserver', () => {
  it('counts decisions by outcome, deciding check and provider', async () => {
    const registry = new Registry();
    const auth = createRestAuth({ policy: { allowGroups: ['staff'] } }, { strategies: [usersStrategy], observers: [prometheusObserver({ registry })] });
    await auth.authenticate(req(2, '/api/items'));
    await auth.authenticate(req(3, '/api/items'));
    await auth.authenticate(req(undefined, '/api/items'));
    const text = await registry.metrics();
    expect(text).toContain('restauth_decisions_total{decision="allow",reason="authenticated",provider="corp"} 1');
    expect(text).toContain('restauth_decisions_total{decision="deny",reason="allowGroups",provider="corp"} 1');
    expect(text).toContain('restauth_decisions_total{decision="deny",reason="credentials",provider="none"} 1');
    expect(text).toContain('restauth_decision_duration_seconds_count 3');
    await auth.close();
  });

  it('keeps the number of series fixed whatever users, paths and IPs send', async () => {
    const registry = new Registry();
    const auth = createRestAuth(
      { policy: { allowGroups: ['staff'] }, audit: { enabled: true, sink: { type: 'memory' } } },
      { strategies: [usersStrategy], observers: [prometheusObserver({ registry })] },
    );
    for (let i = 0; i < 100; i++) await auth.authenticate(req(i, `/api/items/${i}`, `10.0.${i >> 8}.${i & 255}`));
    const before = await seriesCount(registry);
    for (let i = 100; i < 10_100; i++) await auth.authenticate(req(i, `/api/items/${i}?q=${i}`, `10.1.${i >> 8}.${i & 255}`));
    expect(await seriesCount(registry)).toBe(before);
    const text = await registry.metrics();
    expect(text).not.toMatch(/user-\d|\/api\/items|10\.1\./);
    expect(text).toContain('restauth_decisions_total{decision="allow",reason="authenticated",provider="corp"} 5050');
    await auth.close();
  });

  it('lets two instances share one registry through constant labels, or each through its own prefix', async () => {
    const registry = new Registry();
    const a = createRestAuth({}, { strategies: [usersStrategy], observers: [prometheusObserver({ registry, labels: { gate: 'public' } })] });
    const b = createRestAuth({}, { strategies: [usersStrategy], observers: [prometheusObserver({ registry, labels: { gate: 'admin' } })] });
    const c = createRestAuth({}, { strategies: [usersStrategy], observers: [prometheusObserver({ registry, prefix: 'other_restauth_' })] });
    await a.authenticate(req(1, '/x'));
    await b.authenticate(req(1, '/x'));
    await b.authenticate(req(1, '/x'));
    await c.authenticate(req(1, '/x'));
    const text = await registry.metrics();
    expect(text).toContain('restauth_decisions_total{decision="allow",reason="authenticated",provider="corp",gate="public"} 1');
    expect(text).toContain('restauth_decisions_total{decision="allow",reason="authenticated",provider="corp",gate="admin"} 2');
    expect(text).toContain('other_restauth_decisions_total{decision="allow",reason="authenticated",provider="corp"} 1');
    expect(() => prometheusObserver({ registry, labels: { team: 'x' } })).toThrow(/same label names, or another prefix/);
  });

  it('names a registry that already holds restauth metrics from elsewhere instead of crashing on it', () => {
    const registry = new Registry();
    new Counter({ name: 'restauth_decisions_total', help: 'registered by another copy of the package', registers: [registry] });
    expect(() => prometheusObserver({ registry })).toThrow(/give this observer its own prefix/);
    expect(() => prometheusObserver({ registry, prefix: 'app2_restauth_' })).not.toThrow();
  });

  it('reports the audit queue, store errors and config reloads', async () => {
    const registry = new Registry();
    const observer = prometheusObserver({ registry });
    const auth = createRestAuth(
      { audit: { enabled: true, sink: { type: 'memory' }, queue: { maxEvents: 2, onFull: 'drop-oldest' } } },
      { strategies: [usersStrategy], observers: [observer] },
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => auth.authenticate(req(i, '/x'))));
    const stats = auth.auditStats();
    const text = await registry.metrics();
    expect(text).toContain(`restauth_audit_queue_events ${stats?.queued}`);
    expect(text).toContain(`restauth_audit_dropped_total ${stats?.dropped}`);
    observer.configReload?.({ result: 'refused' });
    observer.storeError?.({ store: 'rateLimit' });
    const after = await registry.metrics();
    expect(after).toContain('restauth_config_reloads_total{result="refused"} 1');
    expect(after).toContain('restauth_store_errors_total{store="rateLimit"} 1');
    await auth.close();
  });

  describe('with the local IdP', () => {
    let idp: TestIdp;
    beforeAll(async () => {
      idp = await startIdp();
    });
    afterAll(() => idp.close());

    it('counts discovery and JWKS fetches, and JWT cache hits and misses', async () => {
      const registry = new Registry();
      const auth = createRestAuth(
        { providers: [{ name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', discovery: true }] },
        { plugins: [jwtPlugin()], observers: [prometheusObserver({ registry })] },
      );
      const token = await idp.userToken('alice');
      const bearer = { method: 'GET', url: '/api/items', headers: { authorization: `Bearer ${token}` }, remoteAddress: '127.0.0.1' };
      expect((await auth.authenticate(bearer)).allowed).toBe(true);
      expect((await auth.authenticate(bearer)).allowed).toBe(true);
      const text = await registry.metrics();
      expect(text).toContain('restauth_provider_requests_total{provider="idp",kind="discovery",outcome="ok"} 1');
      expect(text).toContain('restauth_provider_requests_total{provider="idp",kind="jwks",outcome="ok"} 1');
      expect(text).toContain('restauth_provider_request_duration_seconds_count{provider="idp",kind="jwks"} 1');
      expect(text).toContain('restauth_token_cache_total{cache="jwt",result="miss"} 1');
      expect(text).toContain('restauth_token_cache_total{cache="jwt",result="hit"} 1');
      await auth.close();
    });
  });
});
