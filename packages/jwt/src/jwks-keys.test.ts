import { generateKeyPairSync } from 'node:crypto';
import { exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseJwks, usablePublicJwk } from './jwks-keys.js';

const ALL = new Set(['RS256', 'PS256', 'ES256', 'EdDSA']);

describe('usablePublicJwk', () => {
  it('keeps only public members', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const priv = await exportJWK(privateKey);
    const out = usablePublicJwk({ ...priv, kid: 'k', x5c: ['AAAA'], x5u: 'https://evil' }, ALL);
    expect(out?.kind).toBe('RSA');
    expect(Object.keys(out?.jwk ?? {}).sort()).toEqual(['e', 'kid', 'kty', 'n']);
  });

  it('accepts EC P-256 and Ed25519, skips unsupported curves and kinds the provider cannot use', async () => {
    const ec = await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    const ed = await exportJWK(generateKeyPairSync('ed25519').publicKey);
    const k1 = await exportJWK(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey);
    expect(usablePublicJwk(ec, ALL)?.kind).toBe('EC:P-256');
    expect(usablePublicJwk(ed, ALL)?.kind).toBe('OKP:Ed25519');
    expect(usablePublicJwk(k1, ALL)).toBeUndefined();
    expect(usablePublicJwk(ec, new Set(['RS256']))).toBeUndefined();
  });

  it('skips a key whose alg is not allowed or does not fit its type', async () => {
    const rsa = await exportJWK(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
    expect(usablePublicJwk({ ...rsa, alg: 'RS512' }, ALL)).toBeUndefined();
    expect(usablePublicJwk({ ...rsa, alg: 'ES256' }, ALL)).toBeUndefined();
    expect(usablePublicJwk({ ...rsa, alg: 'RS256' }, ALL)?.jwk.alg).toBe('RS256');
  });
});

describe('parseJwks', () => {
  it('rejects documents that are not a JWKS or hold no usable key', async () => {
    await expect(parseJwks({}, ALL)).rejects.toThrow('not a JWK set');
    await expect(parseJwks([], ALL)).rejects.toThrow('not a JWK set');
    await expect(parseJwks({ keys: [] }, ALL)).rejects.toThrow('no usable signing key');
    // A point that is not on the curve: jose cannot import it, so it is skipped here.
    await expect(parseJwks({ keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }] }, ALL)).rejects.toThrow('no usable signing key');
  });
});
