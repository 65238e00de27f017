import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';

let idp: TestIdp;
let server: Server;
let base: string;
const tokens: Record<string, string> = {};
const JSON_TYPE = 'application/json; charset=utf-8';

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  for (const u of ['alice', 'bob']) tokens[u] = await idp.userToken(u);
  const { app } = createApp({
    realm: 'koa-example',
    providers: [{ name: 'local', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri }],
    policy: {
      bypass: ['GET /health'],
      allowGroups: ['users'],
      rules: [{ match: 'POST /api/items', scopes: ['items:write'] }, { match: 'DELETE /api/items/*', groups: ['admins'] }],
    },
    rateLimit: { enabled: true, limit: 100, windowSec: 60 },
  });
  await new Promise<void>((resolve) => { server = app.listen(0, '127.0.0.1', resolve); });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.close();
  await idp?.close();
});

const call = (path: string, init: RequestInit & { token?: string } = {}) =>
  fetch(base + path, { ...init, headers: { ...(init.token ? { authorization: `Bearer ${tokens[init.token]}` } : {}), ...(init.headers as Record<string, string>) } });
const postJson = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
  call('/api/items', { method: 'POST', token: 'alice', body, headers: { 'content-type': 'application/json', ...headers } });

describe('koa-example', () => {
  it('health, public info and the principal', async () => {
    const health = await call('/health');
    expect(health.headers.get('content-type')).toBe(JSON_TYPE);
    expect(await health.text()).toBe('{"status":"ok"}');
    expect(await (await call('/public/info')).json()).toEqual({ info: 'public', username: null });
    expect(await (await call('/public/info', { token: 'bob' })).json()).toEqual({ info: 'public', username: 'bob' });
    expect(await (await call('/api/me', { token: 'bob' })).json()).toEqual({
      username: 'bob', groups: ['users'], scopes: ['items:read', 'items:write'], clientId: 'restauth-test', provider: 'local', tokenType: 'jwt',
    });
    const anon = await call('/api/items');
    expect(anon.status).toBe(401);
    expect(await anon.text()).toBe('{"error":"unauthorized","message":"Authentication required"}');
  });

  it('items: list, add, delete', async () => {
    expect(await (await call('/api/items', { token: 'bob' })).json()).toEqual([{ id: 1, name: 'first' }, { id: 2, name: 'second' }]);
    const created = await postJson('{"name":"third"}');
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe(JSON_TYPE);
    expect(await created.text()).toBe('{"id":3,"name":"third"}');
    expect(await (await postJson(gzipSync('{"name":"zipped"}'), { 'content-encoding': 'gzip' })).json()).toEqual({ id: 4, name: 'zipped' });
    expect(await (await postJson('')).json()).toEqual({ id: 5, name: 'unnamed' });
    expect(await (await call('/api/items', { method: 'POST', token: 'alice', body: '{"name":"x"}', headers: { 'content-type': 'text/plain' } })).json()).toEqual({ id: 6, name: 'unnamed' });
    expect((await call('/api/items/3', { method: 'DELETE', token: 'bob' })).status).toBe(403);
    const deleted = await call('/api/items/3', { method: 'DELETE', token: 'alice' });
    expect(deleted.status).toBe(204);
    expect(deleted.headers.get('content-type')).toBeNull();
    const missing = await call('/api/items/3', { method: 'DELETE', token: 'alice' });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('{"error":"not_found","message":"No such item"}');
  });

  it('bad bodies and paths get the Express example statuses and body', async () => {
    const bad = '{"error":"bad_request","message":"Malformed request"}';
    for (const [res, status] of [
      [await postJson('{"name":'), 400],
      [await postJson('"just a string"'), 400],
      [await postJson(JSON.stringify({ name: 'x'.repeat(17_000) })), 413],
      [await postJson('{"name":"x"}', { 'content-type': 'application/json; charset=latin1' }), 415],
      [await postJson('{"name":"x"}', { 'content-encoding': 'compress' }), 415],
      [await call('/api/items/%zz', { token: 'alice' }), 400],
    ] as const) {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe(JSON_TYPE);
      expect(await res.text()).toBe(bad);
    }
    const unknown = await call('/nope', { token: 'bob' });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('{"error":"not_found","message":"Not found"}');
    expect((await call('/api/items', { token: 'bob' })).status).toBe(200);
  });
});
