import type { FastifyInstance } from 'fastify';
import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';

let idp: TestIdp;
let app: FastifyInstance;
let base: string;
let alice: string;

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  alice = await idp.userToken('alice');
  app = await createApp({
    realm: 'example',
    providers: [{ name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri }],
    policy: { bypass: ['GET /health'], allowGroups: ['users'], rules: [{ match: 'DELETE /api/items/*', groups: ['admins'] }] },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await idp?.close();
});

const call = (method: string, path: string, init: { token?: string; body?: string; type?: string } = {}) =>
  fetch(base + path, {
    method,
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.type ? { 'content-type': init.type } : {}) },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });

async function expectJson(res: Response, status: number, body: unknown): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(await res.json()).toEqual(body);
}

describe('fastify-example (the example-app contract)', () => {
  it('health, public info and the gate', async () => {
    await expectJson(await call('GET', '/health'), 200, { status: 'ok' });
    await expectJson(await call('GET', '/public/info'), 200, { info: 'public', username: null });
    await expectJson(await call('GET', '/api/items'), 401, { error: 'unauthorized', message: 'Authentication required' });
  });
  it('items and the principal', async () => {
    await expectJson(await call('GET', '/api/items', { token: alice }), 200, [{ id: 1, name: 'first' }, { id: 2, name: 'second' }]);
    await expectJson(await call('POST', '/api/items', { token: alice, body: '{"name":"third"}', type: 'application/json' }), 201, { id: 3, name: 'third' });
    expect((await call('DELETE', '/api/items/3', { token: alice })).status).toBe(204);
    await expectJson(await call('DELETE', '/api/items/99', { token: alice }), 404, { error: 'not_found', message: 'No such item' });
    await expectJson(await call('GET', '/api/me', { token: alice }), 200, { username: 'alice', groups: ['users', 'admins'], scopes: ['items:read', 'items:write'], clientId: 'restauth-test', provider: 'idp', tokenType: 'jwt' });
  });
  it('answers malformed requests and unknown routes like the Express example', async () => {
    const malformed = { error: 'bad_request', message: 'Malformed request' };
    await expectJson(await call('POST', '/api/items', { token: alice, body: '{bad', type: 'application/json' }), 400, malformed);
    await expectJson(await call('POST', '/api/items', { token: alice, body: '"text"', type: 'application/json' }), 400, malformed);
    await expectJson(await call('POST', '/api/items', { token: alice, body: `{"name":"${'a'.repeat(17_000)}"}`, type: 'application/json' }), 413, malformed);
    await expectJson(await call('POST', '/api/items', { token: alice, body: '', type: 'application/json' }), 201, { id: 4, name: 'unnamed' });
    await expectJson(await call('POST', '/api/items', { token: alice, body: 'name=x', type: 'application/x-www-form-urlencoded' }), 201, { id: 5, name: 'unnamed' });
    await expectJson(await call('GET', '/api/items/%zz', { token: alice }), 400, malformed);
    await expectJson(await call('GET', '/nope', { token: alice }), 404, { error: 'not_found', message: 'Not found' });
    await expectJson(await call('GET', '/nope'), 401, { error: 'unauthorized', message: 'Authentication required' });
  });
});
