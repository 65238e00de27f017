import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  importSPKI,
  jwtVerify,
  type JSONWebKeySet,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdp, type TestIdp } from './index.js';

let idp: TestIdp;

beforeAll(async () => {
  idp = await startIdp();
});

afterAll(async () => {
  await idp.close();
});

function now(): number {
  return Math.floor(Date.now() / 1000);
}

async function jwks(): Promise<JSONWebKeySet> {
  return (await (await fetch(idp.jwksUri)).json()) as JSONWebKeySet;
}

describe('setJwksMode and jwksFetchCount', () => {
  it('counts every fetch, and a JWKS client that caches fetches once', async () => {
    const before = idp.jwksFetchCount;
    await jwks();
    expect(idp.jwksFetchCount).toBe(before + 1);

    const remote = createRemoteJWKSet(new URL(idp.jwksUri));
    const options = { issuer: idp.issuer, audience: 'api' };
    await jwtVerify(await idp.userToken('alice'), remote, options);
    await jwtVerify(await idp.userToken('bob'), remote, options);
    expect(idp.jwksFetchCount).toBe(before + 2);
  });

  it("'down' answers HTTP 500", async () => {
    idp.setJwksMode('down');
    const before = idp.jwksFetchCount;
    const res = await fetch(idp.jwksUri);
    expect(res.status).toBe(500);
    const token = await idp.userToken('alice');
    await expect(jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)))).rejects.toThrow(errors.JOSEError);
    expect(idp.jwksFetchCount).toBe(before + 2);
    // only the JWKS misbehaves
    expect((await fetch(idp.discoveryUrl)).status).toBe(200);
  });

  it("'junk' answers HTTP 200 with a body that is not JSON", async () => {
    idp.setJwksMode('junk');
    const res = await fetch(idp.jwksUri);
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow(SyntaxError);
    const token = await idp.userToken('alice');
    await expect(jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)))).rejects.toThrow();
  });

  it("{ slowMs } answers correctly but late", async () => {
    idp.setJwksMode({ slowMs: 400 });
    const started = Date.now();
    const set = await jwks();
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(set.keys[0]?.kid).toBe(idp.kid);

    const token = await idp.userToken('alice');
    const impatient = createRemoteJWKSet(new URL(idp.jwksUri), { timeoutDuration: 100 });
    await expect(jwtVerify(token, impatient)).rejects.toThrow(errors.JWKSTimeout);
  });

  it("'ok' restores normal answers; bad modes are refused", async () => {
    idp.setJwksMode('ok');
    const token = await idp.userToken('alice');
    await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), { issuer: idp.issuer, audience: 'api' });
    expect(() => idp.setJwksMode('broken' as never)).toThrow(TypeError);
    expect(() => idp.setJwksMode({ slowMs: -1 })).toThrow(TypeError);
  });
});

describe('signJwt', () => {
  it('signs with the current key, with default alg, kid and typ', async () => {
    const payload = { iss: idp.issuer, aud: 'api', sub: 'alice', exp: now() + 60 };
    const token = await idp.signJwt(payload);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: idp.kid, typ: 'at+jwt' });
    expect(decodeJwt(token)).toEqual(payload);
    const verified = await jwtVerify(token, createLocalJWKSet(await jwks()), { issuer: idp.issuer, audience: 'api' });
    expect(verified.payload.sub).toBe('alice');
  });

  it('produces what negative tests need', async () => {
    const key = await importSPKI(idp.publicKeyPem, 'RS256');
    const expired = await idp.signJwt({ sub: 'alice', exp: now() - 120 });
    await expect(jwtVerify(expired, key)).rejects.toThrow(errors.JWTExpired);

    const wrongAud = await idp.signJwt({ sub: 'alice', aud: 'other', exp: now() + 60 });
    await expect(jwtVerify(wrongAud, key, { audience: 'api' })).rejects.toThrow(errors.JWTClaimValidationFailed);

    const idTokenLike = await idp.signJwt({ sub: 'alice', exp: now() + 60 }, { typ: 'JWT' });
    await expect(jwtVerify(idTokenLike, key, { typ: 'at+jwt' })).rejects.toThrow(errors.JWTClaimValidationFailed);

    const noTyp = await idp.signJwt({ sub: 'alice' }, { typ: undefined, kid: undefined });
    expect(decodeProtectedHeader(noTyp)).toEqual({ alg: 'RS256' });

    const crit = await idp.signJwt({ sub: 'alice' }, { crit: ['x-unknown'], 'x-unknown': true });
    expect(decodeProtectedHeader(crit).crit).toEqual(['x-unknown']);
    await expect(jwtVerify(crit, key)).rejects.toThrow(errors.JOSENotSupported);

    const jku = await idp.signJwt({ sub: 'alice' }, { jku: 'https://attacker.example/jwks' });
    expect(decodeProtectedHeader(jku).jku).toBe('https://attacker.example/jwks');
    expect((await jwtVerify(jku, key)).payload.sub).toBe('alice');

    const pss = await idp.signJwt({ sub: 'alice' }, { alg: 'PS256' });
    expect((await jwtVerify(pss, await importSPKI(idp.publicKeyPem, 'PS256'))).payload.sub).toBe('alice');
  });

  it("signs alg 'none' and HS256 keyed with the public key (key confusion)", async () => {
    const none = await idp.signJwt({ sub: 'alice' }, { alg: 'none' });
    expect(none.endsWith('.')).toBe(true);
    const key = await importSPKI(idp.publicKeyPem, 'RS256');
    await expect(jwtVerify(none, key)).rejects.toThrow();

    const confused = await idp.signJwt({ sub: 'alice' }, { alg: 'HS256' });
    const secret = new TextEncoder().encode(idp.publicKeyPem);
    expect((await jwtVerify(confused, secret)).payload.sub).toBe('alice');
    await expect(jwtVerify(confused, key)).rejects.toThrow();

    await expect(idp.signJwt({}, { alg: 'ES256' })).rejects.toThrow(/cannot sign with alg "ES256"/);
  });
});

describe('rotateKey', () => {
  it('adds a new current key, keeps the old one published and old tokens valid', async () => {
    const oldKid = idp.kid;
    const oldPem = idp.publicKeyPem;
    const oldToken = await idp.userToken('alice');
    const opaque = await idp.opaqueUserToken('bob');

    const newKid = await idp.rotateKey();
    expect(newKid).not.toBe(oldKid);
    expect(idp.kid).toBe(newKid);
    expect(idp.publicKeyPem).not.toBe(oldPem);

    expect((await jwks()).keys.map((k) => k.kid)).toEqual([newKid, oldKid]);

    const newToken = await idp.userToken('alice');
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    expect(decodeProtectedHeader(await idp.clientToken('service-a')).kid).toBe(newKid);
    expect(decodeProtectedHeader(await idp.signJwt({ sub: 'x' })).kid).toBe(newKid);

    const remote = createRemoteJWKSet(new URL(idp.jwksUri));
    const options = { issuer: idp.issuer, audience: 'api' };
    await jwtVerify(newToken, remote, options);
    await jwtVerify(oldToken, remote, options);
    await jwtVerify(newToken, await importSPKI(idp.publicKeyPem, 'RS256'), options);

    // grants and opaque tokens live in the IdP, not in the rebuilt provider
    const res = await fetch(idp.introspectionEndpoint, {
      method: 'POST',
      body: new URLSearchParams({ token: opaque, client_id: 'restauth-test', client_secret: 'restauth-test-secret' }),
    });
    expect(await res.json()).toMatchObject({ active: true, username: 'bob' });
  });

  it('rotates again', async () => {
    const previous = idp.kid;
    const next = await idp.rotateKey();
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([next, previous, expect.any(String)]);
  });
});
