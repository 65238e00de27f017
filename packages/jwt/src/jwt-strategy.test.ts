import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRestAuth, validateConfig, type Credential, type ResolvedJwtProvider } from '@restauth/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { jwtPlugin } from './jwt-plugin.js';
import { createJwtStrategy } from './jwt-strategy.js';
import { call, claims, clock, gate, provider, rsaKey, sign, unsigned, type TestKey } from './test-fixtures.js';

const ISS_A = 'https://a.example.com';
const ISS_B = 'https://b.example.com/realms/x';
const SECRET_B = 'provider-b-shared-secret-32-bytes-long!';
const secretB = new TextEncoder().encode(SECRET_B);
let keyA: TestKey;
let other: TestKey;

beforeAll(async () => {
  keyA = await rsaKey('a-1');
  other = await rsaKey('other');
});

function resolved(fields: Parameters<typeof provider>[0]): ResolvedJwtProvider {
  return validateConfig({ providers: [provider(fields)] }).providers[0] as ResolvedJwtProvider;
}

const ctx = { request: { method: 'GET', url: '/', headers: {} } };

describe('which credentials are the strategy\'s', () => {
  it('returns undefined for anything that is not a bearer JWS, so the next strategy is asked', async () => {
    const strategy = createJwtStrategy([resolved({ issuer: ISS_A, publicKey: keyA.publicPem })]);
    const good = await sign(keyA, claims(ISS_A));
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const notOurs: Credential[] = [
      { kind: 'basic', username: 'alice', password: 'pw' },
      { kind: 'api-key', token: good },
      { kind: 'bearer', token: 'opaque-token-value' },
      { kind: 'bearer', token: `rat_${good}` },
      { kind: 'bearer', token: 'rat_abc.def.ghi' },
      { kind: 'bearer', token: good.split('.').slice(0, 2).join('.') },
      { kind: 'bearer', token: `${good}.extra` },
      { kind: 'bearer', token: 'a.b.c.d.e' },
      { kind: 'bearer', token: `${b64({ typ: 'JWT' })}.${b64(claims(ISS_A))}.sig` },
      { kind: 'bearer', token: `${b64({ alg: 1 })}.${b64(claims(ISS_A))}.sig` },
      { kind: 'bearer', token: `${b64([{ alg: 'RS256' }])}.${b64(claims(ISS_A))}.sig` },
      { kind: 'bearer', token: `bm90IGpzb24.${b64(claims(ISS_A))}.sig` },
      { kind: 'bearer', token: `${b64({ alg: 'RS256' })}==.${b64(claims(ISS_A))}.sig` },
      { kind: 'bearer', token: `${b64({ alg: 'RS256' })}..sig` },
    ];
    for (const c of notOurs) expect(await strategy.verify(c, ctx)).toBeUndefined();
    expect((await strategy.verify({ kind: 'bearer', token: good }, ctx))?.username).toBe('alice');
  });

  it('an opaque bearer token reaches the end of the chain as "not accepted by any provider"', async () => {
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem })]);
    const d = await call(auth, 'opaque-token-value');
    expect(d.status).toBe(401);
    expect(d.json?.message).toBe('Token not accepted by any configured provider');
  });

  it('a JWS whose payload is not JSON is refused as malformed', async () => {
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem })]);
    const d = await call(auth, `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.bm90IGpzb24.c2ln`);
    expect(d.json).toEqual({ error: 'invalid_token', message: 'Token is malformed' });
  });
});

describe('routing by issuer', () => {
  it('two providers with different issuers each verify their own tokens', async () => {
    const auth = gate([
      provider({ name: 'a', issuer: ISS_A, publicKey: keyA.publicPem }),
      provider({ name: 'b', issuer: ISS_B, secret: SECRET_B, usernameClaim: 'email' }),
    ]);
    const a = await call(auth, await sign(keyA, claims(ISS_A)));
    expect(a.status).toBe(200);
    expect(a.principal?.provider).toBe('a');
    const b = await call(auth, await sign(secretB, claims(ISS_B, { email: 'bob@example.com' })));
    expect(b.status).toBe(200);
    expect(b.principal).toMatchObject({ provider: 'b', username: 'bob@example.com' });
  });

  it('a token is checked by its issuer\'s provider only, never by every provider', async () => {
    const auth = gate([
      provider({ name: 'a', issuer: ISS_A, publicKey: keyA.publicPem }),
      provider({ name: 'b', issuer: ISS_B, secret: SECRET_B }),
      provider({ name: 'c', issuer: 'https://c.example.com', publicKey: other.publicPem }),
    ]);
    // Signed by provider c's key but claiming issuer a: a's key does not verify it.
    expect((await call(auth, await sign(other, claims(ISS_A)))).json?.message).toBe('Token signature is invalid');
    // HS256 with b's secret but claiming issuer a: a allows no HMAC.
    expect((await call(auth, await sign(secretB, claims(ISS_A)))).json?.message).toBe('Token algorithm is not allowed');
    // RS256 claiming issuer b: b allows only HMAC.
    expect((await call(auth, await sign(keyA, claims(ISS_B)))).json?.message).toBe('Token algorithm is not allowed');
  });

  it('issuers match exactly (no trailing-slash or case folding)', async () => {
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem })]);
    for (const iss of [`${ISS_A}/`, ISS_A.toUpperCase(), ` ${ISS_A}`]) {
      expect((await call(auth, await sign(keyA, claims(iss)))).json?.message).toBe('Token issuer is not accepted');
    }
  });

  it('a non-string iss is not accepted', async () => {
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem })]);
    const d = await call(auth, unsigned({ alg: 'RS256' }, { ...claims(ISS_A), iss: [ISS_A] }, 'c2ln'));
    expect(d.json?.message).toBe('Token issuer is not accepted');
  });
});

describe('a JWT of an issuer no jwt provider names', () => {
  it('is left to an introspection provider when the config has one (it may introspect its own JWTs)', async () => {
    const introspected: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        const token = new URLSearchParams(body).get('token') ?? '';
        introspected.push(token);
        const ours = token.split('.').length === 3 && JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString())?.iss === ISS_B;
        res.writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(ours ? { active: true, sub: 'u-bob', username: 'bob', iss: ISS_B } : { active: false }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
      const auth = createRestAuth({
        providers: [
          provider({ issuer: ISS_A, publicKey: keyA.publicPem }),
          { name: 'b', type: 'introspection', introspectionEndpoint: endpoint, clientId: 'api', clientSecret: 'introspection-secret' },
        ],
      }, { plugins: [jwtPlugin()] });
      const fromB = await sign(other, claims(ISS_B));
      const d = await call(auth, fromB);
      expect(d.status).toBe(200);
      expect(d.principal).toMatchObject({ username: 'bob', provider: 'b', tokenType: 'opaque' });
      expect(introspected).toEqual([fromB]);

      // A token claiming a jwt provider's issuer stays that provider's: never introspected.
      const forged = await sign(other, claims(ISS_A));
      expect((await call(auth, forged)).json?.message).toBe('Token signature is invalid');
      // An issuer nobody accepts: the introspection provider says no, so 401.
      const stranger = await sign(other, claims('https://c.example.com'));
      const refused = await call(auth, stranger);
      expect(refused.status).toBe(401);
      expect(refused.json?.error).toBe('invalid_token');
      expect(introspected).toEqual([fromB, stranger]);
      await auth.close();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('is refused outright when every provider is a jwt one', async () => {
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem })]);
    expect((await call(auth, await sign(other, claims(ISS_B)))).json).toEqual({ error: 'invalid_token', message: 'Token issuer is not accepted' });
  });
});

describe('principal mapping', () => {
  it('scope as a space-separated string', async () => {
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem })]);
    const d = await call(auth, await sign(keyA, claims(ISS_A, { scope: 'items:read items:write' })));
    expect(d.principal?.scopes).toEqual(['items:read', 'items:write']);
  });

  it('scp as an array', async () => {
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem })]);
    const { scope: _scope, ...rest } = claims(ISS_A);
    const d = await call(auth, await sign(keyA, { ...rest, scp: ['items:read', 'admin'] }));
    expect(d.principal?.scopes).toEqual(['items:read', 'admin']);
  });

  it('dotted usernameClaim, groupsClaim, clientIdClaim and scopeClaim', async () => {
    const auth = gate([provider({
      issuer: ISS_A,
      publicKey: keyA.publicPem,
      usernameClaim: 'user.name',
      groupsClaim: 'realm_access.roles',
      clientIdClaim: 'client.id',
      scopeClaim: 'authz.permissions',
    })]);
    const d = await call(auth, await sign(keyA, claims(ISS_A, {
      user: { name: 'carol' },
      realm_access: { roles: ['admins', 'staff'] },
      client: { id: 'svc-9' },
      authz: { permissions: ['p1', 'p2'] },
    })));
    expect(d.principal).toMatchObject({ username: 'carol', groups: ['admins', 'staff'], clientId: 'svc-9', scopes: ['p1', 'p2'] });
  });

  it('username falls back to sub', async () => {
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem })]);
    const { preferred_username: _u, ...rest } = claims(ISS_A);
    const d = await call(auth, await sign(keyA, { ...rest, sub: 'service-a' }));
    expect(d.principal?.username).toBe('service-a');
  });
});

describe('verified-token cache', () => {
  it('a repeated token is served from the cache (same principal object, no new verification)', async () => {
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem })]);
    const token = await sign(keyA, claims(ISS_A));
    const first = await call(auth, token);
    const second = await call(auth, token);
    expect(second.status).toBe(200);
    expect(second.principal).toBe(first.principal);
  });

  it('the shared principal is frozen, so one request cannot change it for the next', async () => {
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem })]);
    const p = (await call(auth, await sign(keyA, claims(ISS_A, { nested: { roles: ['x'] } })))).principal;
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p?.groups)).toBe(true);
    expect(Object.isFrozen((p?.claims['nested'] as { roles: string[] }).roles)).toBe(true);
  });

  it('verifiedCacheSize: 0 verifies every time', async () => {
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem })], { verifiedCacheSize: 0 });
    const token = await sign(keyA, claims(ISS_A));
    const first = await call(auth, token);
    const second = await call(auth, token);
    expect(second.principal).not.toBe(first.principal);
    expect(second.principal).toEqual(first.principal);
  });

  it('an expired cached token is refused', async () => {
    const c = clock();
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem, clockToleranceSec: 0 })], { now: c.now });
    const exp = Math.floor(c.now() / 1000) + 60;
    const token = await sign(keyA, claims(ISS_A, { exp }));
    expect((await call(auth, token)).status).toBe(200);
    c.advance(30_000);
    expect((await call(auth, token)).status).toBe(200);
    c.advance(31_000);
    const d = await call(auth, token);
    expect(d.status).toBe(401);
    expect(d.json?.message).toBe('Token expired');
  });

  it('the cache never serves past exp even when the clock tolerance would still accept', async () => {
    const c = clock();
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem, clockToleranceSec: 30 })], { now: c.now });
    const exp = Math.floor(c.now() / 1000) + 60;
    const token = await sign(keyA, claims(ISS_A, { exp }));
    const first = await call(auth, token);
    c.advance(70_000);
    const late = await call(auth, token);
    expect(late.status).toBe(200); // re-verified within the tolerance
    expect(late.principal).not.toBe(first.principal);
    c.advance(30_000);
    expect((await call(auth, token)).json?.message).toBe('Token expired');
  });

  it('a failed token is never cached as verified: it fails the same way every time', async () => {
    const auth = gate([provider({ issuer: ISS_A, publicKey: keyA.publicPem })]);
    const token = await sign(other, claims(ISS_A));
    for (let i = 0; i < 3; i++) expect((await call(auth, token)).json?.message).toBe('Token signature is invalid');
  });
});

describe('createJwtStrategy start-up checks', () => {
  it('reports the given paths', () => {
    const p = resolved({ issuer: ISS_A, publicKey: keyA.publicPem });
    expect(() => createJwtStrategy([p, { ...p, name: 'dup' }], { paths: ['providers[3]', 'providers[5]'] })).toThrowError(/providers\[5\]\.issuer/);
    expect(() => createJwtStrategy([{ ...p, algorithms: ['none'] }], { paths: ['providers[2]'] })).toThrowError(/providers\[2\]\.algorithms\[0\]/);
  });
});
