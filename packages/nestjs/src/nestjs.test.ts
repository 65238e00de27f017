import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Delete, Get, HttpCode, Injectable, Module, Post, type ExecutionContext, type INestApplication, type Type } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createRestAuth, type Decision, type RestAuthConfig } from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';
import { sendRawHttp, startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiModule } from './docs-snippet.js';
import { Principal, Public, ReadOnly, RequireGroups, RequireScopes, RESTAUTH, RestAuthGuard, RestAuthModule } from './index.js';

@Controller()
class FixtureController {
  @Public()
  @Get('open')
  open(@Principal() user?: Principal) { return { user: user?.username ?? null }; }

  @Public()
  @Get('closed')
  closed() { return { ok: true }; }

  @Get('me')
  me(@Principal() user: Principal) { return { user: user.username }; }

  @RequireGroups('admins')
  @Get('admin')
  admin() { return { ok: true }; }

  @RequireScopes('items:write')
  @Get('write')
  write() { return { ok: true }; }

  @ReadOnly()
  @Post('search')
  @HttpCode(200)
  search() { return { ok: true }; }

  @Post('create')
  create() { return { ok: true }; }

  @Delete('items/:id')
  @HttpCode(204)
  remove() {}
}

@RequireGroups('admins')
@Controller('admin-area')
class AdminController {
  @Get()
  list() { return { ok: true }; }

  @RequireGroups('users')
  @Get('both')
  both() { return { ok: true }; }
}

@RequireScopes('items:read')
@Controller('scoped')
class ScopedController {
  @RequireScopes('items:write')
  @Get()
  get() { return { ok: true }; }
}

@Public()
@Controller('pub')
class PublicController {
  @Get()
  get() { return { ok: true }; }
}

const denied: string[] = [];

@Injectable()
class CountingGuard extends RestAuthGuard {
  protected override onDeny(decision: Decision, context: ExecutionContext) {
    denied.push(decision.reason);
    return super.onDeny(decision, context);
  }
}

type Platform = 'express' | 'fastify';
let idp: TestIdp;
const tokens: Record<string, string> = {};
const apps: INestApplication[] = [];

async function start(platform: Platform, module: Type<unknown>): Promise<string> {
  const ref = await Test.createTestingModule({ imports: [module] }).compile();
  const app = ref.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
  apps.push(app);
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

function config(overrides: Partial<RestAuthConfig> = {}): RestAuthConfig {
  return {
    realm: 'nest-test',
    providers: [{ name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', discovery: true }],
    policy: { allowGroups: ['users'], readOnlyGroups: ['auditors'], restrictPublic: ['GET /closed'] },
    rateLimit: { enabled: true, limit: 1000, windowSec: 60 },
    ...overrides,
  };
}

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  for (const u of ['alice', 'bob', 'carol', 'eve']) tokens[u] = await idp.userToken(u);
  tokens['bobRead'] = await idp.userToken('bob', { scope: 'items:read' });
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await idp?.close();
});

function raw(base: string, request: string): Promise<string> {
  return sendRawHttp(Number(new URL(base).port), request).then((r) => r.text);
}

describe.each<Platform>(['express', 'fastify'])('@restauth/nestjs on %s', (platform) => {
  let base: string;
  let limited: string;
  let custom: string;
  let gateRuns = 0;
  const send = (path: string, token?: string, init: RequestInit = {}, root = base) =>
    fetch(root + path, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) } });

  beforeAll(async () => {
    @Module({ imports: [RestAuthModule.forRoot(config())], controllers: [FixtureController, AdminController, ScopedController, PublicController] })
    class MainModule {}
    base = await start(platform, MainModule);

    const file = join(tmpdir(), `restauth-nestjs-${process.pid}-${platform}.json`);
    writeFileSync(file, JSON.stringify(config({ rateLimit: { enabled: true, limit: 2, windowSec: 60 } })));
    @Module({ imports: [RestAuthModule.forRootAsync({ useFactory: async () => ({ config: file }) })], controllers: [FixtureController] })
    class LimitedModule {}
    limited = await start(platform, LimitedModule);

    const instance = createRestAuth(config(), { plugins: [jwtPlugin()] });
    // The gate's two entries (the guard uses begin(), which audits the final status).
    const authenticate = instance.authenticate.bind(instance);
    instance.authenticate = (...args) => { gateRuns++; return authenticate(...args); };
    const begin = instance.begin.bind(instance);
    instance.begin = (...args) => { gateRuns++; return begin(...args); };
    @Module({ imports: [RestAuthModule.forRoot(instance, { guard: CountingGuard })], controllers: [FixtureController] })
    class CustomModule {}
    custom = await start(platform, CustomModule);
  });

  it('401 with the bare challenge and the core body, byte for byte, when no token is sent', async () => {
    const res = await send('/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="nest-test"');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.text()).toBe('{"error":"unauthorized","message":"Authentication required"}');
  });

  it('200 with the principal and rate-limit headers for a token from the IdP', async () => {
    const res = await send('/me', tokens['alice']);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: 'alice' });
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('ratelimit-limit')).toBe('1000');
    expect(res.headers.get('ratelimit-policy')).toBe('1000;w=60');
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('401 invalid_token for an expired or garbage token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await idp.signJwt({ iss: idp.issuer, aud: 'api', sub: 'x', exp: now - 3600, iat: now - 7200 });
    const res = await send('/me', expired);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="nest-test", error="invalid_token", error_description="Token expired"');
    expect(await res.text()).toBe('{"error":"invalid_token","message":"Token expired"}');
    expect((await send('/me', 'not.a.jwt')).status).toBe(401);
  });

  it('400 invalid_request for a malformed Authorization header', async () => {
    const res = await send('/me', undefined, { headers: { authorization: 'Bearer a b' } });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('{"error":"invalid_request","message":"Malformed bearer token"}');
  });

  it('403 outside allowGroups, without a challenge', async () => {
    const res = await send('/me', tokens['eve']);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(await res.text()).toBe('{"error":"forbidden","message":"Not a member of an allowed group"}');
  });

  it('@RequireGroups: 403 without the group, 200 with it', async () => {
    const res = await send('/admin', tokens['bob']);
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('{"error":"forbidden","message":"Requires membership of one of: admins"}');
    expect((await send('/admin', tokens['alice'])).status).toBe(200);
  });

  it('@RequireScopes: 403 insufficient_scope naming the scope', async () => {
    const res = await send('/write', tokens['bobRead']);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="nest-test", error="insufficient_scope", error_description="Requires scope: items:write", scope="items:write"');
    expect(await res.text()).toBe('{"error":"insufficient_scope","message":"Requires scope: items:write"}');
    expect((await send('/write', tokens['bob'])).status).toBe(200);
  });

  it('controller and handler requirements: groups both hold, scopes add up', async () => {
    expect((await send('/admin-area', tokens['bob'])).status).toBe(403);
    expect((await send('/admin-area', tokens['alice'])).status).toBe(200);
    const both = await send('/admin-area/both', tokens['bob']);
    expect(both.status).toBe(403); // a member of `users` only: the controller's `admins` still applies
    expect(await both.text()).toBe('{"error":"forbidden","message":"Requires membership of one of: admins"}');
    expect(both.headers.get('ratelimit-limit')).toBe('1000');
    expect((await send('/admin-area/both', tokens['alice'])).status).toBe(200);
    const scoped = await send('/scoped', tokens['bobRead']);
    expect(scoped.status).toBe(403);
    expect(await scoped.text()).toBe('{"error":"insufficient_scope","message":"Requires scope: items:write items:read"}');
    expect((await send('/scoped', tokens['bob'])).status).toBe(200);
  });

  it('@ReadOnly lets a read-only member POST there and nowhere else', async () => {
    expect((await send('/search', tokens['carol'], { method: 'POST' })).status).toBe(200);
    const res = await send('/create', tokens['carol'], { method: 'POST' });
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('{"error":"forbidden","message":"Read-only access: POST is not allowed"}');
  });

  it('@Public: anonymous passes, a token is still verified, restrictPublic closes it', async () => {
    expect(await (await send('/open')).json()).toEqual({ user: null });
    expect(await (await send('/open', tokens['bob'])).json()).toEqual({ user: 'bob' });
    expect((await send('/open', 'not.a.jwt')).status).toBe(401);
    expect((await send('/pub')).status).toBe(200);
    const closed = await send('/closed');
    expect(closed.status).toBe(401);
    expect(await closed.text()).toBe('{"error":"unauthorized","message":"Authentication required"}');
    expect((await send('/closed', tokens['bob'])).status).toBe(200);
  });

  it('DELETE → 204 with an empty body', async () => {
    const res = await send('/items/1', tokens['alice'], { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('judges the original URL, including an absolute-form request target', async () => {
    expect((await send('/me?x=/open')).status).toBe(401);
    const res = await raw(base, 'GET http://example.com/me HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
    expect(res).toMatch(/^HTTP\/1\.1 401 /);
  });

  it('429 after the limit with Retry-After (config from a file, forRootAsync)', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 3; i++) last = await send('/me', tokens['bob'], {}, limited);
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.headers.get('ratelimit-remaining')).toBe('0');
    expect(last!.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await last!.text()).toBe('{"error":"rate_limited","message":"Rate limit exceeded"}');
  });

  it('takes an instance and a guard subclass', async () => {
    denied.length = 0;
    expect((await send('/me', tokens['alice'], {}, custom)).status).toBe(200);
    expect((await send('/me', undefined, {}, custom)).status).toBe(401);
    expect(denied).toEqual(['credentials']);
  });

  it('an unknown path without credentials: the 401 of any protected route, byte for byte', async () => {
    const known = await send('/me');
    for (const [method, path] of [['GET', '/nope'], ['POST', '/api/nope?x=1'], ['PUT', '/me'], ['DELETE', '/admin-area/x/y']] as const) {
      const res = await send(path, undefined, { method });
      expect(res.status, `${method} ${path}`).toBe(401);
      for (const h of ['www-authenticate', 'content-type', 'ratelimit-limit']) expect(res.headers.get(h), h).toBe(known.headers.get(h));
      expect(await res.text()).toBe('{"error":"unauthorized","message":"Authentication required"}');
    }
    const bad = await send('/nope', 'not.a.jwt');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer realm="nest-test", error="invalid_token"/);
    expect((await send('/nope', tokens['eve'])).status).toBe(403);
  });

  it('an unknown path with a valid token: the app\'s own 404, with the rate-limit headers', async () => {
    const res = await send('/nope', tokens['alice']);
    expect(res.status).toBe(404);
    expect(res.headers.get('ratelimit-limit')).toBe('1000');
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(await res.json()).toMatchObject({ statusCode: 404, message: 'Cannot GET /nope' });
  });

  it('runs the gate once per request, routed or not, and through the guard subclass', async () => {
    denied.length = 0;
    gateRuns = 0;
    expect((await send('/me', tokens['alice'], {}, custom)).status).toBe(200);
    expect(gateRuns).toBe(1);
    expect((await send('/open', undefined, {}, custom)).status).toBe(200);
    expect(gateRuns).toBe(2);
    expect((await send('/nope', undefined, {}, custom)).status).toBe(401);
    expect(gateRuns).toBe(3);
    expect((await send('/nope', tokens['alice'], {}, custom)).status).toBe(404);
    expect(gateRuns).toBe(4);
    expect(denied).toEqual(['credentials']);
  });

  it('survives junk requests (4xx each, never a 500 or a hang) and still answers', async () => {
    for (const req of [
      'GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00ff\u00fe\r\nConnection: close\r\n\r\n',
      'GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: ' + 'A'.repeat(20_000) + '\r\nConnection: close\r\n\r\n',
      'GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\nConnection: close\r\n\r\n',
      'GET /%zz%%/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET /me/%c0%ae HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET http://evil/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET /me HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: \u0000\u0001garbage\r\nConnection: close\r\n\r\n',
      'GET /m\u00e9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ]) {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(await raw(base, req))?.[1]);
      expect(status, req.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(status, req.slice(0, 40)).toBeLessThan(500);
    }
    expect((await send('/me', tokens['alice'])).status).toBe(200);
  });

  it('injects the instance under RESTAUTH', () => {
    const app = apps.find((a) => { try { return a.get(RESTAUTH, { strict: false }); } catch { return false; } });
    expect(app?.get(RESTAUTH, { strict: false }).config.realm).toBe('nest-test');
  });

  describe('docs/frameworks/nestjs.md snippet', () => {
    let snippet: string;
    beforeAll(async () => { snippet = await start(platform, createApiModule(idp.issuer)); });

    it('is the code in docs-snippet.ts', () => {
      const doc = readFileSync(new URL('../../../docs/frameworks/nestjs.md', import.meta.url), 'utf8');
      const code = readFileSync(new URL('./docs-snippet.ts', import.meta.url), 'utf8');
      expect(doc).toContain(code.slice(code.indexOf('import {')).trim());
    });

    it('runs: public, protected, admin-only', async () => {
      expect(await (await send('/public/info', undefined, {}, snippet)).json()).toEqual({ hello: 'anonymous' });
      expect((await send('/api/me', undefined, {}, snippet)).status).toBe(401);
      expect(await (await send('/api/me', tokens['bob'], {}, snippet)).json()).toEqual({ username: 'bob', groups: ['users'] });
      expect((await send('/api/items/1', tokens['bob'], { method: 'DELETE' }, snippet)).status).toBe(403);
      expect((await send('/api/items/1', tokens['alice'], { method: 'DELETE' }, snippet)).status).toBe(204);
    });
  });
});
