import { gzipSync } from 'node:zlib';
import { junkRequests, sendRawHttp, startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BYPASS_ATTEMPTS, CASES, mainConfig, strictConfig, type Case, type ConfigName, type TokenName } from './cases.js';
import { startApp, writeConfig, type RunningApp } from './process.js';
import { TARGETS } from './targets.js';
import { tokenLifeCycle } from './token-life-cycle.js';

let idp: TestIdp;
const tokens = {} as Record<TokenName, string>;
const apps = new Map<string, Record<ConfigName, RunningApp>>();

function tamper(jwt: string): string {
  const [h, p, s] = jwt.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  payload.groups = ['admins'];
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
}

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: idp.issuer, aud: 'api', sub: 'alice', preferred_username: 'alice', groups: ['users'], client_id: 'restauth-test', scope: 'items:read' };
  const [alice, bob, bobReadOnly, carol, eve, serviceA] = await Promise.all([
    idp.userToken('alice'), idp.userToken('bob'), idp.userToken('bob', { scope: 'items:read' }), idp.userToken('carol'), idp.userToken('eve'), idp.clientToken('service-a'),
  ]);
  Object.assign(tokens, {
    alice, bob, bobReadOnly, carol, eve, serviceA,
    expired: await idp.signJwt({ ...claims, iat: now - 7200, exp: now - 3600 }),
    wrongAudience: await idp.signJwt({ ...claims, aud: 'other-api', iat: now, exp: now + 600 }),
    algNone: await idp.signJwt({ ...claims, iat: now, exp: now + 600 }, { alg: 'none' }),
    unknownIssuer: await idp.signJwt({ ...claims, iss: 'http://127.0.0.1:1/evil', iat: now, exp: now + 600 }),
    tampered: tamper(alice),
  });
  const files = {
    main: writeConfig('main', mainConfig(idp.issuer, idp.jwksUri)),
    strict: writeConfig('strict', strictConfig(idp.issuer, idp.jwksUri)),
  };
  await Promise.all(TARGETS.map(async (t) => {
    const [main, strict] = await Promise.all([startApp(t, files.main), startApp(t, files.strict)]);
    apps.set(t.name, { main, strict });
  }));
});

afterAll(async () => {
  await Promise.all([...apps.values()].flatMap((a) => [a.main.stop(), a.strict.stop()]));
  await idp?.close();
});

async function send(app: RunningApp, c: Pick<Case, 'method' | 'path' | 'token' | 'scheme' | 'headers' | 'body'>): Promise<Response> {
  const headers: Record<string, string> = { ...c.headers };
  if (c.token) headers['authorization'] = `${c.scheme ?? 'Bearer'} ${tokens[c.token]}`;
  if (c.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(app.url + c.path, { method: c.method ?? 'GET', headers, body: c.body === undefined ? undefined : JSON.stringify(c.body), redirect: 'manual' });
}

describe.each(TARGETS.map((t) => [t.name]))('%s', (name) => {
  const app = (config: ConfigName) => apps.get(name)![config];

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const res = await send(app(c.config), c);
    const text = await res.text();
    expect(res.status, text).toBe(c.status);
    if (c.text !== undefined) expect(text).toBe(c.text);
    if (c.json !== undefined) expect(JSON.parse(text)).toEqual(c.json);
    for (const [h, want] of Object.entries(c.expectHeaders ?? {})) {
      const got = res.headers.get(h);
      if (want === null) expect(got, h).toBeNull();
      else if (typeof want === 'string') expect(got, h).toBe(want);
      else expect(got, h).toMatch(want);
    }
  });

  it.each(BYPASS_ATTEMPTS.map((p) => [p]))('DELETE %s never skips the admins rule', async (path) => {
    const res = await send(app('main'), { method: 'DELETE', path, token: 'bob' });
    expect(res.status).not.toBe(204);
    expect(res.status).toBeLessThan(500);
  });

  it('item 1 survived every bypass attempt', async () => {
    const res = await send(app('main'), { path: '/api/items', token: 'alice' });
    expect((await res.json()) as { id: number }[]).toContainEqual({ id: 1, name: 'first' });
  });

  it('an absolute-form request line is judged by its path', async () => {
    const res = await sendRawHttp(app('main').port, 'GET http://example.com/api/items HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(401);
    const bypass = await sendRawHttp(app('main').port, 'GET http://example.com/health HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
    expect(bypass.status).toBe(200);
  });

  it('two Authorization headers are a 400, even when the first holds a valid token', async () => {
    const res = await sendRawHttp(app('main').port, `GET /api/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens.alice}\r\nAuthorization: Bearer junk\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(400);
    expect(res.text).toContain('{"error":"invalid_request","message":"More than one Authorization header"}');
    expect(res.text).not.toContain('"first"');
  });

  it('JSON bodies are read alike: gzip is inflated, an unknown encoding is a 415', async () => {
    const post = (body: Uint8Array | string, encoding: string) => fetch(`${app('main').url}/api/items`, {
      method: 'POST', body, headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/json', 'content-encoding': encoding },
    });
    const refused = await post('{"name":"x"}', 'compress');
    expect(refused.status).toBe(415);
    expect(await refused.text()).toBe('{"error":"bad_request","message":"Malformed request"}');
    const zipped = await post(gzipSync('{"name":"zipped"}'), 'gzip');
    expect(zipped.status).toBe(201);
    const item = (await zipped.json()) as { id: number; name: string };
    expect(item.name).toBe('zipped');
    // Leave the store as the other cases expect it.
    expect((await send(app('main'), { method: 'DELETE', path: `/api/items/${item.id}`, token: 'alice' })).status).toBe(204);
  });

  it('anonymous escapes from the public route never reach protected handlers', async () => {
    for (const path of ['/public/../api/items', '/public/%2e%2e/api/items', '/public%2f..%2fapi%2fitems', '/public/info/../../api/items']) {
      const res = await send(app('main'), { path });
      const text = await res.text();
      expect(res.status, path).not.toBe(200);
      expect(text, path).not.toContain('"first"');
    }
  });

  it('API token life cycle over HTTP', () => tokenLifeCycle(app('main'), tokens));

  it('junk requests get 4xx and the app still answers', async () => {
    for (const req of junkRequests('/api/items')) {
      const { status } = await sendRawHttp(app('main').port, req);
      expect(status, req.toString('latin1').slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(status, req.toString('latin1').slice(0, 60)).toBeLessThan(500);
    }
    const res = await send(app('main'), { path: '/api/items', token: 'alice' });
    expect(res.status).toBe(200);
  });
});
