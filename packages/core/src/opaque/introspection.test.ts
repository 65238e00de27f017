import { generateKeyPairSync, verify as verifySignature } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import type { IntrospectionProviderConfig, ResolvedIntrospectionProvider } from '../config/types.js';
import { ConfigError, isRestAuthError } from '../errors.js';
import { createRestAuth } from '../rest-auth.js';
import { createIntrospectionStrategy } from './opaque-plugin.js';
import { bearer, json, startServer, type TestHandler, type TestServer } from './test-server.test-helper.js';

const servers: TestServer[] = [];
afterEach(async () => { await Promise.all(servers.splice(0).map((s) => s.close())); });

async function server(handler: TestHandler): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

const nowSec = () => Math.floor(Date.now() / 1000);
const ACTIVE = (extra: Record<string, unknown> = {}) => ({ active: true, sub: 'u-1', username: 'alice', scope: 'items:read items:write', client_id: 'web', groups: ['users', 'admins'], exp: nowSec() + 300, ...extra });

function introspection(url: string, extra: Partial<IntrospectionProviderConfig> = {}): IntrospectionProviderConfig {
  return { name: 'corp', type: 'introspection', introspectionEndpoint: `${url}/introspect`, clientId: 'rs', clientSecret: 'rs-secret', ...extra } as IntrospectionProviderConfig;
}

function resolved(p: IntrospectionProviderConfig): ResolvedIntrospectionProvider {
  return validateConfig({ providers: [p] }).providers[0] as ResolvedIntrospectionProvider;
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string; retryAfterSec?: number | undefined }> {
  try {
    await p;
  } catch (e) {
    if (isRestAuthError(e)) return { code: e.code, message: e.message, retryAfterSec: e.retryAfterSec };
    throw e;
  }
  throw new Error('expected a rejection');
}

const verifyWith = (strategy: ReturnType<typeof createIntrospectionStrategy>, token: string) => strategy.verify({ kind: 'bearer', token }, { request: bearer(token) });

describe('introspection: request and mapping', () => {
  it('POSTs token + token_type_hint with client_secret_basic and maps the answer', async () => {
    const s = await server((req, res) => json(res, 200, ACTIVE()));
    const auth = createRestAuth({ providers: [introspection(s.url)] });
    const d = await auth.authenticate(bearer('opaque-token-1'));
    expect(d.allowed).toBe(true);
    expect(d.principal).toMatchObject({ subject: 'u-1', username: 'alice', groups: ['users', 'admins'], scopes: ['items:read', 'items:write'], clientId: 'web', provider: 'corp', tokenType: 'opaque' });
    expect(d.principal?.expiresAt).toBeInstanceOf(Date);
    const req = s.seen[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/introspect');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers['authorization']).toBe('Basic ' + Buffer.from('rs:rs-secret').toString('base64'));
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ token: 'opaque-token-1', token_type_hint: 'access_token' });
  });

  it('client_secret_basic form-encodes the id and secret (RFC 6749 §2.3.1)', async () => {
    const s = await server((req, res) => json(res, 200, ACTIVE()));
    await createRestAuth({ providers: [introspection(s.url, { clientId: 'my client', clientSecret: 'p@ss:w/rd' })] }).authenticate(bearer('t'));
    expect(Buffer.from(s.seen[0]!.headers['authorization']!.slice(6), 'base64').toString()).toBe('my+client:p%40ss%3Aw%2Frd');
  });

  it('client_secret_post sends the credentials in the body and no Authorization', async () => {
    const s = await server((req, res) => json(res, 200, ACTIVE()));
    const d = await createRestAuth({ providers: [introspection(s.url, { clientAuth: 'client_secret_post' })] }).authenticate(bearer('t2'));
    expect(d.allowed).toBe(true);
    expect(s.seen[0]!.headers['authorization']).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(s.seen[0]!.body))).toEqual({ token: 't2', token_type_hint: 'access_token', client_id: 'rs', client_secret: 'rs-secret' });
  });

  it('private_key_jwt signs an RFC 7523 client assertion the endpoint can verify', async () => {
    for (const [type, opts, alg] of [['rsa', { modulusLength: 2048 }, 'RS256'], ['ec', { namedCurve: 'P-256' }, 'ES256'], ['ed25519', {}, 'EdDSA']] as const) {
      const { privateKey, publicKey } = generateKeyPairSync(type as 'rsa', opts as { modulusLength: number });
      const s = await server((req, res) => {
        const form = new URLSearchParams(req.body);
        const [h, p, sig] = form.get('client_assertion')!.split('.') as [string, string, string];
        const header = JSON.parse(Buffer.from(h, 'base64url').toString());
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
        const digest = alg === 'EdDSA' ? null : 'sha256';
        const ok = verifySignature(digest, Buffer.from(`${h}.${p}`), alg === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' } : publicKey, Buffer.from(sig, 'base64url'));
        const good = ok && header.alg === alg && header.kid === 'k1' && claims.iss === 'rs' && claims.sub === 'rs' && claims.aud === `${s.url}/introspect`
          && typeof claims.jti === 'string' && claims.exp - claims.iat === 60
          && form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' && form.get('client_id') === 'rs'
          && req.headers['authorization'] === undefined;
        json(res, good ? 200 : 401, good ? ACTIVE() : { error: 'invalid_client' });
      });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      const { clientSecret: _s, ...base } = introspection(s.url);
      const d = await createRestAuth({ providers: [{ ...base, clientAuth: 'private_key_jwt', privateKey: pem, keyId: 'k1' }] }).authenticate(bearer('t3'));
      expect(d.allowed, alg).toBe(true);
    }
  });

  it('private_key_jwt: a key that is not PEM, or an algorithm that does not fit it, fails at start-up', () => {
    const { clientSecret: _s, ...base } = introspection('http://127.0.0.1:1');
    expect(() => createRestAuth({ providers: [{ ...base, clientAuth: 'private_key_jwt', privateKey: 'nope' }] })).toThrow(ConfigError);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    try {
      createRestAuth({ providers: [{ ...base, clientAuth: 'private_key_jwt', privateKey: ec, assertionAlgorithm: 'RS256' }] });
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect((e as ConfigError).issues).toEqual([{ path: 'providers[0].assertionAlgorithm', message: expect.stringMatching(/"RS256" cannot be used/) }]);
    }
  });

  it('falls back from usernameClaim to sub, then to the client id (client-credentials tokens)', async () => {
    const answers = [{ active: true, sub: 'u-9' }, { active: true, client_id: 'svc' }];
    const s = await server((req, res) => json(res, 200, answers[s.seen.length - 1]));
    const auth = createRestAuth({ providers: [introspection(s.url)] });
    expect((await auth.authenticate(bearer('a'))).principal).toMatchObject({ username: 'u-9', subject: 'u-9' });
    expect((await auth.authenticate(bearer('b'))).principal).toMatchObject({ username: 'svc', subject: 'svc', clientId: 'svc' });
  });

  it('maps configured claim names, dotted paths included', async () => {
    const s = await server((req, res) => json(res, 200, { active: true, sub: 'x', user: { name: 'carol' }, realm_access: { roles: ['auditors'] }, azp: 'spa', scp: ['a', 'b'] }));
    const auth = createRestAuth({ providers: [introspection(s.url, { usernameClaim: 'user.name', groupsClaim: 'realm_access.roles', clientIdClaim: 'azp', scopeClaim: 'scp' })] });
    expect((await auth.authenticate(bearer('t'))).principal).toMatchObject({ username: 'carol', groups: ['auditors'], clientId: 'spa', scopes: ['a', 'b'] });
  });
});

describe('introspection: refusals', () => {
  it('active: false is a 401 invalid_token', async () => {
    const s = await server((req, res) => json(res, 200, { active: false }));
    const d = await createRestAuth({ providers: [introspection(s.url)] }).authenticate(bearer('revoked'));
    expect(d.status).toBe(401);
    expect(d.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('an active refresh or ID token is refused: only access tokens call the API', async () => {
    const s = await server((req, res) => json(res, 200, ACTIVE(s.seen.length === 1 ? { token_type: 'refresh_token' } : { typ: 'Refresh' })));
    const strategy = createIntrospectionStrategy([resolved(introspection(s.url))]);
    expect(await verifyWith(strategy, 'r1')).toBeUndefined();
    expect(await verifyWith(strategy, 'r2')).toBeUndefined();
  });

  it('with audience configured, an answer for another API is refused', async () => {
    const s = await server((req, res) => json(res, 200, ACTIVE({ aud: s.seen.length === 1 ? ['other'] : 'api' })));
    const auth = createRestAuth({ providers: [introspection(s.url, { audience: 'api' })] });
    expect((await auth.authenticate(bearer('a'))).status).toBe(401);
    expect((await auth.authenticate(bearer('b'))).status).toBe(200);
  });

  it.each([
    ['not JSON', 'text/plain', 'this is not json'],
    ['HTML with 200', 'text/html', '<!doctype html><html><body>Sign in</body></html>'],
    ['a JSON array', 'application/json', '[true]'],
    ['a bare string', 'application/json', '"active"'],
  ])('an answer %s is a provider fault: 503 with Retry-After, nothing cached', async (_n, type, body) => {
    let junk = true;
    const s = await server((req, res) => {
      if (!junk) return json(res, 200, ACTIVE());
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    });
    const auth = createRestAuth({ providers: [introspection(s.url)] });
    for (let i = 0; i < 2; i++) {
      const d = await auth.authenticate(bearer('t'));
      expect(d.status).toBe(503);
      expect(d.headers['retry-after']).toBe('5');
      expect(JSON.parse(d.body!).error).toBe('temporarily_unavailable');
      expect(String((d.error?.cause as Error).message)).toMatch(/not a JSON object/);
    }
    expect(s.seen).toHaveLength(2); // the junk was not remembered
    junk = false;
    expect((await auth.authenticate(bearer('t'))).status).toBe(200);
  });

  it.each([
    ['lacking active', 'application/json', '{"sub":"alice","username":"alice"}', /no boolean "active"/],
    ['active as a string', 'application/json', '{"active":"true","sub":"alice"}', /no boolean "active"/],
    ['exp not a number', 'application/json', '{"active":true,"sub":"a","exp":"soon"}', /"exp" is not a number/],
  ])('an answer %s is a 401 that says the provider answer is not valid (never an allow, never a 500)', async (_n, type, body, reason) => {
    const s = await server((req, res) => { res.writeHead(200, { 'content-type': type }); res.end(body); });
    const d = await createRestAuth({ providers: [introspection(s.url)] }).authenticate(bearer('t'));
    expect(d.status).toBe(401);
    const msg = JSON.parse(d.body!);
    expect(msg.error).toBe('invalid_token');
    expect(msg.message).toMatch(/^Provider corp gave an answer that is not valid/);
    expect(msg.message).toMatch(reason);
  });

  it('an endpoint that refuses restauth\'s own credentials is a 503, not the caller\'s fault', async () => {
    const s = await server((req, res) => json(res, 401, { error: 'invalid_client' }));
    const d = await createRestAuth({ providers: [introspection(s.url)] }).authenticate(bearer('t'));
    expect(d.status).toBe(503);
    expect(JSON.parse(d.body!).error).toBe('temporarily_unavailable');
    expect(d.error?.cause).toBeInstanceOf(Error);
    expect(String((d.error?.cause as Error).message)).toMatch(/HTTP 401; check introspectionEndpoint, clientId/);
  });

  it('5xx and 429 are 503 with Retry-After (the provider\'s own when sane)', async () => {
    const s = await server((req, res) => (s.seen.length === 1 ? json(res, 502, {}) : json(res, 429, {}, { 'retry-after': '17' })));
    const auth = createRestAuth({ providers: [introspection(s.url)] });
    const d1 = await auth.authenticate(bearer('a'));
    expect(d1.status).toBe(503);
    expect(d1.headers['retry-after']).toBe('5');
    const d2 = await auth.authenticate(bearer('b'));
    expect(d2.headers['retry-after']).toBe('17');
  });

  it('an unreachable provider is a 503 temporarily_unavailable with retryAfterSec', async () => {
    const s = await server(() => undefined);
    const url = s.url;
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    const r = await rejection(verifyWith(createIntrospectionStrategy([resolved(introspection(url))]), 't'));
    expect(r).toEqual({ code: 'temporarily_unavailable', message: 'Token provider corp is unavailable; try again later', retryAfterSec: 5 });
  });

  it('never puts the token or the client secret in a response or error', async () => {
    const s = await server((req, res) => json(res, 200, { active: false }));
    const d = await createRestAuth({ providers: [introspection(s.url)] }).authenticate(bearer('super-secret-token'));
    expect(JSON.stringify(d.headers) + d.body + String(d.error?.message)).not.toMatch(/super-secret-token|rs-secret/);
  });
});

describe('introspection: timeouts and concurrency', () => {
  it('a provider that times out is a 503 after timeoutMs', async () => {
    const s = await server(() => undefined); // never answers
    const started = Date.now();
    const r = await rejection(verifyWith(createIntrospectionStrategy([resolved(introspection(s.url, { timeoutMs: 200 }))]), 't'));
    expect(r.code).toBe('temporarily_unavailable');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a slow provider holds at most maxConcurrent connections; the others wait, then get 503', async () => {
    const s = await server(() => undefined); // holds every connection
    const strategy = createIntrospectionStrategy([resolved(introspection(s.url, { timeoutMs: 300 }))], { maxConcurrent: 4 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => rejection(verifyWith(strategy, `slow-${i}`))));
    expect(results.every((r) => r.code === 'temporarily_unavailable')).toBe(true);
    expect(s.maxInFlight).toBeLessThanOrEqual(4);
    expect(s.seen.length).toBeLessThanOrEqual(8);
  });

  it('a full queue answers 503 at once instead of waiting', async () => {
    const s = await server(() => undefined);
    const strategy = createIntrospectionStrategy([resolved(introspection(s.url, { timeoutMs: 500 }))], { maxConcurrent: 1, maxQueued: 1 });
    const started = Date.now();
    const all = Array.from({ length: 3 }, (_, i) => rejection(verifyWith(strategy, `q-${i}`)));
    const third = await all[2]!;
    expect(third.code).toBe('temporarily_unavailable');
    expect(Date.now() - started).toBeLessThan(250);
    await Promise.all(all);
  });

  it('100 simultaneous requests with one token cost the provider one call', async () => {
    const s = await server((req, res) => setTimeout(() => json(res, 200, ACTIVE()), 50));
    const auth = createRestAuth({ providers: [introspection(s.url)] });
    const decisions = await Promise.all(Array.from({ length: 100 }, () => auth.authenticate(bearer('same-token'))));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(s.seen).toHaveLength(1);
  });

  it('100 simultaneous requests with one token against a down provider: one call, 100 × 503', async () => {
    const s = await server((req, res) => setTimeout(() => json(res, 503, {}), 50));
    const auth = createRestAuth({ providers: [introspection(s.url)] });
    const decisions = await Promise.all(Array.from({ length: 100 }, () => auth.authenticate(bearer('same-token'))));
    expect(decisions.every((d) => d.status === 503)).toBe(true);
    expect(s.seen).toHaveLength(1);
  });
});

describe('introspection: caching', () => {
  it('caches an active answer for cacheTtlSec', async () => {
    let clock = Date.now();
    const s = await server((req, res) => json(res, 200, ACTIVE({ exp: Math.floor(clock / 1000) + 3600 })));
    const strategy = createIntrospectionStrategy([resolved(introspection(s.url, { cacheTtlSec: 60 }))], { now: () => clock });
    await verifyWith(strategy, 't');
    clock += 59_000;
    expect(await verifyWith(strategy, 't')).toMatchObject({ username: 'alice' });
    expect(s.seen).toHaveLength(1);
    clock += 2_000;
    await verifyWith(strategy, 't');
    expect(s.seen).toHaveLength(2);
  });

  it('never caches past the token\'s exp', async () => {
    let clock = Date.now();
    const s = await server((req, res) => json(res, 200, s.seen.length === 1 ? ACTIVE({ exp: Math.floor(clock / 1000) + 5 }) : { active: false }));
    const strategy = createIntrospectionStrategy([resolved(introspection(s.url, { cacheTtlSec: 3600 }))], { now: () => clock });
    expect(await verifyWith(strategy, 't')).toBeDefined();
    clock += 4_000;
    expect(await verifyWith(strategy, 't')).toBeDefined();
    expect(s.seen).toHaveLength(1);
    clock += 2_000; // past exp
    expect(await verifyWith(strategy, 't')).toBeUndefined();
    expect(s.seen).toHaveLength(2);
  });

  it('an answer whose exp already passed is not cached', async () => {
    const s = await server((req, res) => json(res, 200, ACTIVE({ exp: nowSec() - 10 })));
    const strategy = createIntrospectionStrategy([resolved(introspection(s.url))]);
    await verifyWith(strategy, 't');
    await verifyWith(strategy, 't');
    expect(s.seen).toHaveLength(2);
  });

  it('caches a negative answer briefly: min(cacheTtlSec, 10 s)', async () => {
    let clock = Date.now();
    const s = await server((req, res) => json(res, 200, { active: false }));
    const strategy = createIntrospectionStrategy([resolved(introspection(s.url, { cacheTtlSec: 60 }))], { now: () => clock });
    for (let i = 0; i < 50; i++) expect(await verifyWith(strategy, 'bad')).toBeUndefined();
    expect(s.seen).toHaveLength(1);
    clock += 9_000;
    await verifyWith(strategy, 'bad');
    expect(s.seen).toHaveLength(1);
    clock += 1_500;
    await verifyWith(strategy, 'bad');
    expect(s.seen).toHaveLength(2);

    const short = createIntrospectionStrategy([resolved(introspection(s.url, { cacheTtlSec: 3 }))], { now: () => clock });
    await verifyWith(short, 'bad2');
    clock += 3_100;
    await verifyWith(short, 'bad2');
    expect(s.seen).toHaveLength(4);
  });

  it('never caches failures (503) or answers that are not valid', async () => {
    const s = await server((req, res) => (s.seen.length % 2 ? json(res, 500, {}) : (res.writeHead(200), res.end('<html>'))));
    const strategy = createIntrospectionStrategy([resolved(introspection(s.url))]);
    for (let i = 0; i < 4; i++) await rejection(verifyWith(strategy, 't'));
    expect(s.seen).toHaveLength(4);
  });

  it('cacheTtlSec 0 asks every time', async () => {
    const s = await server((req, res) => json(res, 200, s.seen.length % 2 ? ACTIVE() : { active: false }));
    const strategy = createIntrospectionStrategy([resolved(introspection(s.url, { cacheTtlSec: 0 }))]);
    expect(await verifyWith(strategy, 't')).toBeDefined();
    expect(await verifyWith(strategy, 't')).toBeUndefined();
    expect(await verifyWith(strategy, 't')).toBeDefined();
  });

  it('caches per token: another token is asked about', async () => {
    const s = await server((req, res) => json(res, 200, ACTIVE({ username: new URLSearchParams(req.body).get('token') })));
    const strategy = createIntrospectionStrategy([resolved(introspection(s.url))]);
    expect(await verifyWith(strategy, 'alice-token')).toMatchObject({ username: 'alice-token' });
    expect(await verifyWith(strategy, 'bob-token')).toMatchObject({ username: 'bob-token' });
    expect(await verifyWith(strategy, 'alice-token')).toMatchObject({ username: 'alice-token' });
    expect(s.seen).toHaveLength(2);
  });
});
