import { constants, createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { keyKindOf, MIN_RSA_BITS, type KeyKind } from './algorithms.js';

/**
 * A verification key, prepared once when it is imported (never per request): the node:crypto
 * `KeyObject`, the kind of key it is, and for RSA the exact length of its signatures.
 */
export interface VerificationKey {
  readonly kind: KeyKind;
  readonly key: KeyObject;
  /** RSA only: the modulus length in bytes, which every RSASSA signature has exactly (RFC 8017 §8.2.2 step 1). */
  readonly rsaBytes: number;
}

interface AlgParams {
  readonly kind: KeyKind;
  /** Digest name for node:crypto; `null` for EdDSA (the hash is part of the algorithm). */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** Exact signature length in bytes; 0 for RSA (it is the modulus length). */
  readonly bytes: number;
  /** RSA only: PKCS#1 v1.5 or PSS. */
  readonly padding?: number;
  /** PSS only: RFC 7518 §3.5 fixes the salt length to the hash output length. */
  readonly saltLength?: number;
}

const PKCS1 = constants.RSA_PKCS1_PADDING;
const PSS = constants.RSA_PKCS1_PSS_PADDING;

// RFC 7518 §3.1 and RFC 8037 §3.1: every JWS `alg` restauth verifies, mapped to exact
// node:crypto parameters. Nothing is negotiated from the token or the key.
const PARAMS: Readonly<Record<string, AlgParams>> = {
  HS256: { kind: 'oct', hash: 'sha256', bytes: 32 },
  HS384: { kind: 'oct', hash: 'sha384', bytes: 48 },
  HS512: { kind: 'oct', hash: 'sha512', bytes: 64 },
  RS256: { kind: 'RSA', hash: 'sha256', bytes: 0, padding: PKCS1 },
  RS384: { kind: 'RSA', hash: 'sha384', bytes: 0, padding: PKCS1 },
  RS512: { kind: 'RSA', hash: 'sha512', bytes: 0, padding: PKCS1 },
  PS256: { kind: 'RSA', hash: 'sha256', bytes: 0, padding: PSS, saltLength: 32 },
  PS384: { kind: 'RSA', hash: 'sha384', bytes: 0, padding: PSS, saltLength: 48 },
  PS512: { kind: 'RSA', hash: 'sha512', bytes: 0, padding: PSS, saltLength: 64 },
  // ECDSA signatures in JWS are R || S, each the size of the curve order (RFC 7518 §3.4).
  ES256: { kind: 'EC:P-256', hash: 'sha256', bytes: 64 },
  ES384: { kind: 'EC:P-384', hash: 'sha384', bytes: 96 },
  ES512: { kind: 'EC:P-521', hash: 'sha512', bytes: 132 },
  EdDSA: { kind: 'OKP:Ed25519', hash: null, bytes: 64 },
  Ed25519: { kind: 'OKP:Ed25519', hash: null, bytes: 64 },
};

for (const [alg, p] of Object.entries(PARAMS)) {
  // The two tables must never disagree on which key an algorithm needs.
  if (keyKindOf(alg) !== p.kind) throw new Error(`algorithm table mismatch for ${alg}`);
}

const CURVE_KINDS: Readonly<Record<string, KeyKind>> = {
  prime256v1: 'EC:P-256',
  secp384r1: 'EC:P-384',
  secp521r1: 'EC:P-521',
};

/**
 * The kind of a node:crypto key as restauth verifies with it, or undefined for a key it never
 * verifies with (DSA, X25519, RSA-PSS-restricted keys, other curves, RSA under 2048 bits).
 */
export function kindOfKeyObject(key: KeyObject): KeyKind | undefined {
  if (key.type === 'secret') return 'oct';
  if (key.type !== 'public') return undefined;
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS ? 'RSA' : undefined;
  if (type === 'ec') return CURVE_KINDS[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (type === 'ed25519') return 'OKP:Ed25519';
  return undefined;
}

/**
 * Wraps a public or secret `KeyObject` for {@link verifyJwsSignature}. Throws when the key is not
 * one restauth verifies with, or is not of the `expected` kind.
 *
 * @example
 * const key = verificationKey(createPublicKey(pem), 'RSA');
 */
export function verificationKey(key: KeyObject, expected?: KeyKind): VerificationKey {
  const kind = kindOfKeyObject(key);
  if (kind === undefined || (expected !== undefined && kind !== expected)) {
    throw new Error(`key is not usable as ${expected ?? 'a JWS verification key'}`);
  }
  const bits = kind === 'RSA' ? (key.asymmetricKeyDetails?.modulusLength ?? 0) : 0;
  return { kind, key, rsaBytes: Math.ceil(bits / 8) };
}

/** True when `alg` is one {@link verifyJwsSignature} knows. */
export function isSupportedAlgorithm(alg: string): boolean {
  return Object.prototype.hasOwnProperty.call(PARAMS, alg);
}

/**
 * Checks the signature of a compact JWS with node:crypto, synchronously.
 *
 * `signingInput` is `BASE64URL(header) || '.' || BASE64URL(payload)` exactly as received;
 * `signature` is the third segment, still base64url. Returns false, never throws, for any
 * mismatch: an `alg` the key cannot serve (key-type confusion), a signature of the wrong length
 * or in a non-canonical base64url form, or a signature that does not verify.
 *
 * @example
 * verifyJwsSignature('RS256', key, 'eyJ...eyJ...', 'c2ln...')
 */
export function verifyJwsSignature(alg: string, key: VerificationKey, signingInput: string, signature: string): boolean {
  const p = Object.prototype.hasOwnProperty.call(PARAMS, alg) ? PARAMS[alg] : undefined;
  if (!p || p.kind !== key.kind) return false;
  const expected = p.bytes || key.rsaBytes;
  // Unpadded base64url of `expected` bytes has exactly this length; a re-encode comparison then
  // refuses every other spelling of the same bytes, so one signature has one token string.
  if (expected === 0 || signature.length !== Math.ceil((expected * 4) / 3)) return false;
  const sig = Buffer.from(signature, 'base64url');
  if (sig.length !== expected || sig.toString('base64url') !== signature) return false;
  const data = Buffer.from(signingInput, 'utf8');
  // A compact JWS is ASCII; a multi-byte character would change the signed bytes.
  if (data.length !== signingInput.length) return false;
  try {
    switch (p.kind) {
      case 'oct': {
        const mac = createHmac(p.hash as string, key.key).update(data).digest();
        return timingSafeEqual(mac, sig);
      }
      case 'RSA':
        return verify(p.hash, data, p.saltLength === undefined
          ? { key: key.key, padding: PKCS1 }
          : { key: key.key, padding: PSS, saltLength: p.saltLength }, sig);
      case 'OKP:Ed25519':
        return verify(null, data, key.key, sig);
      default:
        return verify(p.hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, sig);
    }
  } catch {
    return false;
  }
}
