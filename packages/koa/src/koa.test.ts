import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Koa from 'koa';
import Koa2 from 'koa2';
import Router from '@koa/router';
import { createRestAuth, type Principal } from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';
import { sendRawHttp, startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { requireAuth, restauth } from './index.js';
import { createApi } from './docs-snippet.js';

let idp: TestIdp;
const tokens: Record<string, string> = {};
const servers: Server[] = [];

function listen(app: Koa): Promise<string> {
  return new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`));
    servers.push(s);
  });
}

const get = (url: string, token?: string, init: RequestInit = {}) =>
  fetch(url, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) } });

/** One raw request over a socket; resolves the status of the answer, or 0 if none came within 5 s. */
function raw(base: string, request: Buffer | string): Promise<number> {
  return sendRawHttp(Number(new URL(base).port), request).then((r) => r.status);
}

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  for (const u of ['alice', 'bob', 'carol', 'eve']) tokens[u] = await idp.userToken(u);
  tokens['bobRead'] = await idp.userToken('bob', { scope: 'items:read' });
});

afterAll(async () => {
  for (const s of servers) s.close();
  await idp?.close();
});

describe.each([
  ['koa3', Koa],
  ['koa2', Koa2],
])('@restauth/koa on %s', (_name, KoaCtor) => {
  let base: string;
  let seen: Principal | undefined;

  beforeAll(async () => {
    const auth = restauth({
      realm: 'koa-test',
      providers: [{ name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri }],
      policy: { allowGroups: ['users'], restrictPublic: ['GET /closed'], public: ['GET /rewritten-target'] },
      rateLimit: { enabled: true, limit: 8, windowSec: 60 },
    });
    const app = new KoaCtor();
    const open = new Router();
    open.get('/open', auth.public(), (ctx) => { ctx.body = { user: ctx.state.auth?.username ?? null }; });
    open.get('/closed', auth.public(), (ctx) => { ctx.body = { ok: true }; });
    // An upstream rewrite must not change what the gate judges (it reads ctx.originalUrl).
    app.use((ctx, next) => {
      if (ctx.path === '/rewrite-me') ctx.url = '/rewritten-target';
      return next();
    });
    app.use(open.routes());
    app.use(auth);
    const api = new Router();
    api.get('/me', (ctx) => { seen = ctx.state.auth; ctx.body = { user: ctx.state.auth?.username }; });
    api.get('/admin', requireAuth({ groups: ['admins'] }), (ctx) => { ctx.body = { ok: true }; });
    api.get('/write', auth.requireAuth({ scopes: ['items:write'] }), (ctx) => { ctx.body = { ok: true }; });
    // public() after the gate already ran does nothing (no second rate-limit hit).
    api.get('/late-public', auth.public(), (ctx) => { ctx.body = { user: ctx.state.auth?.username }; });
    api.get('/rewritten-target', (ctx) => { ctx.body = { reached: true }; });
    app.use(api.routes());
    base = await listen(app);
  });

  it('401 with the exact challenge, content-type and body bytes when no token is sent', async () => {
    const res = await get(base + '/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="koa-test"');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = '{"error":"unauthorized","message":"Authentication required"}';
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(body))).toBe(true);
    expect(res.headers.get('content-length')).toBe(String(body.length));
  });

  it('HEAD gets the deny status and headers without a body', async () => {
    const res = await get(base + '/me', undefined, { method: 'HEAD' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.text()).toBe('');
  });

  it('200 and ctx.state.auth for a token from the IdP, with rate-limit headers', async () => {
    const res = await get(base + '/me', tokens['alice']);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: 'alice' });
    expect(res.headers.get('ratelimit-limit')).toBe('8');
    expect(res.headers.get('ratelimit-policy')).toBe('8;w=60');
    expect(seen).toMatchObject({ username: 'alice', groups: ['users', 'admins'], provider: 'idp', tokenType: 'jwt' });
  });

  it('401 invalid_token for an expired and for a garbage token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await idp.signJwt({ iss: idp.issuer, aud: 'api', sub: 'x', exp: now - 100, iat: now - 200 });
    const res = await get(base + '/me', expired);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="koa-test", error="invalid_token", error_description="Token expired"');
    expect(await res.text()).toBe('{"error":"invalid_token","message":"Token expired"}');
    const junk = await get(base + '/me', 'not.a.jwt');
    expect(junk.status).toBe(401);
    expect(junk.headers.get('www-authenticate')).toMatch(/^Bearer realm="koa-test", error="invalid_token"/);
  });

  it('403 outside allowGroups', async () => {
    const res = await get(base + '/me', tokens['eve']);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(await res.text()).toBe('{"error":"forbidden","message":"Not a member of an allowed group"}');
  });

  it('requireAuth: 403 without the group, 200 with it', async () => {
    const res = await get(base + '/admin', tokens['bob']);
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('{"error":"forbidden","message":"Requires membership of one of: admins"}');
    expect(res.headers.get('ratelimit-limit')).toBe('8'); // the gate's headers stay on a route deny
    expect((await get(base + '/admin', tokens['alice'])).status).toBe(200);
  });

  it('requireAuth: 403 insufficient_scope naming the scope', async () => {
    const res = await get(base + '/write', tokens['bobRead']);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="koa-test", error="insufficient_scope", error_description="Requires scope: items:write", scope="items:write"',
    );
    expect(await res.text()).toBe('{"error":"insufficient_scope","message":"Requires scope: items:write"}');
    expect((await get(base + '/write', tokens['bob'])).status).toBe(200);
  });

  it('public routes: anonymous passes, a token is still verified, restrictPublic closes', async () => {
    expect(await (await get(base + '/open')).json()).toEqual({ user: null });
    expect(await (await get(base + '/open', tokens['bob'])).json()).toEqual({ user: 'bob' });
    expect((await get(base + '/open', 'not.a.jwt')).status).toBe(401);
    const closed = await get(base + '/closed');
    expect(closed.status).toBe(401);
    expect(await closed.text()).toBe('{"error":"unauthorized","message":"Authentication required"}');
  });

  it('public() is idempotent after the gate', async () => {
    const first = await get(base + '/late-public', tokens['carol']);
    const second = await get(base + '/late-public', tokens['carol']);
    expect(await second.json()).toEqual({ user: 'carol' });
    expect(Number(first.headers.get('ratelimit-remaining')) - Number(second.headers.get('ratelimit-remaining'))).toBe(1);
    expect((await get(base + '/late-public')).status).toBe(401);
  });

  it('judges the original URL, not one rewritten upstream', async () => {
    expect((await get(base + '/rewrite-me')).status).toBe(401);
    expect((await get(base + '/rewritten-target')).status).toBe(200); // public in the config
  });

  it('an unknown or malformed request never crashes the adapter', async () => {
    const end = 'Connection: close\r\n\r\n';
    const junk: (string | Buffer)[] = [
      `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00ff\u00fe\u0080\r\n${end}`,
      `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'A'.repeat(20_000)}\r\n${end}`,
      `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'A'.repeat(9_000)}\r\n${end}`,
      `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n${end}`,
      `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Zm9vOmJhcg==\r\nAuthorization: Bearer ${tokens['alice']}\r\n${end}`,
      `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Basic !!!\r\n${end}`,
      `GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: \r\n${end}`,
      `GET /%zz/%E0%A4%A HTTP/1.1\r\nHost: x\r\n${end}`,
      `GET /open/%zz HTTP/1.1\r\nHost: x\r\n${end}`,
      `GET http://evil.example/me HTTP/1.1\r\nHost: x\r\n${end}`,
      `GET http://evil.example HTTP/1.1\r\nHost: x\r\n${end}`,
      `GET * HTTP/1.1\r\nHost: x\r\n${end}`,
      `GET /me HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: \u0001, ::ffff:999.1.1.1, [zz]\r\n${end}`,
      `GET /me HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: ${'1.2.3.4, '.repeat(2000)}\r\n${end}`,
      `GET /m\u00e9/\u00ff HTTP/1.1\r\nHost: x\r\n${end}`,
      Buffer.concat([Buffer.from('GET /me?x='), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(` HTTP/1.1\r\nHost: x\r\n${end}`)]),
      `FOO /me HTTP/1.1\r\nHost: x\r\n${end}`,
      `GET /me?access_token=abc&access_token=def HTTP/1.1\r\nHost: x\r\n${end}`,
      `POST /me HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n${end}garbage`,
    ];
    for (const request of junk) {
      const status = await raw(base, request);
      expect(status, String(request).slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(status, String(request).slice(0, 80)).toBeLessThan(500);
    }
    expect((await get(base + '/me', tokens['alice'])).status).toBe(200);
  });

  it('429 after the limit, with Retry-After and the core body', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 10; i++) last = await get(base + '/me', tokens['bob']);
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.headers.get('ratelimit-remaining')).toBe('0');
    expect(last!.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await last!.text()).toBe('{"error":"rate_limited","message":"Rate limit exceeded"}');
  });

  it('requireAuth without the gate fails closed', async () => {
    const app = new KoaCtor();
    const router = new Router();
    router.get('/x', requireAuth({ groups: ['admins'] }), (ctx) => { ctx.body = { ok: true }; });
    app.use(router.routes());
    const b = await listen(app);
    const res = await fetch(b + '/x');
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('{"error":"unauthorized","message":"Authentication required"}');
  });
});

describe('restauth() inputs', () => {
  it('takes an instance, and a config file path', async () => {
    const instance = createRestAuth({ providers: [{ name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri }] }, { plugins: [jwtPlugin()] });
    expect(restauth(instance).instance).toBe(instance);

    const dir = mkdtempSync(join(tmpdir(), 'restauth-koa-'));
    const file = join(dir, 'restauth.config.json');
    writeFileSync(file, JSON.stringify({ realm: 'from-file', providers: [{ name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri }] }));
    const auth = restauth(file);
    expect(auth.instance.config.realm).toBe('from-file');
    const app = new Koa().use(auth).use((ctx) => { ctx.body = { user: ctx.state.auth?.username }; });
    const b = await listen(app);
    expect((await fetch(b + '/')).headers.get('www-authenticate')).toBe('Bearer realm="from-file"');
    expect(await (await get(b + '/', tokens['bob'])).json()).toEqual({ user: 'bob' });
  });

  it('types ctx.state.auth as Principal | undefined, also next to an app\'s own state', () => {
    new Koa().use((ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<Principal | undefined>();
    });
    interface TenantState { tenant: string }
    const auth = restauth(createRestAuth({ enabled: false }, { plugins: [jwtPlugin()] }));
    const app = new Koa<TenantState>().use(auth);
    const router = new Router<TenantState>();
    router.get('/x', auth.public(), auth.requireAuth({ groups: ['a'] }), requireAuth({ scopes: ['b'] }), (ctx) => {
      expectTypeOf(ctx.state.tenant).toEqualTypeOf<string>();
      expectTypeOf(ctx.state.auth).toEqualTypeOf<Principal | undefined>();
    });
    app.use(router.routes());
  });
});

describe('docs/frameworks/koa.md snippet', () => {
  it('is the code in docs-snippet.ts', () => {
    const doc = readFileSync(new URL('../../../docs/frameworks/koa.md', import.meta.url), 'utf8');
    const code = readFileSync(new URL('./docs-snippet.ts', import.meta.url), 'utf8');
    expect(doc).toContain(code.slice(code.indexOf('import Koa')).trim());
  });

  it('runs: public, protected, admin-only', async () => {
    const b = await listen(createApi(idp.issuer).app);
    expect((await get(b + '/health')).status).toBe(200);
    expect(await (await get(b + '/public/info')).json()).toEqual({ hello: 'anonymous' });
    expect((await get(b + '/api/me')).status).toBe(401);
    expect(await (await get(b + '/api/me', tokens['bob'])).json()).toEqual({ username: 'bob', groups: ['users'] });
    const del = (t: string) => fetch(b + '/api/items/1', { method: 'DELETE', headers: { authorization: `Bearer ${t}` } });
    expect((await del(tokens['bob']!)).status).toBe(403);
    expect((await del(tokens['alice']!)).status).toBe(204);
  });
});
