import { describe, expect, it } from 'vitest';
import type { RestAuthConfig } from './config/types.js';
import { createMemoryAuditSink } from './audit.js';
import { createRestAuth, type RouteOptions } from './rest-auth.js';
import { staticStrategy } from './test-strategy.test-helper.js';

const base: RestAuthConfig = {
  realm: 'test',
  policy: {
    bypass: ['GET /health', '/metrics'],
    public: ['GET /public/**'],
    restrictPublic: ['GET /public/secret'],
    allowGroups: ['users', 'services'],
    readOnlyGroups: ['auditors'],
    allowClients: ['web', 'service-a'],
    rules: [
      { match: 'POST /api/items', scopes: ['items:write'] },
      { match: 'DELETE /api/items/*', groups: ['admins'] },
      { match: '/api/admin/**', groups: ['admins'], scopes: ['admin'] },
      { match: '/api/reports', methods: ['POST'], groups: ['admins'] },
    ],
  },
};

function gate(overrides: Partial<RestAuthConfig> = {}) {
  return createRestAuth({ ...base, ...overrides, policy: { ...base.policy, ...overrides.policy } }, { strategies: [staticStrategy()] });
}

interface Case {
  name: string;
  method?: string;
  url: string;
  token?: string;
  headers?: Record<string, string>;
  ip?: string;
  route?: RouteOptions;
  status: number;
  error?: string;
  reason?: string;
}

const cases: Case[] = [
  // bypass: strict, the gate does nothing
  { name: 'bypass exact', url: '/health', status: 200, reason: 'bypass' },
  { name: 'bypass any method when none named', method: 'POST', url: '/metrics', status: 200, reason: 'bypass' },
  { name: 'bypass ignores the token', url: '/health', token: 'garbage!', status: 200, reason: 'bypass' },
  { name: 'bypass with query', url: '/health?full=1', status: 200, reason: 'bypass' },
  { name: 'bypass wrong method', method: 'POST', url: '/health', status: 401, error: 'unauthorized' },
  { name: 'bypass GET covers HEAD (same handler)', method: 'HEAD', url: '/health', status: 200, reason: 'bypass' },
  { name: 'bypass GET does not cover OPTIONS', method: 'OPTIONS', url: '/health', status: 401 },
  { name: 'bypass case change', url: '/HEALTH', status: 401 },
  { name: 'bypass trailing slash', url: '/health/', status: 401 },
  { name: 'bypass double slash', url: '//health', status: 401 },
  { name: 'bypass encoded letter', url: '/%68ealth', status: 401 },
  { name: 'bypass dot segment', url: '/x/../health', status: 401 },
  { name: 'bypass matrix param', url: '/health;a=b', status: 401 },
  { name: 'bypass prefix only', url: '/healthz', status: 401 },
  { name: 'bypass absolute-form', url: 'http://example.com/health', status: 200, reason: 'bypass' },
  // public routes
  { name: 'public anonymous', url: '/public/info', status: 200, reason: 'public' },
  { name: 'public with valid token attaches principal', url: '/public/info', token: 'bob', status: 200, reason: 'authenticated' },
  { name: 'public with invalid token is 401', url: '/public/info', token: 'bad', status: 401, error: 'invalid_token' },
  { name: 'public with a token outside allowGroups goes on as anonymous', url: '/public/info', token: 'eve', status: 200, reason: 'public' },
  { name: 'public with a token of a client not allowed goes on as anonymous', url: '/public/info', token: 'svcb', status: 200, reason: 'public' },
  { name: 'public in code, read-only member writing, goes on as anonymous', method: 'POST', url: '/docs', token: 'carol', route: { public: true }, status: 200, reason: 'public' },
  { name: 'not public: a token outside allowGroups is 403', url: '/api/items', token: 'eve', status: 403, error: 'forbidden' },
  { name: 'public deep path', url: '/public/a/b', status: 200 },
  { name: 'public wrong method', method: 'POST', url: '/public/info', status: 401 },
  { name: 'public dot-segment escape', url: '/public/../api/items', status: 401 },
  { name: 'public encoded escape', url: '/public/%2e%2e/api/items', status: 401 },
  { name: 'public encoded slash escape', url: '/public%2f..%2fapi/items', status: 401 },
  { name: 'public case change', url: '/Public/info', status: 401 },
  { name: 'restrictPublic wins', url: '/public/secret', status: 401, error: 'unauthorized' },
  { name: 'restrictPublic matches loosely', url: '/public/SECRET/', status: 401 },
  { name: 'restrictPublic with token passes', url: '/public/secret', token: 'bob', status: 200 },
  { name: 'route public from code', url: '/docs', route: { public: true }, status: 200, reason: 'public' },
  { name: 'route public from code, restricted', url: '/public/secret', route: { public: true }, status: 401 },
  // credentials
  { name: 'no credentials', url: '/api/items', status: 401, error: 'unauthorized' },
  { name: 'malformed bearer', url: '/api/items', headers: { authorization: 'Bearer a b' }, status: 400, error: 'invalid_request' },
  { name: 'token in header and query', url: '/api/items?access_token=bob', token: 'bob', status: 400, error: 'invalid_request' },
  { name: 'token in query only', url: '/api/items?access_token=bob', status: 400, error: 'invalid_request' },
  { name: 'unknown scheme', url: '/api/items', headers: { authorization: 'Digest a=b' }, status: 401, error: 'unauthorized' },
  { name: 'invalid token', url: '/api/items', token: 'bad', status: 401, error: 'invalid_token' },
  { name: 'unknown token', url: '/api/items', token: 'mallory', status: 401, error: 'invalid_token' },
  { name: 'strategy crash fails closed', url: '/api/items', token: 'boom', status: 401, error: 'invalid_token' },
  { name: 'provider down', url: '/api/items', token: 'down', status: 503, error: 'temporarily_unavailable' },
  { name: 'valid token', url: '/api/items', token: 'bob', status: 200, reason: 'authenticated' },
  // allowGroups
  { name: 'outside allowGroups', url: '/api/items', token: 'eve', status: 403, error: 'forbidden', reason: 'allowGroups' },
  { name: 'no groups at all', url: '/api/items', token: 'nogroups', status: 403, reason: 'allowGroups' },
  { name: 'service group allowed', url: '/api/items', token: 'svca', status: 200 },
  // read-only
  { name: 'read-only GET', url: '/api/items', token: 'carol', status: 200 },
  { name: 'read-only HEAD', method: 'HEAD', url: '/api/items', token: 'carol', status: 200 },
  { name: 'read-only OPTIONS', method: 'OPTIONS', url: '/api/items', token: 'carol', status: 200 },
  { name: 'read-only POST', method: 'POST', url: '/api/items', token: 'carol', status: 403, reason: 'readOnly' },
  { name: 'read-only PUT', method: 'PUT', url: '/api/items/1', token: 'carol', status: 403, reason: 'readOnly' },
  { name: 'read-only PATCH', method: 'PATCH', url: '/api/items/1', token: 'carol', status: 403, reason: 'readOnly' },
  { name: 'read-only lower-case method', method: 'post', url: '/api/items', token: 'carol', status: 403, reason: 'readOnly' },
  { name: 'read-only X-HTTP-Method-Override', method: 'POST', url: '/api/items', token: 'carol', headers: { 'x-http-method-override': 'GET' }, status: 403, reason: 'readOnly' },
  { name: 'read-only X-Method-Override', method: 'DELETE', url: '/api/items/1', token: 'carol', headers: { 'x-method-override': 'GET' }, status: 403, reason: 'readOnly' },
  { name: 'read-only _method query', method: 'POST', url: '/api/items?_method=GET', token: 'carol', status: 403, reason: 'readOnly' },
  { name: 'read-only on a readOnly route', method: 'POST', url: '/api/search', token: 'carol', route: { readOnly: true }, status: 200 },
  { name: 'writer POST', method: 'POST', url: '/api/items', token: 'bob', status: 403, error: 'insufficient_scope', reason: 'rule' },
  // allowClients
  { name: 'listed client', url: '/api/items', token: 'alice', status: 200 },
  { name: 'unlisted client', url: '/api/items', token: 'svcb', status: 403, reason: 'allowClients' },
  { name: 'token naming no client', url: '/api/items', token: 'bob', status: 200 },
  // rules
  { name: 'scope rule met', method: 'POST', url: '/api/items', token: 'svca', status: 200 },
  { name: 'scope rule missing', method: 'POST', url: '/api/items', token: 'bob', status: 403, error: 'insufficient_scope' },
  { name: 'group rule met', method: 'DELETE', url: '/api/items/3', token: 'alice', status: 200 },
  { name: 'group rule missing', method: 'DELETE', url: '/api/items/3', token: 'bob', status: 403, error: 'forbidden', reason: 'rule' },
  { name: 'rule case change', method: 'DELETE', url: '/API/Items/3', token: 'bob', status: 403 },
  { name: 'rule trailing slash', method: 'DELETE', url: '/api/items/3/', token: 'bob', status: 403 },
  { name: 'rule double slash', method: 'DELETE', url: '/api//items/3', token: 'bob', status: 403 },
  { name: 'rule encoded slash', method: 'DELETE', url: '/api%2Fitems%2F3', token: 'bob', status: 403 },
  { name: 'rule encoded letters', method: 'DELETE', url: '/%61pi/items/3', token: 'bob', status: 403 },
  { name: 'rule dot segments', method: 'DELETE', url: '/api/x/../items/3', token: 'bob', status: 403 },
  { name: 'rule encoded dot segments', method: 'DELETE', url: '/api/x/%2e%2e/items/3', token: 'bob', status: 403 },
  { name: 'rule matrix param', method: 'DELETE', url: '/api/items;x=y/3', token: 'bob', status: 403 },
  { name: 'rule query string', method: 'DELETE', url: '/api/items/3?x=/health', token: 'bob', status: 403 },
  { name: 'rule fragment', method: 'DELETE', url: '/api/items/3#x', token: 'bob', status: 403 },
  { name: 'rule overlong utf-8 does not hide', method: 'DELETE', url: '/api/items/%c0%ae', token: 'bob', status: 403 },
  { name: 'rule absolute-form', method: 'DELETE', url: 'http://evil/api/items/3', token: 'bob', status: 403 },
  { name: 'rule ignores X-Original-URL', method: 'DELETE', url: '/api/items/3', token: 'bob', headers: { 'x-original-url': '/health' }, status: 403 },
  { name: 'rule ignores X-Rewrite-URL', method: 'DELETE', url: '/api/items/3', token: 'bob', headers: { 'x-rewrite-url': '/public/info' }, status: 403 },
  { name: 'rule ignores X-Forwarded-Uri', method: 'DELETE', url: '/api/items/3', token: 'bob', headers: { 'x-forwarded-uri': '/health' }, status: 403 },
  { name: 'rule ignores x-middleware-subrequest', method: 'DELETE', url: '/api/items/3', token: 'bob', headers: { 'x-middleware-subrequest': 'middleware' }, status: 403 },
  { name: 'bypass header tricks do not bypass', url: '/api/items', headers: { 'x-original-url': '/health' }, status: 401 },
  { name: 'rule ** prefix itself', url: '/api/admin', token: 'bob', status: 403 },
  { name: 'rule ** deep', method: 'PUT', url: '/api/admin/users/1', token: 'bob', status: 403 },
  { name: 'rule groups and scopes met', url: '/api/admin/x', token: 'alice', status: 200 },
  { name: 'rule methods limit', url: '/api/reports', token: 'bob', status: 200 },
  { name: 'rule methods apply', method: 'POST', url: '/api/reports', token: 'bob', status: 403 },
  { name: 'HEAD on a GET rule', method: 'HEAD', url: '/api/admin/x', token: 'bob', status: 403 },
  // route requirements from code
  { name: 'route groups met', url: '/api/x', token: 'alice', route: { groups: ['admins'] }, status: 200 },
  { name: 'route groups missing', url: '/api/x', token: 'bob', route: { groups: ['admins'] }, status: 403, reason: 'route' },
  { name: 'route scopes missing', url: '/api/x', token: 'bob', route: { scopes: ['items:write'] }, status: 403, error: 'insufficient_scope' },
  { name: 'public route with requirements needs auth', url: '/docs', route: { public: true, groups: ['admins'] }, status: 401 },
];

describe('the gate (policy table)', () => {
  const auth = gate();
  it('has at least 60 cases', () => expect(cases.length).toBeGreaterThanOrEqual(60));
  it.each(cases)('$name → $status', async (c) => {
    const headers: Record<string, string> = { ...c.headers };
    if (c.token) headers['authorization'] = `Bearer ${c.token}`;
    const d = await auth.authenticate({ method: c.method ?? 'GET', url: c.url, headers, remoteAddress: c.ip ?? '127.0.0.1' }, c.route);
    expect(d.status).toBe(c.status);
    expect(d.allowed).toBe(c.status === 200);
    if (c.error) expect(JSON.parse(d.body!).error).toBe(c.error);
    if (c.reason) expect(d.reason).toBe(c.reason);
  });
});

describe('wire contract of decisions', () => {
  const auth = gate();
  const run = (headers: Record<string, string>, url = '/api/items', method = 'GET') => auth.authenticate({ method, url, headers, remoteAddress: '127.0.0.1' });

  it('401 without credentials: challenge without error, body code unauthorized', async () => {
    const d = await run({});
    expect(d.headers['www-authenticate']).toBe('Bearer realm="test"');
    expect(JSON.parse(d.body!)).toEqual({ error: 'unauthorized', message: 'Authentication required' });
    expect(d.headers['content-type']).toBe('application/json; charset=utf-8');
  });
  it('401 invalid token: RFC 6750 challenge with error and description', async () => {
    const d = await run({ authorization: 'Bearer bad' });
    expect(d.headers['www-authenticate']).toBe('Bearer realm="test", error="invalid_token", error_description="Token expired"');
    expect(JSON.parse(d.body!)).toEqual({ error: 'invalid_token', message: 'Token expired' });
  });
  it('400 for a repeated Authorization header seen in rawHeaders, even when the first is valid', async () => {
    // Node keeps only the first in `headers`; a proxy in front may have judged the last.
    const rawHeaders = ['Host', 'x', 'Authorization', 'Bearer alice', 'AUTHORIZATION', 'Bearer nobody'];
    const d = await auth.authenticate({ method: 'GET', url: '/api/items', headers: { host: 'x', authorization: 'Bearer alice' }, rawHeaders, remoteAddress: '127.0.0.1' });
    expect(d.status).toBe(400);
    expect(JSON.parse(d.body!)).toEqual({ error: 'invalid_request', message: 'More than one Authorization header' });
    // A header core has already parsed and remembered (≥ 64 characters) is no way around it.
    const long = `Bearer ${'x'.repeat(80)}`;
    expect((await auth.authenticate({ method: 'GET', url: '/api/items', headers: { authorization: long }, remoteAddress: '127.0.0.1' })).status).toBe(401);
    const twice = ['Authorization', long, 'Authorization', 'Bearer alice'];
    expect((await auth.authenticate({ method: 'GET', url: '/api/items', headers: { authorization: long }, rawHeaders: twice, remoteAddress: '127.0.0.1' })).status).toBe(400);
    const once = await auth.authenticate({ method: 'GET', url: '/api/items', headers: { authorization: 'Bearer alice' }, rawHeaders: rawHeaders.slice(0, 4), remoteAddress: '127.0.0.1' });
    expect(once.status).toBe(200);
  });
  it('400 invalid_request carries the challenge too', async () => {
    const d = await run({ authorization: 'Bearer a b' });
    expect(d.headers['www-authenticate']).toMatch(/error="invalid_request"/);
  });
  it('403 insufficient_scope names the scope (RFC 6750 §3.1)', async () => {
    const d = await run({ authorization: 'Bearer bob' }, '/api/items', 'POST');
    expect(d.headers['www-authenticate']).toBe('Bearer realm="test", error="insufficient_scope", error_description="Requires scope: items:write", scope="items:write"');
    expect(JSON.parse(d.body!).error).toBe('insufficient_scope');
  });
  it('403 forbidden has a body and no challenge', async () => {
    const d = await run({ authorization: 'Bearer eve' });
    expect(d.headers['www-authenticate']).toBeUndefined();
    expect(JSON.parse(d.body!)).toEqual({ error: 'forbidden', message: 'Not a member of an allowed group' });
  });
  it('503 has Retry-After', async () => {
    const d = await run({ authorization: 'Bearer down' });
    expect(d.headers['retry-after']).toBe('30');
  });
  it('never puts the token in a response', async () => {
    const d = await run({ authorization: 'Bearer mallory' });
    expect(JSON.stringify(d.headers) + d.body).not.toContain('mallory');
  });
  it('enabled: false passes everything untouched', async () => {
    const off = createRestAuth({ enabled: false });
    const d = await off.authenticate({ method: 'DELETE', url: '/api/items/1', headers: {}, remoteAddress: '1.2.3.4' });
    expect(d).toMatchObject({ allowed: true, reason: 'disabled', principal: undefined });
  });
});

describe('IP policy behind proxies', () => {
  const auth = gate({ policy: { ipAllow: ['192.0.2.0/24', '2001:db8::/32'], trustProxy: ['10.0.0.0/8'] } });
  const run = (remoteAddress: string, xff?: string, token: string | undefined = 'bob') =>
    auth.authenticate({ method: 'GET', url: '/api/items', headers: { ...(xff ? { 'x-forwarded-for': xff } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) }, remoteAddress });

  it('allows a listed peer', async () => expect((await run('192.0.2.5')).status).toBe(200));
  it('allows a listed IPv6 peer', async () => expect((await run('2001:db8::7')).status).toBe(200));
  it('allows an IPv4-mapped listed peer', async () => expect((await run('::ffff:192.0.2.5')).status).toBe(200));
  it('denies an unlisted peer with 403 before looking at the token', async () => {
    const d = await run('198.51.100.1', undefined, 'bad');
    expect(d.status).toBe(403);
    expect(d.reason).toBe('ip');
  });
  it('reads the client behind a trusted proxy', async () => expect((await run('10.0.0.1', '192.0.2.9')).status).toBe(200));
  it('an untrusted peer cannot spoof X-Forwarded-For', async () => expect((await run('198.51.100.1', '192.0.2.9')).status).toBe(403));
  it('the right-most untrusted entry decides', async () => expect((await run('10.0.0.1', '192.0.2.9, 198.51.100.1')).status).toBe(403));
  it('an unparseable chain denies', async () => expect((await run('10.0.0.1', 'nonsense')).status).toBe(403));
  it('bypass still comes first', async () => {
    const d = await auth.authenticate({ method: 'GET', url: '/health', headers: {}, remoteAddress: '198.51.100.1' });
    expect(d.status).toBe(200);
  });
});

describe('report-only mode', () => {
  it('policy-wide: would-deny is recorded, the request passes', async () => {
    const sink = createMemoryAuditSink();
    const auth = createRestAuth({ ...base, policy: { ...base.policy, mode: 'report-only' }, audit: { enabled: true, sink: { type: 'memory' } } }, {
      strategies: [staticStrategy()],
      plugins: [{ name: 'mem', auditSinks: { memory: () => sink } }],
    });
    const d = await auth.authenticate({ method: 'GET', url: '/api/items', headers: { authorization: 'Bearer eve' }, remoteAddress: '127.0.0.1' });
    expect(d).toMatchObject({ allowed: true, status: 200 });
    expect(d.wouldDeny?.reason).toBe('allowGroups');
    await auth.close();
    expect(sink.events.at(-1)).toMatchObject({ decision: 'would-deny', reason: 'allowGroups', username: 'eve' });
  });
  it('authentication is never report-only', async () => {
    const auth = createRestAuth({ ...base, policy: { ...base.policy, mode: 'report-only' } }, { strategies: [staticStrategy()] });
    expect((await auth.authenticate({ method: 'GET', url: '/api/items', headers: { authorization: 'Bearer bad' } })).status).toBe(401);
  });
  it('per rule: only that rule reports', async () => {
    const auth = createRestAuth({ policy: { rules: [{ match: 'DELETE /api/items/*', groups: ['admins'], mode: 'report-only' }, { match: 'POST /api/items', groups: ['admins'] }] } }, { strategies: [staticStrategy()] });
    const del = await auth.authenticate({ method: 'DELETE', url: '/api/items/1', headers: { authorization: 'Bearer bob' } });
    expect(del).toMatchObject({ allowed: true, wouldDeny: { reason: 'rule' } });
    const post = await auth.authenticate({ method: 'POST', url: '/api/items', headers: { authorization: 'Bearer bob' } });
    expect(post.status).toBe(403);
  });
});

describe('a valid token on a public route', () => {
  it('sets the principal only when the token also passes access policy; the audit event says why not', async () => {
    const sink = createMemoryAuditSink();
    const auth = createRestAuth({ ...base, audit: { enabled: true, sink: { type: 'memory' } } }, {
      strategies: [staticStrategy()],
      plugins: [{ name: 'mem', auditSinks: { memory: () => sink } }],
    });
    const ok = await auth.authenticate({ method: 'GET', url: '/public/info', headers: { authorization: 'Bearer bob' } });
    expect(ok).toMatchObject({ allowed: true, reason: 'authenticated', principal: { username: 'bob' }, anonymous: undefined });
    const eve = await auth.authenticate({ method: 'GET', url: '/public/info', headers: { authorization: 'Bearer eve' } });
    expect(eve).toMatchObject({ allowed: true, status: 200, reason: 'public', principal: undefined });
    expect(eve.anonymous).toMatchObject({ reason: 'allowGroups', principal: { username: 'eve' } });
    expect(eve.anonymous?.error.message).toBe('Not a member of an allowed group');
    await auth.close();
    expect(sink.events.at(-2)).not.toHaveProperty('anonymousReason');
    expect(sink.events.at(-1)).toMatchObject({ decision: 'allow', reason: 'public', status: 200, username: 'eve', anonymousReason: 'allowGroups' });
  });
  it('explain shows the refusal and that the request went on as anonymous', async () => {
    const { decision, steps } = await gate().explain({ method: 'GET', url: '/public/info', headers: { authorization: 'Bearer eve' } });
    expect(decision.reason).toBe('public');
    expect(steps.map((s) => `${s.check}:${s.result}`)).toEqual(['bypass:skip', 'public-route:pass', 'credentials:pass', 'verify:pass', 'allowGroups:fail']);
    expect(steps.at(-1)?.detail).toBe('Not a member of an allowed group; the route is public, so the request goes on as anonymous');
  });
  it('a rule that requires authentication keeps the route closed (403, not anonymous)', async () => {
    const d = await gate({ policy: { rules: [{ match: 'GET /public/info', groups: ['admins'] }] } }).authenticate({ method: 'GET', url: '/public/info', headers: { authorization: 'Bearer bob' } });
    expect(d.status).toBe(403);
  });
  it('report-only policy keeps the principal and records a would-deny', async () => {
    const d = await gate({ policy: { mode: 'report-only' } }).authenticate({ method: 'GET', url: '/public/info', headers: { authorization: 'Bearer eve' } });
    expect(d).toMatchObject({ allowed: true, reason: 'authenticated', principal: { username: 'eve' }, wouldDeny: { reason: 'allowGroups' } });
  });
  it('is rate-limited as the anonymous caller it became (by IP)', async () => {
    const keys: string[] = [];
    const auth = createRestAuth({ ...base, rateLimit: { enabled: true } }, {
      strategies: [staticStrategy()],
      plugins: [{ name: 'spy', rateLimitStores: { memory: () => ({ async hit(h) { keys.push(h.key); return { allowed: true, limit: 1, remaining: 0, resetMs: 0, retryAfterMs: 0 }; } }) } }],
    });
    await auth.authenticate({ method: 'GET', url: '/public/info', headers: { authorization: 'Bearer eve' }, remoteAddress: '192.0.2.1' });
    expect(keys).toEqual(['ip:192.0.2.1']);
  });
});

describe('explain', () => {
  it('lists the ordered checks and the one that decided', async () => {
    const auth = gate();
    const { decision, steps } = await auth.explain({ method: 'DELETE', url: '/api/items/1', headers: { authorization: 'Bearer bob' }, remoteAddress: '127.0.0.1' });
    expect(decision.status).toBe(403);
    expect(steps.map((s) => `${s.check}:${s.result}`)).toEqual([
      'bypass:skip', 'credentials:pass', 'verify:pass', 'allowGroups:pass', 'readOnly:pass', 'allowClients:pass', 'rule:fail',
    ]);
    expect(steps.at(-1)?.detail).toBe('Requires membership of one of: admins');
  });
});

describe('authorize (route requirements after the gate)', () => {
  const auth = gate();
  const req = { method: 'GET', url: '/x', headers: {} };
  it('401 without a principal', () => expect(auth.authorize(req, undefined, { groups: ['admins'] }).status).toBe(401));
  it('403 for a missing group, 200 when met', async () => {
    const bob = (await auth.authenticate({ ...req, url: '/api/items', headers: { authorization: 'Bearer bob' } })).principal;
    expect(auth.authorize(req, bob, { groups: ['admins'] }).status).toBe(403);
    expect(auth.authorize(req, bob, { scopes: ['items:read'] }).status).toBe(200);
  });
});

describe('rate limiting in the gate', () => {
  it('limits per principal, sends headers on allowed and 429 responses', async () => {
    const auth = createRestAuth({ rateLimit: { enabled: true, limit: 2, windowSec: 60 } }, { strategies: [staticStrategy()] });
    const run = (token: string) => auth.authenticate({ method: 'GET', url: '/x', headers: { authorization: `Bearer ${token}` }, remoteAddress: '127.0.0.1' });
    const first = await run('bob');
    expect(first.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '1', 'ratelimit-policy': '2;w=60' });
    await run('bob');
    const third = await run('bob');
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toBe('30');
    expect(JSON.parse(third.body!)).toEqual({ error: 'rate_limited', message: 'Rate limit exceeded' });
    expect((await run('alice')).status).toBe(200);
  });
  it('failed authentication creates no bucket and is not counted', async () => {
    const hits: string[] = [];
    const auth = createRestAuth({ rateLimit: { enabled: true, store: { type: 'memory' } } }, {
      strategies: [staticStrategy()],
      plugins: [{ name: 'spy', rateLimitStores: { memory: () => ({ async hit(h) { hits.push(h.key); return { allowed: true, limit: 1, remaining: 0, resetMs: 0, retryAfterMs: 0 }; } }) } }],
    });
    await auth.authenticate({ method: 'GET', url: '/x', headers: { authorization: 'Bearer bad' } });
    await auth.authenticate({ method: 'GET', url: '/x', headers: { authorization: 'Bearer random-garbage' } });
    expect(hits).toEqual([]);
  });
  it('onStoreError deny → 503, allow → pass', async () => {
    const failing = { name: 'f', rateLimitStores: { memory: () => ({ async hit(): Promise<never> { throw new Error('down'); } }) } };
    const deny = createRestAuth({ rateLimit: { enabled: true } }, { strategies: [staticStrategy()], plugins: [failing] });
    expect((await deny.authenticate({ method: 'GET', url: '/x', headers: { authorization: 'Bearer bob' } })).status).toBe(503);
    const allow = createRestAuth({ rateLimit: { enabled: true, onStoreError: 'allow' } }, { strategies: [staticStrategy()], plugins: [failing] });
    expect((await allow.authenticate({ method: 'GET', url: '/x', headers: { authorization: 'Bearer bob' } })).status).toBe(200);
  });
});

describe('plugins', () => {
  it('a provider type without its plugin fails at start-up with the install hint', () => {
    expect(() => createRestAuth({ providers: [{ name: 'c', type: 'jwt', issuer: 'https://i', audience: 'a', jwksUri: 'https://i/j' }] })).toThrow(/providers\[0\]\.type: provider type "jwt" needs @restauth\/jwt: install and register it/);
  });
  it('a redis store without @restauth/redis fails at start-up', () => {
    expect(() => createRestAuth({ rateLimit: { enabled: true, store: { type: 'redis', url: 'redis://127.0.0.1' } } })).toThrow(/rateLimit\.store\.type: store type "redis" needs @restauth\/redis/);
  });
});
