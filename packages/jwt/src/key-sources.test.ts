import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, createRestAuth } from '@restauth/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { jwtPlugin } from './jwt-plugin.js';
import { call, claims, ecKey, gate, provider, rsaKey, selfSignedCertificate, sign, startJwksServer, type TestKey } from './test-fixtures.js';

const ISS = 'https://idp.example.com';
let rsa: TestKey;
let ec: TestKey;

beforeAll(async () => {
  rsa = await rsaKey('rsa-1');
  ec = await ecKey('ec-1');
});

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('key sources accept good tokens', () => {
  it('publicKey (RSA PEM SPKI)', async () => {
    const auth = gate([provider({ issuer: ISS, publicKey: rsa.publicPem })]);
    const d = await call(auth, await sign(rsa, claims(ISS)));
    expect(d.status).toBe(200);
    expect(d.principal).toMatchObject({ username: 'alice', subject: 'u-alice', provider: 'corp', tokenType: 'jwt', groups: ['staff'] });
  });

  it('publicKey (EC P-256 PEM SPKI)', async () => {
    const auth = gate([provider({ issuer: ISS, publicKey: ec.publicPem })]);
    const d = await call(auth, await sign(ec, claims(ISS)));
    expect(d.status).toBe(200);
    expect(d.principal?.username).toBe('alice');
  });

  it('certificate (PEM X.509)', async () => {
    const auth = gate([provider({ issuer: ISS, certificate: selfSignedCertificate(rsa) })]);
    const d = await call(auth, await sign(rsa, claims(ISS)));
    expect(d.status).toBe(200);
    expect(d.principal?.username).toBe('alice');
  });

  it('secret (HMAC)', async () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes!!';
    const auth = gate([provider({ issuer: ISS, secret })]);
    const d = await call(auth, await sign(new TextEncoder().encode(secret), claims(ISS), { alg: 'HS256' }));
    expect(d.status).toBe(200);
    expect(d.principal?.username).toBe('alice');
    const wrong = await call(auth, await sign(new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'), claims(ISS)));
    expect(wrong.status).toBe(401);
    expect(wrong.json?.message).toBe('Token signature is invalid');
  });

  it('secret from {"env": NAME}', async () => {
    const secret = 'an-env-secret-of-at-least-32-bytes-long';
    const auth = createRestAuth({ providers: [provider({ issuer: ISS, secret: { env: 'JWT_TEST_SECRET' } })] }, { plugins: [jwtPlugin()], env: { JWT_TEST_SECRET: secret } });
    const d = await call(auth, await sign(new TextEncoder().encode(secret), claims(ISS)));
    expect(d.status).toBe(200);
  });

  it('discovery: true reads jwks_uri from the discovery document', async () => {
    const idp = await startJwksServer([rsa.jwk]);
    try {
      const auth = gate([provider({ issuer: idp.issuer, discovery: true })]);
      const d = await call(auth, await sign(rsa, claims(idp.issuer)));
      expect(d.status).toBe(200);
      expect(d.principal?.username).toBe('alice');
      expect(idp.discoveryFetches).toBe(1);
      expect(idp.jwksFetches).toBe(1);
    } finally {
      await idp.close();
    }
  });

  it('discovery document naming another issuer is refused (503: no keys)', async () => {
    const idp = await startJwksServer([rsa.jwk]);
    try {
      idp.discoveryIssuer = 'https://evil.example.com';
      const auth = gate([provider({ issuer: idp.issuer, discovery: true })]);
      const d = await call(auth, await sign(rsa, claims(idp.issuer)));
      expect(d.status).toBe(503);
      expect(d.json?.error).toBe('temporarily_unavailable');
      expect(idp.jwksFetches).toBe(0);
    } finally {
      await idp.close();
    }
  });

  it('jwksUri', async () => {
    const idp = await startJwksServer([rsa.jwk, ec.jwk]);
    try {
      const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri })]);
      expect((await call(auth, await sign(rsa, claims(idp.issuer)))).status).toBe(200);
      expect((await call(auth, await sign(ec, claims(idp.issuer)))).status).toBe(200);
      expect(idp.jwksFetches).toBe(1);
    } finally {
      await idp.close();
    }
  });
});

describe('start-up errors name the path', () => {
  it('RSA-1024 publicKey → ConfigError at providers[i].publicKey', async () => {
    const weak = await rsaKey('weak', 1024);
    const e = configError(() => gate([
      provider({ name: 'a', issuer: 'https://a', secret: 'x'.repeat(32) }),
      provider({ name: 'b', issuer: 'https://b', publicKey: weak.publicPem }),
    ]));
    expect(e.issues).toEqual([{ path: 'providers[1].publicKey', message: expect.stringContaining('1024 bits is too weak') }]);
  });

  it('RSA-1024 certificate → ConfigError at providers[i].certificate', async () => {
    const weak = await rsaKey('weak', 1024);
    const e = configError(() => gate([provider({ issuer: ISS, certificate: selfSignedCertificate(weak) })]));
    expect(e.issues[0]?.path).toBe('providers[0].certificate');
  });

  it('malformed PEM → ConfigError', () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n';
    const e = configError(() => gate([provider({ issuer: ISS, publicKey: pem })]));
    expect(e.issues).toEqual([{ path: 'providers[0].publicKey', message: 'is not a valid PEM public key' }]);
    const c = configError(() => gate([provider({ issuer: ISS, certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' })]));
    expect(c.issues).toEqual([{ path: 'providers[0].certificate', message: 'is not a valid PEM X.509 certificate' }]);
  });

  it('a private key in publicKey → ConfigError', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString() + privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const e = configError(() => gate([provider({ issuer: ISS, publicKey: pem })]));
    expect(e.issues[0]?.message).toContain('private key');
  });

  it('algorithms none of which fit the key → ConfigError at .algorithms', () => {
    const e = configError(() => gate([provider({ issuer: ISS, publicKey: ec.publicPem, algorithms: ['RS256', 'PS256'] })]));
    expect(e.issues).toEqual([{ path: 'providers[0].algorithms', message: expect.stringContaining('RS256') }]);
  });
});
