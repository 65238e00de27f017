/**
 * The kind of key an algorithm verifies with. A key of one kind never verifies a token
 * whose `alg` names another kind: that is what stops key-type confusion.
 */
export type KeyKind = 'RSA' | 'EC:P-256' | 'EC:P-384' | 'EC:P-521' | 'OKP:Ed25519' | 'oct';

const KIND_BY_ALG: Readonly<Record<string, KeyKind>> = {
  RS256: 'RSA',
  RS384: 'RSA',
  RS512: 'RSA',
  PS256: 'RSA',
  PS384: 'RSA',
  PS512: 'RSA',
  ES256: 'EC:P-256',
  ES384: 'EC:P-384',
  ES512: 'EC:P-521',
  EdDSA: 'OKP:Ed25519',
  Ed25519: 'OKP:Ed25519',
  HS256: 'oct',
  HS384: 'oct',
  HS512: 'oct',
};

/** The key kind an `alg` needs, or undefined for an algorithm restauth never verifies (`none`...). */
export function keyKindOf(alg: string): KeyKind | undefined {
  return Object.prototype.hasOwnProperty.call(KIND_BY_ALG, alg) ? KIND_BY_ALG[alg] : undefined;
}

/** The algorithm used to check that a JWK imports at all, when the JWK names none. */
export function probeAlgorithm(kind: KeyKind): string {
  switch (kind) {
    case 'RSA': return 'RS256';
    case 'EC:P-256': return 'ES256';
    case 'EC:P-384': return 'ES384';
    case 'EC:P-521': return 'ES512';
    case 'OKP:Ed25519': return 'EdDSA';
    case 'oct': return 'HS256';
  }
}

/** Smallest RSA modulus accepted, in bits. */
export const MIN_RSA_BITS = 2048;
