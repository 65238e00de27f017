import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type Platform } from './app.js';

let idp: TestIdp;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  for (const u of ['alice', 'bob']) tokens[u] = await idp.userToken(u);
});
afterAll(() => idp?.close());

describe.each<Platform>(['express', 'fastify'])('nestjs-example on %s', (platform) => {
  let app: INestApplication;
  let base: string;
  const send = (path: string, token?: string, init: RequestInit = {}) =>
    fetch(base + path, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) } });
  const post = (body: string, token?: string, type = 'application/json') => send('/api/items', token, { method: 'POST', body, headers: { 'content-type': type } });

  beforeAll(async () => {
    ({ app } = await createApp(platform, {
      realm: 'example',
      providers: [{ name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', discovery: true }],
      policy: { bypass: ['GET /health'], allowGroups: ['users'], rules: [{ match: 'DELETE /api/items/*', groups: ['admins'] }] },
      rateLimit: { enabled: true, limit: 100, windowSec: 60 },
    }));
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => app?.close());

  it('health, public, protected, principal', async () => {
    expect(await (await send('/health')).text()).toBe('{"status":"ok"}');
    expect(await (await send('/public/info')).text()).toBe('{"info":"public","username":null}');
    const denied = await send('/api/items');
    expect(denied.status).toBe(401);
    expect(await denied.text()).toBe('{"error":"unauthorized","message":"Authentication required"}');
    const items = await send('/api/items', tokens['alice']);
    expect(items.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await items.text()).toBe('[{"id":1,"name":"first"},{"id":2,"name":"second"}]');
    expect(await (await send('/api/me', tokens['bob'])).json()).toEqual({ username: 'bob', groups: ['users'], scopes: ['items:read', 'items:write'], clientId: 'restauth-test', provider: 'idp', tokenType: 'jwt' });
  });

  it('POST /api/items: 201, and body errors only after the gate, as in the Express example', async () => {
    const created = await post('{"name":"third"}', tokens['alice']);
    expect(created.status).toBe(201);
    expect(await created.text()).toBe('{"id":3,"name":"third"}');
    expect((await post('{"name":', undefined)).status).toBe(401);
    const bad = await post('{"name":', tokens['alice']);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(bad.headers.get('ratelimit-limit')).toBe('100');
    expect(await bad.text()).toBe('{"error":"bad_request","message":"Malformed request"}');
    expect((await post('"just a string"', tokens['alice'])).status).toBe(400);
    const big = await post(JSON.stringify({ name: 'x'.repeat(20_000) }), tokens['alice']);
    expect(big.status).toBe(413);
    expect(await big.text()).toBe('{"error":"bad_request","message":"Malformed request"}');
    expect(await (await post('', tokens['alice'])).json()).toEqual({ id: 4, name: 'unnamed' });
    expect(await (await post('name=x', tokens['alice'], 'text/plain')).json()).toEqual({ id: 5, name: 'unnamed' });
  });

  it('DELETE: 403 without the group, 204 empty, 404 for an unknown item', async () => {
    expect((await send('/api/items/1', tokens['bob'], { method: 'DELETE' })).status).toBe(403);
    const gone = await send('/api/items/1', tokens['alice'], { method: 'DELETE' });
    expect(gone.status).toBe(204);
    expect(await gone.text()).toBe('');
    const missing = await send('/api/items/99', tokens['alice'], { method: 'DELETE' });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await missing.text()).toBe('{"error":"not_found","message":"No such item"}');
  });

  it('unknown routes: Nest routes before the guard, so 404 without auth', async () => {
    const res = await send('/api/nope');
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('{"error":"not_found","message":"Not found"}');
  });
});
