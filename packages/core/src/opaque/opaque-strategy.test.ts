import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../config/types.js';
import { RestAuthError } from '../errors.js';
import { createRestAuth } from '../rest-auth.js';
import type { Strategy } from '../strategy.js';
import { createAnswerCache, tokenKey } from './answer-cache.js';
import { createOpaqueStrategy } from './opaque-strategy.js';
import type { TokenChecker } from './token-checker.js';
import { bearer, json, startServer, type TestHandler, type TestServer } from './test-server.test-helper.js';

const servers: TestServer[] = [];
afterEach(async () => { await Promise.all(servers.splice(0).map((s) => s.close())); });
async function server(handler: TestHandler): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

const intro = (name: string, url: string): ProviderConfig => ({ name, type: 'introspection', introspectionEndpoint: `${url}/introspect`, clientId: 'rs', clientSecret: 'rs-secret' });
const ui = (name: string, url: string): ProviderConfig => ({ name, type: 'userinfo', userinfoEndpoint: `${url}/userinfo` });
const token = (req: { body: string; headers: Record<string, unknown> }) => new URLSearchParams(req.body).get('token') ?? String(req.headers['authorization']).slice(7);

/** A provider double that knows some tokens, answers like an introspection and a userinfo endpoint, or is down. */
function knows(tokens: string[], mode: 'ok' | 'down' | 'html' = 'ok'): TestHandler {
  return (req, res) => {
    if (mode === 'down') return json(res, 503, {});
    if (mode === 'html') { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>'); return; }
    const t = token(req);
    const known = tokens.includes(t);
    if (req.url === '/introspect') return json(res, 200, known ? { active: true, username: t } : { active: false });
    return known ? json(res, 200, { sub: t }) : json(res, 401, {});
  };
}

describe('order of opaque providers', () => {
  it('active: false at provider 1 lets provider 2 try; the first that accepts decides', async () => {
    const [a, b] = await Promise.all([server(knows(['ta'])), server(knows(['tb']))]);
    const auth = createRestAuth({ providers: [intro('a', a.url), intro('b', b.url)] });
    expect((await auth.authenticate(bearer('tb'))).principal).toMatchObject({ provider: 'b', username: 'tb' });
    expect((await auth.authenticate(bearer('ta'))).principal).toMatchObject({ provider: 'a' });
    expect(b.seen.map(token)).toEqual(['tb']); // provider 1 accepted 'ta': provider 2 was never asked
    expect((await auth.authenticate(bearer('nobody'))).status).toBe(401);
  });

  it('provider 1 down, provider 2 accepts: allowed', async () => {
    const [a, b] = await Promise.all([server(knows([], 'down')), server(knows(['tb']))]);
    const d = await createRestAuth({ providers: [intro('a', a.url), intro('b', b.url)] }).authenticate(bearer('tb'));
    expect(d.principal?.provider).toBe('b');
  });

  it('provider 1 down, provider 2 says inactive: 503, since provider 1 might have accepted it', async () => {
    const [a, b] = await Promise.all([server(knows([], 'down')), server(knows([]))]);
    const d = await createRestAuth({ providers: [intro('a', a.url), intro('b', b.url)] }).authenticate(bearer('t'));
    expect(d.status).toBe(503);
    expect(d.headers['retry-after']).toBe('5');
  });

  it('provider 1 answers HTML, provider 2 accepts: allowed; provider 2 inactive: 503, since provider 1 is broken, not the token', async () => {
    const [a, b] = await Promise.all([server(knows([], 'html')), server(knows(['tb']))]);
    const auth = createRestAuth({ providers: [intro('a', a.url), intro('b', b.url)] });
    expect((await auth.authenticate(bearer('tb'))).allowed).toBe(true);
    const d = await auth.authenticate(bearer('other'));
    expect(d.status).toBe(503);
    expect(d.headers['retry-after']).toBe('5');
  });

  it('across types: a userinfo provider listed first that is down does not lock out the introspection provider\'s callers', async () => {
    const [down, b] = await Promise.all([server(knows([], 'down')), server(knows(['tb']))]);
    const auth = createRestAuth({ providers: [ui('gh', down.url), intro('corp', b.url)] });
    expect((await auth.authenticate(bearer('tb'))).principal?.provider).toBe('corp');
    expect((await auth.authenticate(bearer('unknown'))).status).toBe(503);
  });

  it('introspection and userinfo providers together: each type tries its own providers in order', async () => {
    const [a, b] = await Promise.all([server(knows(['t-intro'])), server(knows(['t-ui']))]);
    const auth = createRestAuth({ providers: [intro('corp', a.url), ui('ui', b.url)] });
    expect((await auth.authenticate(bearer('t-intro'))).principal?.provider).toBe('corp');
    expect((await auth.authenticate(bearer('t-ui'))).principal?.provider).toBe('ui');
  });
});

describe('what is never sent to an opaque provider', () => {
  const never: TokenChecker = { provider: 'x', clear() {}, async check() { throw new Error('must not be asked'); } };
  const strategy = createOpaqueStrategy({ name: 'introspection', checkers: [never], jwtIssuers: ['https://corp.example.com'] });
  const jwt = (payload: object) => ['{"alg":"RS256"}', JSON.stringify(payload)].map((s) => Buffer.from(s).toString('base64url')).join('.') + '.c2ln';
  const req = { request: bearer('x') };

  it('Basic credentials and the API-key header', async () => {
    expect(await strategy.verify({ kind: 'basic', username: 'a', password: 'b' }, req)).toBeUndefined();
    expect(await strategy.verify({ kind: 'api-key', token: 'abc' }, req)).toBeUndefined();
  });
  it('restauth API tokens (rat_...)', async () => {
    expect(await strategy.verify({ kind: 'bearer', token: 'rat_0123456789abcdef' }, req)).toBeUndefined();
  });
  it('JWTs of a configured jwt issuer (they are the JWT strategy\'s)', async () => {
    expect(await strategy.verify({ kind: 'bearer', token: jwt({ iss: 'https://corp.example.com', sub: 'a' }) }, req)).toBeUndefined();
  });
  it('but a JWT of another issuer is asked about (providers may issue JWT-shaped access tokens)', async () => {
    await expect(strategy.verify({ kind: 'bearer', token: jwt({ iss: 'https://other.example.com' }) }, req)).rejects.toThrow(/could not be verified/);
  });
});

describe('core asks every strategy before a 503 wins', () => {
  const down: Strategy = { name: 'down', async verify() { throw new RestAuthError('temporarily_unavailable', 'down', { retryAfterSec: 7 }); } };
  const ok: Strategy = { name: 'ok', async verify(c) { return c.kind === 'bearer' && c.token === 'good' ? { subject: 's', username: 'u', groups: [], scopes: [], provider: 'ok', tokenType: 'opaque', claims: {} } : undefined; } };
  it('a later strategy may still accept; when none does, the 503 is the answer', async () => {
    const auth = createRestAuth({}, { strategies: [down, ok] });
    expect((await auth.authenticate(bearer('good'))).allowed).toBe(true);
    const d = await auth.authenticate(bearer('bad'));
    expect(d.status).toBe(503);
    expect(d.headers['retry-after']).toBe('7');
  });
});

describe('answer cache', () => {
  it('keys are SHA-256 hashes, never the token', () => {
    expect(tokenKey('secret-token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenKey('secret-token')).not.toContain('secret');
    expect(tokenKey('a')).not.toBe(tokenKey('b'));
  });

  it('is bounded, drops the least recently used entry first, and expires entries', () => {
    let clock = 0;
    const c = createAnswerCache<number>({ maxEntries: 2, now: () => clock });
    c.set('a', 1, 100);
    c.set('b', 2, 100);
    expect(c.get('a')).toBe(1); // a is now the most recent
    c.set('c', 3, 100);
    expect(c.size).toBe(2);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    clock = 100;
    expect(c.get('a')).toBeUndefined();
    c.set('d', 4, 50); // already expired: not stored
    expect(c.get('d')).toBeUndefined();
  });
});
