import { expect } from 'vitest';
import type { TokenName } from './cases.js';
import type { RunningApp } from './process.js';

async function send(a: RunningApp, method: string, path: string, token: string | undefined, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(a.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/**
 * The whole API-token life cycle over HTTP, the same in every framework and against every store:
 * create (secret shown once), use as Bearer and X-API-Key, no token-made tokens, list without
 * secrets, owner-only revoke, scope escalation, bad bodies, wrong methods, revoke, refused after.
 */
export async function tokenLifeCycle(a: RunningApp, tokens: Readonly<Record<Extract<TokenName, 'alice' | 'bob'>, string>>): Promise<void> {
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });
  const created = await send(a, 'POST', '/auth/tokens', tokens.alice, { name: 'ci', scopes: ['items:read'], expiresInDays: 7 });
  expect(created.status).toBe(201);
  expect(created.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(created.headers.get('cache-control')).toBe('no-store');
  const c = (await created.json()) as { id: string; token: string; name: string; scopes: string[]; expiresAt: string };
  expect(Object.keys(c)).toEqual(['id', 'token', 'name', 'scopes', 'expiresAt']);
  expect(c.token).toMatch(/^rat_[0-9A-Za-z]{65}$/);
  expect({ name: c.name, scopes: c.scopes }).toEqual({ name: 'ci', scopes: ['items:read'] });

  const principal = { username: 'alice', groups: ['users', 'admins'], scopes: ['items:read'], clientId: null, provider: 'api-token', tokenType: 'api-token' };
  expect(await (await fetch(a.url + '/api/me', { headers: auth(c.token) })).json()).toEqual(principal);
  expect(await (await fetch(a.url + '/api/me', { headers: { 'x-api-key': c.token } })).json()).toEqual(principal);
  const byToken = await fetch(a.url + '/auth/tokens', { method: 'POST', headers: { ...auth(c.token), 'content-type': 'application/json' }, body: '{"name":"nested"}' });
  expect(byToken.status).toBe(403);
  expect(await byToken.text()).toBe('{"error":"forbidden","message":"API tokens cannot create tokens"}');

  const list = await send(a, 'GET', '/auth/tokens', tokens.alice);
  const listText = await list.text();
  expect(list.status).toBe(200);
  expect(listText).not.toContain(c.token);
  const listed = (JSON.parse(listText) as { tokens: Record<string, unknown>[] }).tokens.find((t) => t['id'] === c.id);
  expect(Object.keys(listed ?? {})).toEqual(['id', 'name', 'scopes', 'createdAt', 'expiresAt', 'lastUsedAt', 'meta', 'rateLimit', 'remaining']);
  // Used a moment ago: the pending last-use batch shows in the listing.
  expect(listed?.['lastUsedAt']).toMatch(/^\d{4}-\d\d-\d\dT/);

  expect((await send(a, 'DELETE', `/auth/tokens/${c.id}`, tokens.bob)).status).toBe(404);
  const escalate = await send(a, 'POST', '/auth/tokens', tokens.bob, { name: 'x', scopes: ['admin'] });
  expect(escalate.status).toBe(403);
  expect(await escalate.text()).toBe('{"error":"forbidden","message":"Requested scopes exceed your own: admin"}');
  const badName = await send(a, 'POST', '/auth/tokens', tokens.bob, { name: 'x'.repeat(101) });
  expect(badName.status).toBe(400);
  expect(JSON.parse(await badName.text()).error).toBe('invalid_request');
  const wrongMethod = await send(a, 'PUT', '/auth/tokens', tokens.bob, {});
  expect(wrongMethod.status).toBe(405);
  expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
  expect((await send(a, 'POST', '/auth/tokens', undefined, { name: 'x' })).status).toBe(401);

  const del = await send(a, 'DELETE', `/auth/tokens/${c.id}`, tokens.alice);
  expect(del.status).toBe(204);
  expect(await del.text()).toBe('');
  const after = await fetch(a.url + '/api/me', { headers: auth(c.token) });
  expect(after.status).toBe(401);
  expect(await after.text()).toBe('{"error":"invalid_token","message":"API token has been revoked"}');
  const typo = c.token.slice(0, 20) + (c.token[20] === 'A' ? 'B' : 'A') + c.token.slice(21);
  expect(await (await fetch(a.url + '/api/me', { headers: auth(typo) })).text()).toBe('{"error":"invalid_token","message":"API token is malformed"}');
  await platformRoutes(a, tokens);
}

/**
 * The routes of issue 17 in every framework: meta, roll with a grace period, remaining uses,
 * per-token rate limit, usage, and the admin view (query string reaching core); bad input is 400.
 */
async function platformRoutes(a: RunningApp, tokens: Readonly<Record<'alice' | 'bob', string>>): Promise<void> {
  const me = (t: string) => fetch(a.url + '/api/me', { headers: { authorization: `Bearer ${t}` } });
  const made = await send(a, 'POST', '/auth/tokens', tokens.bob, { name: 'plat', meta: { customer: 'acme' }, remaining: 2, rateLimit: { limit: 50, windowSec: 60 } });
  expect(made.status).toBe(201);
  const m = (await made.json()) as { id: string; token: string };
  const first = await me(m.token);
  expect(first.status).toBe(200);
  expect(first.headers.get('ratelimit-limit')).toBe('50');

  const rolled = await send(a, 'POST', `/auth/tokens/${m.id}/roll`, tokens.bob, { graceSec: 300 });
  expect(rolled.status).toBe(201);
  const r = (await rolled.json()) as { id: string; token: string };
  expect(r.id).toBe(m.id);
  expect((await me(m.token)).status).toBe(200); // old secret, within the grace; the second and last use
  const usedUp = await me(r.token);
  expect(usedUp.status).toBe(401);
  expect(await usedUp.text()).toBe('{"error":"invalid_token","message":"API token is used up"}');

  const usage = await send(a, 'GET', `/auth/tokens/${m.id}/usage?days=1`, tokens.bob);
  expect(usage.status).toBe(200);
  const u = (await usage.json()) as { id: string; days: { allowed: number; refused: number }[] };
  expect(u.days).toHaveLength(1);
  expect(u.days[0]).toMatchObject({ allowed: 2, refused: 1 });
  expect((await send(a, 'GET', `/auth/tokens/${m.id}/usage`, tokens.alice)).status).toBe(200);
  expect((await send(a, 'POST', `/auth/tokens/${m.id}/roll`, tokens.alice)).status).toBe(404);

  const page = await send(a, 'GET', '/auth/tokens?all=true&owner=' + encodeURIComponent('idp:bob') + '&limit=1', tokens.alice);
  const p = (await page.json()) as { tokens: { owner: string; meta: unknown }[]; nextCursor: string | null };
  expect(page.status).toBe(200);
  expect(p.tokens).toHaveLength(1);
  expect(p.tokens[0]?.owner).toMatch(/:bob$/);
  const ignored = (await (await send(a, 'GET', '/auth/tokens?all=true&limit=1', tokens.bob)).json()) as Record<string, unknown>;
  expect(Object.keys(ignored)).toEqual(['tokens']);
  expect(await (await send(a, 'GET', '/auth/tokens?all=true&cursor=x.y.z', tokens.alice)).json()).toMatchObject({ error: 'invalid_request' });

  for (const body of [{ name: 'b', remaining: -1 }, { name: 'b', meta: [1] }, { name: 'b', rateLimit: { limit: 1e9, windowSec: 1 } }]) {
    expect((await send(a, 'POST', '/auth/tokens', tokens.bob, body)).status).toBe(400);
  }
  expect((await send(a, 'POST', `/auth/tokens/${m.id}/roll`, tokens.bob, { graceSec: 1e9 })).status).toBe(400);
  expect((await send(a, 'DELETE', `/auth/tokens/${m.id}`, tokens.bob)).status).toBe(204);
  expect((await send(a, 'POST', `/auth/tokens/${m.id}/roll`, tokens.bob)).status).toBe(400);
  expect((await send(a, 'PUT', `/auth/tokens/${m.id}/roll`, tokens.bob)).headers.get('allow')).toBe('POST');
}
