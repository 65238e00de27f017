// The node:crypto signature check as the gate sees it: published tokens, and forgeries that
// only a hand-written verifier could get wrong (encodings, lengths, padding parameters).
import { constants, createPublicKey, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { exportJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, claims, gate, provider, rsaKey, sign, startJwksServer, type JwksServer, type TestKey } from './test-fixtures.js';
import { RFC_VECTORS, type RfcVector } from './rfc-vectors.js';

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
// Before the exp (1300819380) of the RFC 7515 example claims.
const RFC7515_NOW = 1300819000 * 1000;

function vector(name: string): RfcVector {
  return RFC_VECTORS.find((v) => v.name.startsWith(name)) as RfcVector;
}

describe('RFC 7515 example tokens through the whole gate', () => {
  it.each(['RFC 7515 A.2', 'RFC 7515 A.3'])('%s: the signature verifies, then the claims decide (no aud)', async (name) => {
    const v = vector(name);
    const pem = createPublicKey({ key: v.jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    const auth = gate([provider({ issuer: 'joe', publicKey: pem, algorithms: [v.alg] })], { now: () => RFC7515_NOW });
    expect((await call(auth, v.jws)).json?.message).toBe('Token audience is not accepted');
    const [h, p, s] = v.jws.split('.') as [string, string, string];
    const flipped = Buffer.from(s, 'base64url');
    flipped[0] = (flipped[0] as number) ^ 1;
    expect((await call(auth, `${h}.${p}.${flipped.toString('base64url')}`)).json?.message).toBe('Token signature is invalid');
  });

  it('RFC 7515 A.2 through a JWKS: the key is imported once and verifies', async () => {
    const v = vector('RFC 7515 A.2');
    const idp = await startJwksServer([{ ...v.jwk, kid: 'rfc' }]);
    try {
      const auth = gate([provider({ issuer: 'joe', jwksUri: idp.jwksUri })], { now: () => RFC7515_NOW });
      expect((await call(auth, v.jws)).json?.message).toBe('Token audience is not accepted');
      expect((await call(auth, v.jws)).json?.message).toBe('Token audience is not accepted');
      expect(idp.jwksFetches).toBe(1);
    } finally {
      await idp.close();
    }
  });
});

describe('forgeries of the signature segment are 401 "Token signature is invalid"', () => {
  let idp: JwksServer;
  let rsa: TestKey;
  let ecPrivate: ReturnType<typeof generateKeyPairSync>['privateKey'];
  let good: string;

  beforeAll(async () => {
    rsa = await rsaKey('r1');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    ecPrivate = ec.privateKey;
    const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'e1', alg: 'ES256' };
    idp = await startJwksServer([rsa.jwk, ecJwk]);
    good = await sign(rsa, claims(idp.issuer));
  });

  const gateFor = () => gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, algorithms: ['RS256', 'PS256', 'ES256'] })]);

  async function expectBadSignature(token: string): Promise<void> {
    const d = await call(gateFor(), token);
    expect(d.status).toBe(401);
    expect(d.json?.message).toBe('Token signature is invalid');
  }

  it('the good token passes', async () => {
    expect((await call(gateFor(), good)).status).toBe(200);
  });

  it('RSA: leading zero added or dropped, other spellings of the same bytes, trailing data', async () => {
    const [h, p, s] = good.split('.') as [string, string, string];
    const bytes = Buffer.from(s, 'base64url');
    await expectBadSignature(`${h}.${p}.${Buffer.concat([Buffer.alloc(1), bytes]).toString('base64url')}`);
    await expectBadSignature(`${h}.${p}.${bytes.subarray(1).toString('base64url')}`);
    await expectBadSignature(`${h}.${p}.${s}A`);
    const last = s[s.length - 1] as string;
    const twin = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_']
      .map((c) => s.slice(0, -1) + c)
      .find((t) => t !== s && Buffer.from(t, 'base64url').equals(bytes));
    expect(twin, `a twin spelling of ...${last}`).toBeDefined();
    await expectBadSignature(`${h}.${p}.${twin}`);
  });

  it('RS256 header with a PS256 signature by the same key (and the reverse)', async () => {
    const input = `${b64({ alg: 'RS256', kid: 'r1' })}.${b64(claims(idp.issuer))}`;
    const pss = cryptoSign('sha256', Buffer.from(input), { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    await expectBadSignature(`${input}.${pss.toString('base64url')}`);
  });

  it('ES256: a DER-encoded signature, r = s = 0, and a signature one byte short', async () => {
    const input = `${b64({ alg: 'ES256', kid: 'e1' })}.${b64(claims(idp.issuer))}`;
    const p1363 = cryptoSign('sha256', Buffer.from(input), { key: ecPrivate, dsaEncoding: 'ieee-p1363' });
    expect((await call(gateFor(), `${input}.${p1363.toString('base64url')}`)).status).toBe(200);
    const der = cryptoSign('sha256', Buffer.from(input), { key: ecPrivate, dsaEncoding: 'der' });
    await expectBadSignature(`${input}.${der.toString('base64url')}`);
    await expectBadSignature(`${input}.${Buffer.alloc(64).toString('base64url')}`);
    await expectBadSignature(`${input}.${p1363.subarray(1).toString('base64url')}`);
  });

  it('an RS256 header naming the EC key, and an ES256 header naming the RSA key', async () => {
    const [, p, s] = good.split('.') as [string, string, string];
    const d1 = await call(gateFor(), `${b64({ alg: 'RS256', kid: 'e1' })}.${p}.${s}`);
    expect(d1.json?.message).toBe('Token signing key is unknown');
    const d2 = await call(gateFor(), `${b64({ alg: 'ES256', kid: 'r1' })}.${p}.${s}`);
    expect(d2.json?.message).toBe('Token signing key is unknown');
  });

  it('invalid UTF-8 in a signed payload is malformed, as jose reads it', async () => {
    const input = `${b64({ alg: 'RS256', kid: 'r1' })}.${Buffer.concat([Buffer.from(JSON.stringify(claims(idp.issuer)).slice(0, -1)), Buffer.from(',"x":"\xff"}', 'latin1')]).toString('base64url')}`;
    const sig = cryptoSign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url');
    const d = await call(gateFor(), `${input}.${sig}`);
    expect(d.json?.message).toBe('Token is malformed');
  });
});
