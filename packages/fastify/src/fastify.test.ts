import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { createRestAuth, type RestAuthConfig } from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';
import { sendRawHttp, startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { requireAuth, restauth, type Principal } from './index.js';
import { createApi } from './docs-snippet.js';

let idp: TestIdp;
let base: string;
let snippetBase: string;
const apps: FastifyInstance[] = [];
const tokens: Record<string, string> = {};

function config(extra: Partial<RestAuthConfig> = {}): RestAuthConfig {
  return {
    realm: 'fastify-test',
    providers: [{ name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', discovery: true }],
    policy: { allowGroups: ['users'], readOnlyGroups: ['auditors'], restrictPublic: ['GET /closed'], bypass: ['GET /health'] },
    rateLimit: { enabled: true, limit: 8, windowSec: 60 },
    ...extra,
  };
}

async function listen(app: FastifyInstance): Promise<string> {
  apps.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  for (const u of ['alice', 'bob', 'carol', 'eve']) tokens[u] = await idp.userToken(u);
  tokens['bobRead'] = await idp.userToken('bob', { scope: 'items:read' });
  const app = Fastify();
  await app.register(restauth, { config: config() });
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/open', { config: { restauth: { public: true } } }, async (request) => ({ user: request.auth?.username ?? null }));
  app.get('/closed', { config: { restauth: { public: true } } }, async () => ({ ok: true }));
  app.get('/me', async (request) => ({ user: request.auth?.username }));
  app.get('/admin', { config: { restauth: { groups: ['admins'] } } }, async () => ({ ok: true }));
  app.get('/write', { config: { restauth: { scopes: ['items:write'] } } }, async () => ({ ok: true }));
  app.post('/search', { config: { restauth: { readOnly: true } } }, async () => ({ ok: true }));
  app.post('/items', async () => ({ ok: true }));
  app.get('/hooked', { preHandler: requireAuth({ groups: ['admins'] }) }, async () => ({ ok: true }));
  await app.register(async (scoped) => {
    scoped.addHook('preHandler', requireAuth({ scopes: ['items:write'] }));
    scoped.get('/x', async (request) => ({ user: request.auth?.username }));
  }, { prefix: '/scoped' });
  base = await listen(app);
  snippetBase = await listen(await createApi(idp.issuer));
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await idp?.close();
});

const get = (path: string, token?: string, root = base, init: RequestInit = {}) =>
  fetch(root + path, { ...init, headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('@restauth/fastify', () => {
  it('401 with the RFC 6750 challenge and the exact JSON body when no token is sent', async () => {
    const res = await get('/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="fastify-test"');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = '{"error":"unauthorized","message":"Authentication required"}';
    expect(res.headers.get('content-length')).toBe(String(body.length));
    expect(await res.text()).toBe(body);
  });
  it('200 and request.auth for a token from the IdP, with rate-limit headers', async () => {
    const res = await get('/me', tokens['alice']);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: 'alice' });
    expect(res.headers.get('ratelimit-limit')).toBe('8');
    expect(res.headers.get('ratelimit-policy')).toBe('8;w=60');
  });
  it('401 invalid_token for an expired or unparsable token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await idp.signJwt({ iss: idp.issuer, aud: 'api', sub: 'x', exp: now - 600, iat: now - 900 });
    const res = await get('/me', expired);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="fastify-test", error="invalid_token", error_description="Token expired"');
    expect(await res.text()).toBe('{"error":"invalid_token","message":"Token expired"}');
    expect((await get('/me', 'not.a.jwt')).status).toBe(401);
  });
  it('403 outside allowGroups', async () => {
    const res = await get('/me', tokens['eve']);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(await res.text()).toBe('{"error":"forbidden","message":"Not a member of an allowed group"}');
  });
  it('route config groups: 403 without the group, 200 with it', async () => {
    const res = await get('/admin', tokens['bob']);
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('{"error":"forbidden","message":"Requires membership of one of: admins"}');
    expect((await get('/admin', tokens['alice'])).status).toBe(200);
  });
  it('route config scopes: 403 insufficient_scope naming the scope', async () => {
    const res = await get('/write', tokens['bobRead']);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="fastify-test", error="insufficient_scope", error_description="Requires scope: items:write", scope="items:write"');
    expect(await res.text()).toBe('{"error":"insufficient_scope","message":"Requires scope: items:write"}');
    expect((await get('/write', tokens['bob'])).status).toBe(200);
  });
  it('route config readOnly lets a read-only member POST there, and only there', async () => {
    expect((await get('/search', tokens['carol'], base, { method: 'POST' })).status).toBe(200);
    expect((await get('/items', tokens['carol'], base, { method: 'POST' })).status).toBe(403);
  });
  it('requireAuth as a route preHandler and for a whole encapsulated plugin', async () => {
    expect((await get('/hooked', tokens['bob'])).status).toBe(403);
    expect((await get('/hooked', tokens['alice'])).status).toBe(200);
    const denied = await get('/scoped/x', tokens['bobRead']);
    expect(denied.status).toBe(403);
    expect(await denied.text()).toBe('{"error":"insufficient_scope","message":"Requires scope: items:write"}');
    expect(await (await get('/scoped/x', tokens['bob'])).json()).toEqual({ user: 'bob' });
    expect((await get('/scoped/x')).status).toBe(401);
  });
  it('public routes: anonymous passes, a token is still verified, restrictPublic closes', async () => {
    expect(await (await get('/open')).json()).toEqual({ user: null });
    expect(await (await get('/open', tokens['bob'])).json()).toEqual({ user: 'bob' });
    expect((await get('/open', 'not.a.jwt')).status).toBe(401);
    const closed = await get('/closed');
    expect(closed.status).toBe(401);
    expect(await closed.text()).toBe('{"error":"unauthorized","message":"Authentication required"}');
    expect((await get('/closed', tokens['bob'])).status).toBe(200);
  });
  it('bypassed routes get nothing from the gate', async () => {
    const res = await get('/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-limit')).toBeNull();
  });
  it('unknown routes: 401 before 404, and 404 with a token', async () => {
    expect((await get('/nope')).status).toBe(401);
    expect((await get('/nope', tokens['alice'])).status).toBe(404);
  });
  it('HEAD follows its GET route', async () => {
    expect((await get('/me', undefined, base, { method: 'HEAD' })).status).toBe(401);
    expect((await get('/me', tokens['alice'], base, { method: 'HEAD' })).status).toBe(200);
  });
  it('survives junk requests: each gets a 4xx, and the server still answers', async () => {
    const port = Number(new URL(base).port);
    const raw = (req: string | Buffer) => sendRawHttp(port, req).then((r) => r.text);
    const end = 'Connection: close\r\n\r\n';
    for (const req of [
      `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00ff\u00fe\r\n${end}`,
      `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: ${'A'.repeat(20_000)}\r\n${end}`,
      `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n${end}`,
      `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YTpi\r\nAuthorization: Bearer ${tokens['alice']}\r\n${end}`,
      `GET /%zz HTTP/1.1\r\nHost: x\r\n${end}`,
      `GET /me/%c0%ae%c0%ae%E0%A4%A HTTP/1.1\r\nHost: x\r\n${end}`,
      `GET http://evil/me HTTP/1.1\r\nHost: x\r\n${end}`,
      `GET /me HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: \u0001\r\n${end}`,
      `GET /m\u00e9/\u00ff HTTP/1.1\r\nHost: x\r\n${end}`,
      `GET /me?access_token=a&access_token=b HTTP/1.1\r\nHost: x\r\n${end}`,
      `POST /open HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{"a":`,
      `GARBAGE\r\n\r\n`,
      Buffer.concat([Buffer.from('GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer '), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from(`\r\n${end}`)]),
    ]) {
      const response = await raw(req);
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(response)?.[1]);
      expect(status, String(req).slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(status, String(req).slice(0, 60)).toBeLessThan(500);
    }
    expect((await get('/me', tokens['alice'])).status).toBe(200);
  });
  it('429 after the limit, with Retry-After and RateLimit headers', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 9; i++) last = await get('/me', tokens['carol']);
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.headers.get('ratelimit-remaining')).toBe('0');
    expect(await last!.text()).toBe('{"error":"rate_limited","message":"Rate limit exceeded"}');
  });
});

describe('registration', () => {
  it('decorates the instance and types request.auth', async () => {
    const app = Fastify();
    await app.register(restauth, { config: config() });
    app.get('/t', async (request) => { expectTypeOf(request.auth).toEqualTypeOf<Principal | undefined>(); return null; });
    await app.ready();
    expect(app.restauth.config.realm).toBe('fastify-test');
    expect(app.hasRequestDecorator('auth')).toBe(true);
    let closed = false;
    const close = app.restauth.close;
    Object.assign(app.restauth, { close: async () => { await close(); closed = true; } });
    await app.close();
    expect(closed).toBe(true); // the plugin made the instance, so app.close() closes it
  });
  it('takes an instance the app owns (and does not close it)', async () => {
    const instance = createRestAuth(config(), { plugins: [jwtPlugin()] });
    const app = Fastify();
    await app.register(restauth, { instance });
    app.get('/me', async (request) => ({ user: request.auth?.username }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    expect(app.restauth).toBe(instance);
    expect((await get('/me', tokens['bob'], url)).status).toBe(200);
    const close = instance.close;
    let closed = false;
    Object.assign(instance, { close: async () => { closed = true; await close(); } });
    await app.close();
    expect(closed).toBe(false);
    await instance.close();
  });
  it('refuses neither or both of config and instance', async () => {
    const instance = createRestAuth(config(), { plugins: [jwtPlugin()] });
    await expect(Fastify().register(restauth, {} as never).ready()).rejects.toThrow(/exactly one of/);
    await expect(Fastify().register(restauth, { config: config(), instance } as never).ready()).rejects.toThrow(/exactly one of/);
    await instance.close();
  });
  it('rejects a mistyped route config at start-up', async () => {
    const app = Fastify();
    await app.register(restauth, { config: config() });
    expect(() => app.get('/x', { config: { restauth: { group: ['admins'] } as never } }, async () => null)).toThrow(/GET \/x config\.restauth\.group: is not a restauth route option/);
    expect(() => app.get('/y', { config: { restauth: { scopes: 'admin' } as never } }, async () => null)).toThrow(/config\.restauth\.scopes: has the wrong type/);
    await app.close();
  });
  it('honours the route config of routes added before the plugin finished loading', async () => {
    const app = Fastify();
    void app.register(restauth, { config: config() });
    app.get('/admin', { config: { restauth: { groups: ['admins'] } } }, async () => ({ ok: true }));
    app.get('/open', { config: { restauth: { public: true } } }, async () => ({ ok: true }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    expect((await get('/admin', tokens['bob'], url)).status).toBe(403);
    expect((await get('/admin', tokens['alice'], url)).status).toBe(200);
    expect((await get('/open', undefined, url)).status).toBe(200);
    await app.close();
  });
  it('requireAuth without the plugin fails closed', async () => {
    const app = Fastify();
    app.get('/x', { preHandler: requireAuth({ groups: ['admins'] }) }, async () => ({ ok: true }));
    const url = await listen(app);
    const res = await fetch(url + '/x');
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('{"error":"unauthorized","message":"Authentication required"}');
  });
});

describe('docs/frameworks/fastify.md snippet', () => {
  it('is the code in docs-snippet.ts', () => {
    const doc = readFileSync(new URL('../../../docs/frameworks/fastify.md', import.meta.url), 'utf8');
    const code = readFileSync(new URL('./docs-snippet.ts', import.meta.url), 'utf8');
    expect(doc).toContain(code.slice(code.indexOf('import Fastify')).trim());
  });
  it('runs: public, protected, admin-only', async () => {
    expect((await get('/health', undefined, snippetBase)).status).toBe(200);
    expect(await (await get('/public/info', undefined, snippetBase)).json()).toEqual({ hello: 'anonymous' });
    expect((await get('/api/me', undefined, snippetBase)).status).toBe(401);
    expect(await (await get('/api/me', tokens['bob'], snippetBase)).json()).toEqual({ username: 'bob', groups: ['users'] });
    const del = (t: string) => fetch(snippetBase + '/api/items/1', { method: 'DELETE', headers: { authorization: `Bearer ${t}` } });
    expect((await del(tokens['bob']!)).status).toBe(403);
    expect((await del(tokens['alice']!)).status).toBe(204);
    const reindex = (t: string) => fetch(snippetBase + '/api/admin/reindex', { method: 'POST', headers: { authorization: `Bearer ${t}` } });
    expect((await reindex(tokens['bob']!)).status).toBe(403);
    expect(await (await reindex(tokens['alice']!)).json()).toEqual({ started: true });
  });
});
