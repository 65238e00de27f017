import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { readFileSync } from 'node:fs';
import express from 'express';
import { junkRequests, sendRawHttp, startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireAuth, restauth } from './index.js';
import { createApi } from './docs-snippet.js';

let idp: TestIdp;
let server: Server;
let base: string;
let snippet: Server;
let snippetBase: string;
const tokens: Record<string, string> = {};

function listen(app: express.Express): Promise<[Server, string]> {
  return new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve([s, `http://127.0.0.1:${(s.address() as AddressInfo).port}`]));
  });
}

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  for (const u of ['alice', 'bob', 'eve']) tokens[u] = await idp.userToken(u);
  tokens['bobRead'] = await idp.userToken('bob', { scope: 'items:read' });
  const app = express();
  const auth = restauth({
    realm: 'express-test',
    providers: [{ name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', discovery: true }],
    policy: { allowGroups: ['users'], restrictPublic: ['GET /closed'] },
    rateLimit: { enabled: true, limit: 5, windowSec: 60 },
  });
  app.get('/open', auth.public(), (req, res) => { res.json({ user: req.auth?.username ?? null }); });
  app.get('/closed', auth.public(), (_req, res) => { res.json({ ok: true }); });
  app.use(auth);
  app.get('/me', (req, res) => { res.json({ user: req.auth?.username }); });
  app.get('/admin', requireAuth({ groups: ['admins'] }), (_req, res) => { res.json({ ok: true }); });
  app.get('/write', auth.requireAuth({ scopes: ['items:write'] }), (_req, res) => { res.json({ ok: true }); });
  const sub = express.Router();
  sub.get('/x', (req, res) => { res.json({ user: req.auth?.username }); });
  app.use('/mounted', sub);
  [server, base] = await listen(app);
  [snippet, snippetBase] = await listen(createApi(idp.issuer).app);
});

afterAll(async () => {
  server?.close();
  snippet?.close();
  await idp?.close();
});

const get = (path: string, token?: string, root = base) => fetch(root + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('@restauth/express', () => {
  it('401 with the RFC 6750 challenge and JSON body when no token is sent', async () => {
    const res = await get('/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="express-test"');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.text()).toBe('{"error":"unauthorized","message":"Authentication required"}');
  });
  it('200 and req.auth for a token from the IdP, with rate-limit headers', async () => {
    const res = await get('/me', tokens['alice']);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: 'alice' });
    expect(res.headers.get('ratelimit-limit')).toBe('5');
  });
  it('401 invalid_token for a forged token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const forged = await idp.signJwt({ iss: idp.issuer, aud: 'api', sub: 'x', exp: now - 3600, iat: now - 7200 });
    const res = await get('/me', forged);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token", error_description="Token expired"/);
  });
  it('403 outside allowGroups', async () => {
    expect((await get('/me', tokens['eve'])).status).toBe(403);
  });
  it('requireAuth: 403 without the group, 200 with it', async () => {
    expect((await get('/admin', tokens['bob'])).status).toBe(403);
    expect((await get('/admin', tokens['alice'])).status).toBe(200);
  });
  it('requireAuth: insufficient_scope names the scope', async () => {
    const res = await get('/write', tokens['bobRead']);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('scope="items:write"');
  });
  it('public routes: anonymous passes, a token is still verified, restrictPublic closes', async () => {
    expect(await (await get('/open')).json()).toEqual({ user: null });
    expect(await (await get('/open', tokens['bob'])).json()).toEqual({ user: 'bob' });
    expect((await get('/open', 'not.a.jwt')).status).toBe(401);
    expect((await get('/closed')).status).toBe(401);
  });
  it('judges mounted routers by the original URL', async () => {
    expect((await get('/mounted/x')).status).toBe(401);
    expect(await (await get('/mounted/x', tokens['alice'])).json()).toEqual({ user: 'alice' });
  });
  it('429 after the limit, with Retry-After', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) last = await get('/me', tokens['bob']);
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
  it('survives junk requests and still answers', async () => {
    const port = Number(new URL(base).port);
    for (const req of junkRequests('/me')) {
      const { status } = await sendRawHttp(port, req);
      expect(status, req.toString('latin1').slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(status, req.toString('latin1').slice(0, 60)).toBeLessThan(500);
    }
    expect((await get('/me', tokens['alice'])).status).toBe(200);
  });
  it('requireAuth without the gate fails closed', async () => {
    const app = express();
    app.get('/x', requireAuth({ groups: ['admins'] }), (_req, res) => { res.json({ ok: true }); });
    const [s, b] = await listen(app);
    expect((await fetch(b + '/x')).status).toBe(401);
    s.close();
  });
});

describe('docs/frameworks/express.md snippet', () => {
  it('is the code in docs-snippet.ts', () => {
    const doc = readFileSync(new URL('../../../docs/frameworks/express.md', import.meta.url), 'utf8');
    const code = readFileSync(new URL('./docs-snippet.ts', import.meta.url), 'utf8');
    const body = code.slice(code.indexOf('export function createApi'));
    expect(doc).toContain(body.trim());
  });
  it('runs: public, protected, admin-only', async () => {
    expect((await get('/health', undefined, snippetBase)).status).toBe(200);
    expect(await (await get('/public/info', undefined, snippetBase)).json()).toEqual({ hello: 'anonymous' });
    expect((await get('/api/me', undefined, snippetBase)).status).toBe(401);
    expect(await (await get('/api/me', tokens['bob'], snippetBase)).json()).toEqual({ username: 'bob', groups: ['users'] });
    const del = (t: string) => fetch(snippetBase + '/api/items/1', { method: 'DELETE', headers: { authorization: `Bearer ${t}` } });
    expect((await del(tokens['bob']!)).status).toBe(403);
    expect((await del(tokens['alice']!)).status).toBe(204);
  });
});
