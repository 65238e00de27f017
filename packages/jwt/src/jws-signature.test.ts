import { constants, createPublicKey, createSecretKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyKindOf } from './algorithms.js';
import { parseJwks } from './jwks-keys.js';
import { isSupportedAlgorithm, verificationKey, verifyJwsSignature, type VerificationKey } from './jws-signature.js';
import { RFC_VECTORS, type RfcVector } from './rfc-vectors.js';

/** The key of a vector through the production import path: parseJwks for public keys. */
async function keyOf(v: RfcVector): Promise<VerificationKey> {
  if (v.jwk.kty === 'oct') return verificationKey(createSecretKey(Buffer.from(v.jwk.k as string, 'base64url')), 'oct');
  const [key] = await parseJwks({ keys: [v.jwk] }, new Set([v.alg]));
  return (key as { key: VerificationKey }).key;
}

function split(jws: string): { input: string; sig: string } {
  const i = jws.lastIndexOf('.');
  return { input: jws.slice(0, i), sig: jws.slice(i + 1) };
}

/** The same bytes, other spellings, and near misses of a base64url signature. */
function mangled(sig: string): string[] {
  const bytes = Buffer.from(sig, 'base64url');
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
  const last = sig[sig.length - 1] as string;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  // Same decoded bytes when the last character only differs in its unused low bits.
  const sameBytes = [...alphabet].filter((c) => c !== last && Buffer.from(sig.slice(0, -1) + c, 'base64url').equals(bytes)).map((c) => sig.slice(0, -1) + c);
  return [
    flipped.toString('base64url'),
    sig.slice(0, -1),
    `${sig}A`,
    `${sig}=`,
    `${sig}==`,
    Buffer.from(bytes).toString('base64'),
    '',
    ...sameBytes,
    // A wide character whose low byte is the original one: Node's base64 decoder reads it as that byte.
    String.fromCharCode(sig.charCodeAt(0) + 0x100) + sig.slice(1),
    sig.slice(0, -1) + String.fromCharCode(sig.charCodeAt(sig.length - 1) + 0x100),
    Buffer.concat([Buffer.from([0]), bytes]).toString('base64url'),
    bytes.subarray(1).toString('base64url'),
  ].filter((s) => s !== sig);
}

describe('published vectors verify with node:crypto', () => {
  it.each(RFC_VECTORS.map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    const key = await keyOf(v);
    const { input, sig } = split(v.jws);
    expect(verifyJwsSignature(v.alg, key, input, sig)).toBe(true);
  });

  it('EdDSA and Ed25519 name the same algorithm (RFC 8037, RFC 9864)', async () => {
    const v = RFC_VECTORS.find((x) => x.alg === 'EdDSA') as RfcVector;
    const { input, sig } = split(v.jws);
    expect(verifyJwsSignature('Ed25519', await keyOf(v), input, sig)).toBe(true);
  });
});

describe('and nothing else does', () => {
  it.each(RFC_VECTORS.map((v) => [v.name, v] as const))('%s: a changed input or signature fails', async (_name, v) => {
    const key = await keyOf(v);
    const { input, sig } = split(v.jws);
    expect(verifyJwsSignature(v.alg, key, `${input}x`, sig)).toBe(false);
    expect(verifyJwsSignature(v.alg, key, input.replace(/^e/, 'f'), sig)).toBe(false);
    // A character that a latin1 encoding would truncate to the original byte.
    const lookalike = input.slice(0, -1) + String.fromCharCode((input.charCodeAt(input.length - 1)) + 0x100);
    expect(verifyJwsSignature(v.alg, key, lookalike, sig)).toBe(false);
    for (const m of mangled(sig)) expect(verifyJwsSignature(v.alg, key, input, m), m).toBe(false);
  });

  it.each(RFC_VECTORS.map((v) => [v.name, v] as const))('%s: under any other algorithm it fails', async (_name, v) => {
    const key = await keyOf(v);
    const { input, sig } = split(v.jws);
    const others = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'none', 'ES256K', 'Ed448', '']
      .filter((a) => a !== v.alg && !(keyKindOf(a) === 'OKP:Ed25519' && keyKindOf(v.alg) === 'OKP:Ed25519'));
    for (const alg of others) expect(verifyJwsSignature(alg, key, input, sig), alg).toBe(false);
  });

  it('an RSA public key is never an HMAC secret, and the reverse (key-type confusion)', async () => {
    const rsa = RFC_VECTORS.find((x) => x.alg === 'RS256') as RfcVector;
    const { input } = split(rsa.jws);
    const pem = createPublicKey({ key: rsa.jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    const forged = cryptoSign(null, Buffer.alloc(0), generateKeyPairSync('ed25519').privateKey).toString('base64url'); // any 64 bytes
    const { createHmac } = await import('node:crypto');
    const hmacWithPem = createHmac('sha256', pem).update(input).digest('base64url');
    expect(verifyJwsSignature('HS256', await keyOf(rsa), input, hmacWithPem)).toBe(false);
    expect(verifyJwsSignature('RS256', verificationKey(createSecretKey(Buffer.from(pem)), 'oct'), input, forged)).toBe(false);
  });
});

describe('exact parameters per algorithm', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaKey = verificationKey(rsa.publicKey, 'RSA');
  const input = 'eyJhbGciOiJQUzI1NiJ9.e30';

  function pss(hash: string, saltLength: number): string {
    return cryptoSign(hash, Buffer.from(input), { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }).toString('base64url');
  }

  it('PSS: salt length must equal the hash length (RFC 7518 §3.5)', () => {
    expect(verifyJwsSignature('PS256', rsaKey, input, pss('sha256', 32))).toBe(true);
    expect(verifyJwsSignature('PS384', rsaKey, input, pss('sha384', 48))).toBe(true);
    expect(verifyJwsSignature('PS512', rsaKey, input, pss('sha512', 64))).toBe(true);
    expect(verifyJwsSignature('PS256', rsaKey, input, pss('sha256', 0))).toBe(false);
    expect(verifyJwsSignature('PS256', rsaKey, input, pss('sha256', 20))).toBe(false);
    expect(verifyJwsSignature('PS256', rsaKey, input, pss('sha256', constants.RSA_PSS_SALTLEN_MAX_SIGN))).toBe(false);
    expect(verifyJwsSignature('PS384', rsaKey, input, pss('sha256', 32))).toBe(false);
  });

  it('PKCS#1 v1.5 and PSS never stand in for each other', () => {
    const v15 = cryptoSign('sha256', Buffer.from(input), { key: rsa.privateKey, padding: constants.RSA_PKCS1_PADDING }).toString('base64url');
    expect(verifyJwsSignature('RS256', rsaKey, input, v15)).toBe(true);
    expect(verifyJwsSignature('PS256', rsaKey, input, v15)).toBe(false);
    expect(verifyJwsSignature('RS256', rsaKey, input, pss('sha256', 32))).toBe(false);
    expect(verifyJwsSignature('RS384', rsaKey, input, v15)).toBe(false);
  });

  it('ECDSA: only the ieee-p1363 R||S form of the exact size; DER and r = s = 0 fail', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = verificationKey(ec.publicKey, 'EC:P-256');
    const p1363 = cryptoSign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
    const der = cryptoSign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'der' });
    expect(verifyJwsSignature('ES256', key, input, p1363.toString('base64url'))).toBe(true);
    expect(verifyJwsSignature('ES256', key, input, der.toString('base64url'))).toBe(false);
    expect(verifyJwsSignature('ES256', key, input, Buffer.alloc(64).toString('base64url'))).toBe(false);
    expect(verifyJwsSignature('ES256', key, input, Buffer.concat([p1363, Buffer.alloc(1)]).toString('base64url'))).toBe(false);
  });

  it('EdDSA: Ed25519 keys only', () => {
    const ed = generateKeyPairSync('ed25519');
    const key = verificationKey(ed.publicKey, 'OKP:Ed25519');
    const sig = cryptoSign(null, Buffer.from(input), ed.privateKey).toString('base64url');
    expect(verifyJwsSignature('EdDSA', key, input, sig)).toBe(true);
    expect(verifyJwsSignature('EdDSA', key, input, Buffer.alloc(64).toString('base64url'))).toBe(false);
    expect(() => verificationKey(generateKeyPairSync('ed448').publicKey)).toThrow();
    expect(() => verificationKey(generateKeyPairSync('x25519').publicKey)).toThrow();
  });

  it('keys restauth never verifies with are refused when they are wrapped', () => {
    const weak: KeyObject = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(() => verificationKey(weak)).toThrow();
    expect(() => verificationKey(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey)).toThrow();
    expect(() => verificationKey(rsa.privateKey)).toThrow();
    expect(() => verificationKey(rsa.publicKey, 'EC:P-256')).toThrow();
  });

  it('every algorithm of the allow-list has exact parameters', () => {
    for (const alg of ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']) {
      expect(isSupportedAlgorithm(alg), alg).toBe(true);
    }
    for (const alg of ['none', 'None', 'ES256K', 'Ed448', 'RSA-OAEP', 'toString', '__proto__']) expect(isSupportedAlgorithm(alg), alg).toBe(false);
  });
});
