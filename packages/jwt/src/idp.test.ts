// Against the real local OpenID provider of @restauth/testing (oidc-provider), over HTTP.
import type { RestAuth } from '@restauth/core';
import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, clock, gate, provider } from './test-fixtures.js';

const nowSec = (): number => Math.floor(Date.now() / 1000);
const started: TestIdp[] = [];

async function idpFor(options: Parameters<typeof startIdp>[0] = {}): Promise<TestIdp> {
  const idp = await startIdp(options);
  started.push(idp);
  return idp;
}

afterAll(async () => {
  await Promise.all(started.map((i) => i.close()));
});

function forged(idp: TestIdp, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: idp.issuer, aud: 'api', sub: 'alice', preferred_username: 'alice', exp: nowSec() + 300, iat: nowSec(), ...extra };
}

describe('tokens from the real IdP', () => {
  let idp: TestIdp;
  let viaDiscovery: RestAuth;
  let viaJwksUri: RestAuth;

  beforeAll(async () => {
    idp = await idpFor({ issuerPath: '/realms/demo' });
    viaDiscovery = gate([provider({ name: 'idp', issuer: idp.issuer, discovery: true, requireTyp: 'at+jwt' })]);
    viaJwksUri = gate([provider({ name: 'idp', issuer: idp.issuer, jwksUri: idp.jwksUri, clientIdClaim: 'client_id' })]);
  });

  it('a user token via discovery → 200 with the principal', async () => {
    const d = await call(viaDiscovery, await idp.userToken('alice'));
    expect(d.status).toBe(200);
    expect(d.principal).toMatchObject({
      username: 'alice',
      groups: ['users', 'admins'],
      scopes: ['items:read', 'items:write'],
      clientId: 'restauth-test',
      provider: 'idp',
      tokenType: 'jwt',
    });
    expect(d.principal?.expiresAt).toBeInstanceOf(Date);
  });

  it('a client-credentials token via jwksUri → 200 with the client as principal', async () => {
    const d = await call(viaJwksUri, await idp.clientToken('service-a', { scope: 'admin' }));
    expect(d.status).toBe(200);
    expect(d.principal).toMatchObject({ subject: 'service-a', username: 'service-a', clientId: 'service-a', scopes: ['admin'], groups: [] });
  });

  it('user tokens of several users and scopes', async () => {
    const bob = await call(viaJwksUri, await idp.userToken('bob', { scope: 'items:read' }));
    expect(bob.principal).toMatchObject({ username: 'bob', groups: ['users'], scopes: ['items:read'] });
    const carol = await call(viaDiscovery, await idp.userToken('carol'));
    expect(carol.principal?.groups).toEqual(['users', 'auditors']);
  });

  it('publicKey and certificate providers accept the IdP\'s tokens', async () => {
    const token = await idp.userToken('eve');
    for (const source of [{ publicKey: idp.publicKeyPem }, { certificate: idp.certificatePem }]) {
      const d = await call(gate([provider({ issuer: idp.issuer, ...source })]), token);
      expect(d.status).toBe(200);
      expect(d.principal?.username).toBe('eve');
    }
  });

  it('a token for another audience → 401', async () => {
    const d = await call(viaJwksUri, await idp.userToken('alice', { audience: 'another-api' }));
    expect(d.status).toBe(401);
    expect(d.json?.message).toBe('Token audience is not accepted');
  });

  it('forgeries signed through the IdP helper → 401', async () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
      [forged(idp), { alg: 'none' }, 'Token algorithm is not allowed'],
      [forged(idp), { alg: 'HS256' }, 'Token algorithm is not allowed'],
      [forged(idp), { kid: 'not-a-kid-of-the-idp' }, 'Token signing key is unknown'],
      [forged(idp), { crit: ['exp'] }, 'Token has an unsupported critical header'],
      [forged(idp), { typ: 'JWT' }, 'Token type must be at+jwt'],
      [forged(idp, { exp: nowSec() - 300 }), {}, 'Token expired'],
      [forged(idp, { exp: undefined }), {}, 'Token has no valid exp claim'],
      [forged(idp, { exp: 'tomorrow' }), {}, 'Token has no valid exp claim'],
      [forged(idp, { nbf: nowSec() + 300 }), {}, 'Token not yet valid'],
    ];
    for (const [payload, header, message] of cases) {
      const d = await call(viaDiscovery, await idp.signJwt(JSON.parse(JSON.stringify(payload)) as Record<string, unknown>, header));
      expect({ status: d.status, json: d.json }).toEqual({ status: 401, json: { error: 'invalid_token', message } });
    }
  });

  it('an iss naming no provider → 401 with no JWKS fetch', async () => {
    const fresh = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri })]);
    const before = idp.jwksFetchCount;
    const d = await call(fresh, await idp.signJwt(forged(idp, { iss: `${idp.issuer}/other` })));
    expect(d.json?.message).toBe('Token issuer is not accepted');
    expect(idp.jwksFetchCount).toBe(before);
  });
});

describe('real IdP JWKS outages', () => {
  let idp: TestIdp;
  let token: string;

  beforeAll(async () => {
    idp = await idpFor();
    token = await idp.userToken('alice');
  });

  afterEach(() => {
    idp.setJwksMode('ok');
  });

  it('JWKS down and nothing cached → 503', async () => {
    idp.setJwksMode('down');
    const d = await call(gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri })]), token);
    expect(d.status).toBe(503);
    expect(d.json?.error).toBe('temporarily_unavailable');
    expect(d.headers['retry-after']).toBe('1'); // the next try is 0.5 s away (NO_KEYS_RETRY)
  });

  it('JWKS junk and nothing cached → 503', async () => {
    idp.setJwksMode('junk');
    const d = await call(gate([provider({ issuer: idp.issuer, discovery: true })]), token);
    expect(d.status).toBe(503);
  });

  it('JWKS slower than timeoutMs and nothing cached → 503 within the timeout', async () => {
    idp.setJwksMode({ slowMs: 3000 });
    const t0 = Date.now();
    const d = await call(gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, timeoutMs: 300 })]), token);
    expect(d.status).toBe(503);
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it('keys are kept when the JWKS goes down after the cache expired', async () => {
    const c = clock();
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, jwksCacheTtlSec: 60 })], { now: c.now, verifiedCacheSize: 0 });
    expect((await call(auth, token)).status).toBe(200);
    const before = idp.jwksFetchCount;
    idp.setJwksMode('down');
    c.advance(120_000);
    expect((await call(auth, token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(idp.jwksFetchCount).toBe(before + 1);
    expect((await call(auth, await idp.userToken('bob'))).status).toBe(200);
  });
});

describe('real IdP key rotation', () => {
  it('rotateKey → the first token with the new kid triggers one refetch and is accepted', async () => {
    const idp = await idpFor();
    const c = clock();
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, jwksCooldownSec: 30 })], { now: c.now });
    expect((await call(auth, await idp.userToken('alice'))).status).toBe(200);
    const before = idp.jwksFetchCount;
    const kid = await idp.rotateKey();
    c.advance(31_000);
    const token = await idp.userToken('bob');
    expect(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid).toBe(kid);
    const d = await call(auth, token);
    expect(d.status).toBe(200);
    expect(d.principal?.username).toBe('bob');
    expect(idp.jwksFetchCount).toBe(before + 1);
  });

  it('a flood of 50 unknown kids → at most one JWKS fetch within the cooldown', async () => {
    const idp = await idpFor();
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, jwksCooldownSec: 30 })]);
    expect((await call(auth, await idp.userToken('alice'))).status).toBe(200);
    const before = idp.jwksFetchCount;
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => idp.signJwt(forged(idp), { kid: `flood-${i}` })));
    const decisions = await Promise.all(tokens.map((t) => call(auth, t)));
    for (const d of decisions) expect(d.json?.message).toBe('Token signing key is unknown');
    expect(idp.jwksFetchCount - before).toBeLessThanOrEqual(1);
  });
});
