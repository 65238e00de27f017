import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import type { ResolvedUserinfoProvider, UserinfoProviderConfig } from '../config/types.js';
import { isRestAuthError } from '../errors.js';
import { createRestAuth } from '../rest-auth.js';
import { createUserinfoStrategy } from './opaque-plugin.js';
import { bearer, json, startServer, type TestHandler, type TestServer } from './test-server.test-helper.js';

const servers: TestServer[] = [];
afterEach(async () => { await Promise.all(servers.splice(0).map((s) => s.close())); });
async function server(handler: TestHandler): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

function userinfo(url: string, extra: Partial<UserinfoProviderConfig> = {}): UserinfoProviderConfig {
  return { name: 'ui', type: 'userinfo', userinfoEndpoint: `${url}/userinfo`, ...extra };
}
const resolved = (p: UserinfoProviderConfig) => validateConfig({ providers: [p] }).providers[0] as ResolvedUserinfoProvider;
const verifyWith = (s: ReturnType<typeof createUserinfoStrategy>, token: string) => s.verify({ kind: 'bearer', token }, { request: bearer(token) });

describe('userinfo', () => {
  it('GETs the endpoint with the bearer token and maps the username by a dotted path', async () => {
    const s = await server((req, res) => json(res, 200, { sub: 's-1', profile: { login: 'alice' }, groups: 'users,admins' }));
    const d = await createRestAuth({ providers: [userinfo(s.url, { usernameClaim: 'profile.login' })] }).authenticate(bearer('tok-1'));
    expect(d.allowed).toBe(true);
    expect(d.principal).toMatchObject({ subject: 's-1', username: 'alice', groups: ['users', 'admins'], provider: 'ui', tokenType: 'opaque' });
    expect(s.seen[0]).toMatchObject({ method: 'GET', url: '/userinfo', body: '' });
    expect(s.seen[0]!.headers['authorization']).toBe('Bearer tok-1');
    expect(s.seen[0]!.headers['accept']).toBe('application/json');
    expect(s.seen[0]!.headers['user-agent']).toBe('restauth');
  });

  it('uses id as the subject when there is no sub (GitHub, GitLab API, Facebook)', async () => {
    const s = await server((req, res) => json(res, 200, { id: 42, name: 'No Login' }));
    const p = await verifyWith(createUserinfoStrategy([resolved(userinfo(s.url, { usernameClaim: 'login' }))]), 't');
    expect(p).toMatchObject({ subject: '42', username: '42' });
  });

  it.each([401, 403, 400])('HTTP %i from the provider is a 401 invalid_token', async (status) => {
    const s = await server((req, res) => json(res, status, { error: 'invalid_token' }));
    const d = await createRestAuth({ providers: [userinfo(s.url)] }).authenticate(bearer('t'));
    expect(d.status).toBe(401);
    expect(JSON.parse(d.body!).error).toBe('invalid_token');
  });

  it('200 with HTML (a login page, a proxy) is a 401 saying the answer is not valid', async () => {
    const s = await server((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!DOCTYPE html><title>Login</title>'); });
    const d = await createRestAuth({ providers: [userinfo(s.url)] }).authenticate(bearer('t'));
    expect(d.status).toBe(401);
    expect(JSON.parse(d.body!).message).toBe('Provider ui gave an answer that is not valid (not a JSON object)');
  });

  it('a JSON answer that names no user is a 401, never an anonymous allow', async () => {
    const s = await server((req, res) => json(res, 200, { name: 'someone' }));
    const d = await createRestAuth({ providers: [userinfo(s.url)] }).authenticate(bearer('t'));
    expect(d.status).toBe(401);
    expect(JSON.parse(d.body!).message).toMatch(/names no user/);
  });

  it('200 with "ok": false or an error member rejects (Slack answers errors with 200)', async () => {
    const s = await server((req, res) => json(res, 200, s.seen.length === 1 ? { ok: false, error: 'invalid_auth' } : { sub: 'x', error: { code: 190 } }));
    const strategy = createUserinfoStrategy([resolved(userinfo(s.url))]);
    expect(await verifyWith(strategy, 'a')).toBeUndefined();
    expect(await verifyWith(strategy, 'b')).toBeUndefined();
  });

  it('a wrong endpoint (404) or a redirect is a 503 for the operator; a redirect is never followed', async () => {
    const target = await server((req, res) => json(res, 200, { sub: 'stolen' }));
    const s = await server((req, res) => {
      if (s.seen.length === 1) json(res, 404, { message: 'Not Found' });
      else { res.writeHead(302, { location: `${target.url}/userinfo` }); res.end(); }
    });
    const auth = createRestAuth({ providers: [userinfo(s.url)] });
    expect((await auth.authenticate(bearer('a'))).status).toBe(503);
    expect((await auth.authenticate(bearer('b'))).status).toBe(503);
    expect(target.seen).toHaveLength(0);
  });

  it('times out with a 503', async () => {
    const s = await server(() => undefined);
    try {
      await verifyWith(createUserinfoStrategy([resolved(userinfo(s.url, { timeoutMs: 150 }))]), 't');
      throw new Error('expected a rejection');
    } catch (e) {
      expect(isRestAuthError(e) && e.code).toBe('temporarily_unavailable');
    }
  });

  it('an answer larger than 256 KiB is refused', async () => {
    const s = await server((req, res) => json(res, 200, { sub: 'x', pad: 'x'.repeat(300 * 1024) }));
    const d = await createRestAuth({ providers: [userinfo(s.url)] }).authenticate(bearer('t'));
    expect(d.allowed).toBe(false);
  });

  it('caches answers (positive for cacheTtlSec, negative for at most 10 s) and coalesces identical calls', async () => {
    let clock = Date.now();
    const s = await server((req, res) => setTimeout(() => (req.headers['authorization'] === 'Bearer good' ? json(res, 200, { sub: 'u' }) : json(res, 401, {})), 30));
    const strategy = createUserinfoStrategy([resolved(userinfo(s.url, { cacheTtlSec: 30 }))], { now: () => clock });
    const all = await Promise.all(Array.from({ length: 100 }, () => verifyWith(strategy, 'good')));
    expect(all.every((p) => p?.username === 'u')).toBe(true);
    expect(s.seen).toHaveLength(1);
    await Promise.all(Array.from({ length: 100 }, () => verifyWith(strategy, 'bad')));
    expect(s.seen).toHaveLength(2);
    clock += 11_000;
    await verifyWith(strategy, 'good');
    await verifyWith(strategy, 'bad');
    expect(s.seen).toHaveLength(3);
    clock += 20_000;
    await verifyWith(strategy, 'good');
    expect(s.seen).toHaveLength(4);
  });
});
