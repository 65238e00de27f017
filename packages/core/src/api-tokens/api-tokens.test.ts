import { describe, expect, it } from 'vitest';
import type { Principal } from '../principal.js';
import { createRestAuth } from '../rest-auth.js';
import { PRINCIPALS, staticStrategy } from '../test-strategy.test-helper.js';
import { createApiTokens } from './api-tokens.js';
import { readJsonBody } from './body.js';
import { API_TOKEN_LENGTH, generateApiToken, hashApiToken, parseApiToken } from './format.js';
import { describeApiTokenStore } from './store-contract.test-helper.js';
import { createMemoryApiTokenStore, type ApiTokenStore } from './store.js';

describeApiTokenStore('memory', async () => createMemoryApiTokenStore());

const alice = PRINCIPALS['alice'] as Principal;
const bob = PRINCIPALS['bob'] as Principal;

function setup(overrides: { store?: ApiTokenStore; now?: () => number; creatorGroups?: string[] } = {}) {
  return createApiTokens({
    store: overrides.store ?? createMemoryApiTokenStore(),
    creatorGroups: overrides.creatorGroups ?? [],
    adminGroups: ['admins'],
    maxLifetimeDays: 30,
    defaultLifetimeDays: 7,
    now: overrides.now,
  });
}

async function code(p: Promise<unknown>): Promise<string> {
  try { await p; } catch (e) { return `${(e as { code: string }).code}: ${(e as Error).message}`; }
  return 'ok';
}

describe('token format', () => {
  it('is prefixed, 256-bit, base62 with a checksum', () => {
    const { id, token } = generateApiToken();
    expect(token).toMatch(/^rat_[0-9A-Za-z]+$/);
    expect(token).toHaveLength(API_TOKEN_LENGTH);
    expect(parseApiToken(token)).toBe(id);
  });
  it('is stable: a token issued by an earlier version parses and hashes the same', () => {
    const issued = 'rat_Id0123456789abcdSSSSSSSSSSSecret0123456789ABCDEFGHIJKLMNOPQ3g9HAG';
    expect(parseApiToken(issued)).toBe('Id0123456789abcd');
    expect(hashApiToken(issued)).toBe('caec4bb4079536dd0f174abcaf5c128e8363cf7abdd9bc94a42079ee4d13d75a');
  });
  it('rejects a mistyped token by its checksum, without a lookup', () => {
    const { token } = generateApiToken();
    const i = 30;
    const typo = token.slice(0, i) + (token[i] === 'a' ? 'b' : 'a') + token.slice(i + 1);
    expect(parseApiToken(typo)).toBeUndefined();
  });
  it('rejects a wrong prefix, length or alphabet', () => {
    const { token } = generateApiToken();
    expect(parseApiToken('rax_' + token.slice(4))).toBeUndefined();
    expect(parseApiToken(token + 'a')).toBeUndefined();
    expect(parseApiToken(token.slice(0, -1) + '-')).toBeUndefined();
  });
});

describe('API token life cycle', () => {
  it('creates, verifies as the owner with the token scopes, lists without secrets, revokes', async () => {
    const tokens = setup();
    const created = await tokens.create(alice, { name: 'deploy', scopes: ['items:read'], expiresInDays: 10 });
    expect(created).toMatchObject({ name: 'deploy', scopes: ['items:read'] });
    const p = await tokens.verify(created.token);
    expect(p).toMatchObject({ username: 'alice', groups: ['users', 'admins'], scopes: ['items:read'], provider: 'api-token', tokenType: 'api-token', tokenId: created.id });
    const listed = await tokens.list(alice);
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    // Use pending in this instance's batch shows at once (point 1 of issue 17).
    expect(listed[0]).toMatchObject({ id: created.id, name: 'deploy', lastUsedAt: expect.stringMatching(/^\d{4}-/), meta: null });
    await tokens.revoke(alice, created.id);
    expect(await code(tokens.verify(created.token))).toBe('invalid_token: API token has been revoked');
    expect(await tokens.list(alice)).toEqual([]);
  });
  it('defaults to the creator scopes and the default lifetime', async () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const tokens = setup({ now: () => t });
    const c = await tokens.create(bob, { name: 'x' });
    expect(c.scopes).toEqual(['items:read']);
    expect(c.expiresAt).toBe('2026-01-08T00:00:00.000Z');
    t = Date.parse('2026-01-08T00:00:00Z');
    expect(await code(tokens.verify(c.token))).toBe('invalid_token: API token has expired');
  });
  it('refuses scope escalation', async () => {
    expect(await code(setup().create(bob, { name: 'x', scopes: ['items:read', 'admin'] }))).toBe('forbidden: Requested scopes exceed your own: admin');
  });
  it('refuses token-authenticated creators', async () => {
    const tokens = setup();
    const c = await tokens.create(alice, { name: 'x' });
    const viaToken = await tokens.verify(c.token);
    expect(await code(tokens.create(viaToken, { name: 'y' }))).toBe('forbidden: API tokens cannot create tokens');
  });
  it('enforces creatorGroups at creation only (the owner groups are recorded)', async () => {
    const tokens = setup({ creatorGroups: ['admins'] });
    expect(await code(tokens.create(bob, { name: 'x' }))).toBe('forbidden: Not allowed to create API tokens');
    const c = await tokens.create(alice, { name: 'x' });
    // alice leaving the admins group later does not affect the token: documented.
    expect((await tokens.verify(c.token)).groups).toEqual(['users', 'admins']);
  });
  it('validates the body: names, scopes, lifetime, unknown fields', async () => {
    const tokens = setup();
    expect(await code(tokens.create(alice, 'x'))).toMatch(/^invalid_request: Body must be a JSON object/);
    expect(await code(tokens.create(alice, { name: '' }))).toMatch(/^invalid_request: name must be/);
    expect(await code(tokens.create(alice, { name: 'n'.repeat(101) }))).toMatch(/^invalid_request: name must be/);
    expect(await code(tokens.create(alice, { name: 'a\nb' }))).toMatch(/^invalid_request: name must be/);
    expect(await code(tokens.create(alice, { name: 'x', scopes: 'admin' }))).toMatch(/^invalid_request: scopes must be/);
    expect(await code(tokens.create(alice, { name: 'x', expiresInDays: 31 }))).toBe('invalid_request: expiresInDays must be a whole number from 1 to 30');
    expect(await code(tokens.create(alice, { name: 'x', expiresInDays: 0.5 }))).toMatch(/^invalid_request: expiresInDays/);
    expect(await code(tokens.create(alice, { name: 'x', owner: 'root' }))).toBe('invalid_request: Unknown field "owner"');
  });
  it('unknown, forged and malformed tokens are invalid', async () => {
    const tokens = setup();
    expect(await code(tokens.verify(generateApiToken().token))).toBe('invalid_token: API token is not valid');
    expect(await code(tokens.verify('rat_short'))).toBe('invalid_token: API token is malformed');
  });
  it('only the owner or an admin revokes; others get not_found', async () => {
    const tokens = setup();
    const c = await tokens.create(bob, { name: 'x' });
    expect(await code(tokens.revoke(PRINCIPALS['carol']!, c.id))).toBe('not_found: No such token');
    expect(await code(tokens.revoke(bob, 'nope'))).toBe('not_found: No such token');
    await tokens.revoke(alice, c.id);
    expect(await code(tokens.verify(c.token))).toMatch(/revoked/);
  });
  it('admins list every token with its owner', async () => {
    const tokens = setup();
    await tokens.create(bob, { name: 'b' });
    await tokens.create(alice, { name: 'a' });
    expect((await tokens.list(alice, { all: true })).map((t) => t.owner).sort()).toEqual(['static:alice', 'static:bob']);
    expect(await tokens.list(bob, { all: true })).toHaveLength(1);
  });
  it('a store that is down is a 503, never an allow', async () => {
    const store = createMemoryApiTokenStore();
    const tokens = setup({ store: { ...store, get: async () => { throw new Error('connection refused'); } } });
    const c = await tokens.create(alice, { name: 'x' });
    expect(await code(tokens.verify(c.token))).toBe('temporarily_unavailable: API token store is unavailable');
  });
  it('writes last-used in one batch, not per request', async () => {
    const store = createMemoryApiTokenStore();
    const touches: number[] = [];
    const tokens = setup({ store: { ...store, touch: async (u) => { touches.push(u.length); await store.touch(u); } } });
    const c = await tokens.create(alice, { name: 'x' });
    for (let i = 0; i < 50; i++) await tokens.verify(c.token);
    expect(touches).toEqual([]);
    await tokens.close();
    expect(touches).toEqual([1]);
    expect((await store.get(c.id))?.lastUsedAt).not.toBeNull();
  });
  it('a verified token costs no store lookup within the cache TTL', async () => {
    const store = createMemoryApiTokenStore();
    let gets = 0;
    const tokens = setup({ store: { ...store, get: async (id) => { gets++; return store.get(id); } } });
    const c = await tokens.create(alice, { name: 'x' });
    for (let i = 0; i < 10; i++) await tokens.verify(c.token);
    expect(gets).toBe(1);
  });
});

describe('token routes through the gate', () => {
  const auth = createRestAuth({ apiTokens: { enabled: true, adminGroups: ['admins'] } }, { strategies: [staticStrategy()] });
  const req = (method: string, url: string, token: string) => ({ method, url, headers: { authorization: `Bearer ${token}` }, remoteAddress: '127.0.0.1' });
  async function call(method: string, url: string, token: string, body?: unknown) {
    const d = await auth.authenticate(req(method, url, token));
    if (!d.allowed) return { status: d.status, body: d.body };
    const r = await auth.handleTokenRequest(req(method, url, token), d.principal, body);
    return r ? { status: r.status, body: r.body, headers: r.headers } : undefined;
  }

  it('POST 201 → token usable as Bearer and as X-API-Key → GET lists → DELETE 204 → 401', async () => {
    const created = await call('POST', '/auth/tokens', 'bob', { name: 'script' });
    expect(created?.status).toBe(201);
    const { id, token, name, scopes, expiresAt } = JSON.parse(created!.body!);
    expect({ name, scopes }).toEqual({ name: 'script', scopes: ['items:read'] });
    expect(expiresAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const asBearer = await auth.authenticate(req('GET', '/api/me', token));
    expect(asBearer.principal).toMatchObject({ username: 'bob', tokenType: 'api-token' });
    const asKey = await auth.authenticate({ method: 'GET', url: '/api/me', headers: { 'x-api-key': token } });
    expect(asKey.principal?.tokenId).toBe(id);
    const list = await call('GET', '/auth/tokens', 'bob');
    expect(JSON.parse(list!.body!).tokens.map((t: { id: string }) => t.id)).toEqual([id]);
    expect(list!.body).not.toContain(token);
    expect((await call('DELETE', `/auth/tokens/${id}`, 'bob'))?.status).toBe(204);
    const after = await auth.authenticate(req('GET', '/api/me', token));
    expect(after.status).toBe(401);
    expect(JSON.parse(after.body!).message).toBe('API token has been revoked');
  });
  it('a rat_ token never reaches other strategies', async () => {
    const d = await auth.authenticate(req('GET', '/x', generateApiToken().token));
    expect(JSON.parse(d.body!).message).toBe('API token is not valid');
  });
  it('errors: 400 bad body, 403 escalation, 404 unknown id, 405 wrong method, other paths untouched', async () => {
    expect((await call('POST', '/auth/tokens', 'bob', { name: 5 }))?.status).toBe(400);
    expect((await call('POST', '/auth/tokens', 'bob', { name: 'x', scopes: ['admin'] }))?.status).toBe(403);
    expect((await call('DELETE', '/auth/tokens/0000000000000000', 'bob'))?.status).toBe(404);
    const wrong = await call('PUT', '/auth/tokens', 'bob');
    expect(wrong?.status).toBe(405);
    expect(await call('GET', '/auth/tokens/x/y', 'bob')).toBeUndefined();
    expect(await call('GET', '/api/items', 'bob')).toBeUndefined();
  });
  it('is off (undefined: the app 404s) when apiTokens are disabled', async () => {
    const off = createRestAuth({}, { strategies: [staticStrategy()] });
    expect(await off.handleTokenRequest(req('GET', '/auth/tokens', 'bob'), PRINCIPALS['bob'], undefined)).toBeUndefined();
  });
});

describe('revocation across instances', () => {
  it('a store with onRevoke drops the cached token on every instance at once', async () => {
    const shared = createMemoryApiTokenStore();
    const listeners = new Set<(id: string) => void>();
    const store: ApiTokenStore = {
      ...shared,
      async revoke(id, at) { const ok = await shared.revoke(id, at); for (const l of listeners) l(id); return ok; },
      onRevoke(l) { listeners.add(l); return () => listeners.delete(l); },
    };
    const a = setup({ store });
    const b = setup({ store });
    const c = await a.create(alice, { name: 'x' });
    await b.verify(c.token); // cached on b
    await a.revoke(alice, c.id);
    expect(await code(b.verify(c.token))).toBe('invalid_token: API token has been revoked');
    await a.close();
    await b.close();
    expect(listeners.size).toBe(0);
  });
  it('without onRevoke, another instance sees it within the cache TTL', async () => {
    let t = 0;
    const store = createMemoryApiTokenStore();
    const a = setup({ store, now: () => t });
    const b = setup({ store, now: () => t });
    const c = await a.create(alice, { name: 'x' });
    await b.verify(c.token);
    await a.revoke(alice, c.id);
    expect((await b.verify(c.token)).username).toBe('alice'); // still cached on b
    t += 10_001;
    expect(await code(b.verify(c.token))).toMatch(/revoked/);
  });
});

describe('readJsonBody', () => {
  async function* chunks(...parts: string[]) { for (const p of parts) yield Buffer.from(p); }
  it('parses JSON split across chunks', async () => expect(await readJsonBody(chunks('{"na', 'me":"x"}'))).toEqual({ name: 'x' }));
  it('is undefined for empty, invalid or oversized bodies', async () => {
    expect(await readJsonBody(chunks())).toBeUndefined();
    expect(await readJsonBody(chunks('{nope'))).toBeUndefined();
    expect(await readJsonBody(chunks('"' + 'x'.repeat(100) + '"'), 50)).toBeUndefined();
  });
});
