import { afterAll, describe, expect, it } from 'vitest';
import type { Decision } from '../decision.js';
import { createRestAuth } from '../rest-auth.js';
import { PRINCIPALS, staticStrategy } from '../test-strategy.test-helper.js';
import type { Principal } from '../principal.js';
import { createMemoryApiTokenStore } from './store.js';
import { createApiTokens } from './api-tokens.js';

// Last-used times, rolls, rate limits, remaining uses, usage, the admin view and meta: through the
// whole gate and the token routes, as an adapter calls them.
let t = Date.parse('2026-03-10T12:00:00Z');
const now = () => t;
const auth = createRestAuth(
  { apiTokens: { enabled: true, adminGroups: ['admins'], maxRateLimit: { limit: 100, windowSec: 10 } } },
  { strategies: [staticStrategy()], now },
);
afterAll(() => auth.close());
const req = (method: string, url: string, token: string) => ({ method, url, headers: { authorization: `Bearer ${token}` }, remoteAddress: '127.0.0.1' });
const use = (token: string): Promise<Decision> => auth.authenticate(req('GET', '/api/items', token));
async function call(method: string, url: string, who: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const d = await auth.authenticate(req(method, url, who));
  if (!d.allowed) return { status: d.status, json: JSON.parse(d.body ?? '{}') };
  const r = await auth.handleTokenRequest(req(method, url, who), d.principal, body);
  if (!r) throw new Error(`not a token route: ${url}`);
  return { status: r.status, json: r.body ? JSON.parse(r.body) : {} };
}
const create = async (who: string, body: Record<string, unknown>) => {
  const r = await call('POST', '/auth/tokens', who, { name: 'k', ...body });
  expect(r.status).toBe(201);
  return r.json as { id: string; token: string };
};
/** Every live token as an admin lists it, to prove a refused request changed nothing. */
async function snapshot(): Promise<unknown> {
  return (await call('GET', '/auth/tokens?all=true&limit=500', 'alice')).json['tokens'];
}

describe('lastUsedAt (point 1)', () => {
  it('shows use still pending in the batch, and the batch reaches the store on close', async () => {
    const store = createMemoryApiTokenStore();
    const tokens = createApiTokens({ store, creatorGroups: [], adminGroups: [], maxLifetimeDays: 30, defaultLifetimeDays: 7, now });
    const c = await tokens.create(PRINCIPALS['bob'] as Principal, { name: 'x' });
    expect((await tokens.list(PRINCIPALS['bob'] as Principal))[0]?.lastUsedAt).toBeNull();
    await tokens.verify(c.token);
    expect((await tokens.list(PRINCIPALS['bob'] as Principal))[0]?.lastUsedAt).toBe(new Date(t).toISOString());
    expect((await store.get(c.id))?.lastUsedAt).toBeNull();
    await tokens.close();
    expect((await store.get(c.id))?.lastUsedAt).toEqual(new Date(t));
  });
});

describe('verified-token cache (point 7)', () => {
  it('a burst on a cold token reads the store once; a revocation heard meanwhile is not cached', async () => {
    const store = createMemoryApiTokenStore();
    let gets = 0;
    let revoked: ((id: string) => void) | undefined;
    const counted = { ...store, get: (id: string) => { gets++; return store.get(id); }, onRevoke: (l: (id: string) => void) => { revoked = l; return () => undefined; } };
    const tokens = createApiTokens({ store: counted, creatorGroups: [], adminGroups: [], maxLifetimeDays: 30, defaultLifetimeDays: 7, now });
    const c = await tokens.create(PRINCIPALS['bob'] as Principal, { name: 'burst' });
    const principals = await Promise.all(Array.from({ length: 20 }, () => tokens.verify(c.token)));
    expect(principals.every((p) => p.tokenId === c.id)).toBe(true);
    expect(gets).toBe(1);
    await tokens.verify(c.token);
    expect(gets).toBe(1);
    revoked?.(c.id);
    await store.revoke(c.id, new Date(t));
    await expect(tokens.verify(c.token)).rejects.toThrow('API token has been revoked');
    expect(gets).toBe(2);
    await tokens.close();
  });
});

describe('meta (point 8)', () => {
  it('is returned in listings and put on the principal', async () => {
    const c = await create('bob', { meta: { customer: 'acme', plan: 'gold' } });
    expect((await use(c.token)).principal?.tokenMeta).toEqual({ customer: 'acme', plan: 'gold' });
    const listed = ((await call('GET', '/auth/tokens', 'bob')).json['tokens'] as { id: string; meta: unknown }[]).find((x) => x.id === c.id);
    expect(listed?.meta).toEqual({ customer: 'acme', plan: 'gold' });
  });
  it('refuses a meta that is not an object or over 1 KiB, storing nothing', async () => {
    const before = await snapshot();
    for (const meta of [[1], 'x', null, 5, { big: 'x'.repeat(1020) }]) {
      const r = await call('POST', '/auth/tokens', 'bob', { name: 'm', meta });
      expect(r.status).toBe(400);
      expect(r.json['message']).toMatch(/^meta must be/);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('roll (point 2)', () => {
  it('gives a new secret for the same token; the old one works for graceSec, then is revoked', async () => {
    const c = await create('bob', { scopes: ['items:read'], meta: { a: 1 } });
    const rolled = await call('POST', `/auth/tokens/${c.id}/roll`, 'bob', { graceSec: 60 });
    expect(rolled.status).toBe(201);
    expect(Object.keys(rolled.json)).toEqual(['id', 'token', 'name', 'scopes', 'expiresAt']);
    expect(rolled.json['id']).toBe(c.id);
    expect(rolled.json['token']).not.toBe(c.token);
    expect((await use(rolled.json['token'] as string)).allowed).toBe(true);
    expect((await use(c.token)).allowed).toBe(true);
    t += 61_000;
    const old = await use(c.token);
    expect(old.status).toBe(401);
    expect(JSON.parse(old.body!).message).toBe('API token has been revoked');
    expect((await use(rolled.json['token'] as string)).allowed).toBe(true);
  });
  it('without graceSec the old secret stops at once', async () => {
    const c = await create('bob', {});
    expect((await call('POST', `/auth/tokens/${c.id}/roll`, 'bob')).status).toBe(201);
    expect((await use(c.token)).status).toBe(401);
  });
  it('refuses bad graceSec, revoked/expired/unknown/foreign tokens; nothing changes', async () => {
    const c = await create('bob', { expiresInDays: 1 });
    const r = await create('bob', {});
    await call('DELETE', `/auth/tokens/${r.id}`, 'bob');
    const before = await snapshot();
    for (const graceSec of [-1, 604_801, 1.5, '10']) {
      const bad = await call('POST', `/auth/tokens/${c.id}/roll`, 'bob', { graceSec });
      expect(bad.status).toBe(400);
      expect(bad.json['message']).toMatch(/^graceSec must be/);
    }
    expect((await call('POST', `/auth/tokens/${c.id}/roll`, 'bob', { graceSec: 1, extra: 1 })).status).toBe(400);
    expect((await call('POST', `/auth/tokens/${r.id}/roll`, 'bob')).json['message']).toBe('A revoked token cannot be rolled');
    expect((await call('POST', `/auth/tokens/${c.id}/roll`, 'carol')).status).toBe(404);
    expect((await call('POST', '/auth/tokens/0000000000000000/roll', 'bob')).status).toBe(404);
    expect(await snapshot()).toEqual(before);
    expect((await use(c.token)).allowed).toBe(true);
    t += 2 * 86_400_000;
    const beforeExpired = await snapshot();
    const expired = await call('POST', `/auth/tokens/${c.id}/roll`, 'bob');
    expect(expired).toEqual({ status: 400, json: { error: 'invalid_request', message: 'An expired token cannot be rolled' } });
    expect(await snapshot()).toEqual(beforeExpired);
  });
});

describe('admin view (point 6)', () => {
  it('pages every owner for admins with signed cursors; others see their own and the parameters are ignored', async () => {
    const mine = await create('carol', { name: 'c1' });
    t += 1000;
    await create('carol', { name: 'c2' });
    t += 1000;
    await create('carol', { name: 'c3' });
    const p1 = await call('GET', '/auth/tokens?all=true&owner=static:carol&limit=2', 'alice');
    expect(p1.status).toBe(200);
    const page1 = p1.json as { tokens: { name: string; owner: string }[]; nextCursor: string };
    expect(page1.tokens.map((x) => x.name)).toEqual(['c3', 'c2']);
    expect(page1.tokens[0]?.owner).toBe('static:carol');
    const p2 = await call('GET', `/auth/tokens?all=true&owner=static:carol&limit=2&cursor=${encodeURIComponent(page1.nextCursor)}`, 'alice');
    expect(p2.json).toMatchObject({ tokens: [{ name: 'c1' }], nextCursor: null });
    const tampered = page1.nextCursor.replace(/^\d/, (d) => String((Number(d) + 1) % 10));
    const bad = await call('GET', `/auth/tokens?all=true&limit=2&cursor=${encodeURIComponent(tampered)}`, 'alice');
    expect(bad.status).toBe(400);
    expect(bad.json['message']).toMatch(/^cursor is not valid/);
    expect((await call('GET', '/auth/tokens?all=true&limit=0', 'alice')).status).toBe(400);
    // Not an admin: own tokens, no owner field, no error, whatever the query says.
    for (const q of ['?all=true&owner=static:carol', '?all=true&cursor=forged&limit=-1']) {
      const r = await call('GET', `/auth/tokens${q}`, 'bob');
      expect(r.status).toBe(200);
      const list = r.json['tokens'] as { id: string; owner?: string }[];
      expect(list.some((x) => x.id === mine.id || x.owner !== undefined)).toBe(false);
      expect(r.json['nextCursor']).toBeUndefined();
    }
    expect((await call('DELETE', `/auth/tokens/${mine.id}`, 'alice')).status).toBe(204);
  });
  it('refuses every cursor it did not sign: an edited signature or id, garbage, another instance\'s', async () => {
    for (const name of ['d1', 'd2']) await create('carol', { name });
    const page = (await call('GET', '/auth/tokens?all=true&owner=static:carol&limit=1', 'alice')).json as { nextCursor: string };
    const [at, id, sig] = page.nextCursor.split('.') as [string, string, string];
    const other = createRestAuth({ apiTokens: { enabled: true, adminGroups: ['admins'] } }, { strategies: [staticStrategy()], now });
    try {
      const foreign = await other.authenticate(req('GET', '/auth/tokens', 'alice'));
      const fromOther = await other.handleTokenRequest(req('GET', `/auth/tokens?all=true&cursor=${encodeURIComponent(page.nextCursor)}`, 'alice'), foreign.principal, undefined);
      expect(fromOther?.status).toBe(400);
    } finally {
      await other.close();
    }
    const edited = [`${at}.${id}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`, `${at}.${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}.${sig}`, 'forged', `${at}.${id}`];
    for (const cursor of edited) {
      const r = await call('GET', `/auth/tokens?all=true&limit=1&cursor=${encodeURIComponent(cursor)}`, 'alice');
      expect(r.status, cursor).toBe(400);
      expect(r.json['message']).toMatch(/^cursor is not valid/);
    }
  });
});

describe('per-token rate limit (point 3)', () => {
  it('uses the token limit with the same headers and 429, even with the global limit off', async () => {
    const c = await create('bob', { rateLimit: { limit: 2, windowSec: 10 } });
    const a = await use(c.token);
    expect(a.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '1', 'ratelimit-policy': '2;w=10' });
    expect((await use(c.token)).allowed).toBe(true);
    const third = await use(c.token);
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toBeDefined();
    expect(third.headers['ratelimit-remaining']).toBe('0');
    const other = await create('bob', {});
    expect((await use(other.token)).headers['ratelimit-limit']).toBeUndefined();
  });
  it('refuses limits above apiTokens.maxRateLimit or malformed, storing nothing', async () => {
    const before = await snapshot();
    for (const rateLimit of [{ limit: 101, windowSec: 100 }, { limit: 100, windowSec: 5 }, { limit: -1, windowSec: 10 }, { limit: 1, windowSec: 0 }, { limit: 1 }, { limit: 1, windowSec: 1e9 }, 'fast']) {
      const r = await call('POST', '/auth/tokens', 'bob', { name: 'r', rateLimit });
      expect(r.status).toBe(400);
      expect(r.json['message']).toMatch(/^rateLimit must be/);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('remaining uses (point 4)', () => {
  it('allows exactly n requests, then 401 used up; refused ones elsewhere spend nothing', async () => {
    const c = await create('bob', { remaining: 3 });
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => use(c.token)));
    expect(results.filter((d) => d.allowed)).toHaveLength(3);
    const refused = results.find((d) => !d.allowed);
    expect(refused?.status).toBe(401);
    expect(refused?.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(JSON.parse(refused!.body!)).toEqual({ error: 'invalid_token', message: 'API token is used up' });
    const listed = ((await call('GET', '/auth/tokens', 'bob')).json['tokens'] as { id: string; remaining: number }[]).find((x) => x.id === c.id);
    expect(listed?.remaining).toBe(0);
  });
  it('refuses negative, zero, fractional or huge remaining, storing nothing', async () => {
    const before = await snapshot();
    for (const remaining of [-1, 0, 2.5, 1e12, '5']) expect((await call('POST', '/auth/tokens', 'bob', { name: 'r', remaining })).status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });
});

describe('usage (point 5)', () => {
  it('counts allowed and refused per day, for the owner and admins; 404 for anyone else', async () => {
    const c = await create('bob', { remaining: 2 });
    for (let i = 0; i < 3; i++) await use(c.token);
    const day = new Date(t).toISOString().slice(0, 10);
    const r = await call('GET', `/auth/tokens/${c.id}/usage?days=2`, 'bob');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ id: c.id, days: [{ day: new Date(t - 86_400_000).toISOString().slice(0, 10), allowed: 0, refused: 0 }, { day, allowed: 2, refused: 1 }] });
    expect((await call('GET', `/auth/tokens/${c.id}/usage`, 'alice')).status).toBe(200);
    expect((await call('GET', `/auth/tokens/${c.id}/usage`, 'carol')).status).toBe(404);
    expect((await call('GET', '/auth/tokens/0000000000000000/usage', 'bob')).status).toBe(404);
    for (const days of ['0', '-1', '91', 'x']) expect((await call('GET', `/auth/tokens/${c.id}/usage?days=${days}`, 'bob')).status).toBe(400);
    expect((await call('POST', `/auth/tokens/${c.id}/usage`, 'bob')).status).toBe(405);
  });
});
