import { KeyObject } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import { isJsonObject } from './compact-jws.js';
import { keyKindOf, MIN_RSA_BITS, probeAlgorithm, type KeyKind } from './algorithms.js';
import { verificationKey, type VerificationKey } from './jws-signature.js';

/** A usable verification key from a JWKS, imported once when the JWKS is read. */
export interface JwksKey {
  readonly kid: string | undefined;
  /** The JWK's own `alg`, when it names one; the key then verifies only that algorithm. */
  readonly alg: string | undefined;
  readonly kind: KeyKind;
  /** One node:crypto KeyObject for every algorithm of its kind. */
  readonly key: VerificationKey;
}

/** At most this many keys are kept from one JWKS; real sets hold a handful. */
export const MAX_JWKS_KEYS = 100;

const EC_KINDS: Readonly<Record<string, KeyKind>> = { 'P-256': 'EC:P-256', 'P-384': 'EC:P-384', 'P-521': 'EC:P-521' };

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function rsaBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i] as number));
}

/**
 * The public members of a JWK that restauth will verify with, or undefined for a key to skip:
 * `use: enc`, `key_ops` without `verify`, symmetric keys (a JWKS is public, so an `oct` key in it
 * would let anyone sign), unsupported types or curves, RSA under 2048 bits, or an `alg` that
 * does not fit the key or is not allowed for the provider. Private members are dropped.
 */
export function usablePublicJwk(raw: unknown, algorithms: ReadonlySet<string>): { jwk: JWK; kind: KeyKind } | undefined {
  if (!isJsonObject(raw)) return undefined;
  if (raw['use'] !== undefined && raw['use'] !== 'sig') return undefined;
  const ops = raw['key_ops'];
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return undefined;
  const kid = str(raw['kid']);
  const alg = str(raw['alg']);
  let kind: KeyKind | undefined;
  let members: Record<string, string | undefined>;
  switch (raw['kty']) {
    case 'RSA': {
      const n = str(raw['n']);
      const e = str(raw['e']);
      if (!n || !e || rsaBits(n) < MIN_RSA_BITS) return undefined;
      kind = 'RSA';
      members = { kty: 'RSA', n, e };
      break;
    }
    case 'EC': {
      const crv = str(raw['crv']);
      kind = crv ? EC_KINDS[crv] : undefined;
      const x = str(raw['x']);
      const y = str(raw['y']);
      if (!kind || !x || !y) return undefined;
      members = { kty: 'EC', crv, x, y };
      break;
    }
    case 'OKP': {
      const x = str(raw['x']);
      if (raw['crv'] !== 'Ed25519' || !x) return undefined;
      kind = 'OKP:Ed25519';
      members = { kty: 'OKP', crv: 'Ed25519', x };
      break;
    }
    default:
      return undefined;
  }
  if (alg !== undefined ? keyKindOf(alg) !== kind || !algorithms.has(alg) : ![...algorithms].some((a) => keyKindOf(a) === kind)) {
    return undefined;
  }
  const jwk: JWK = { ...members };
  if (kid !== undefined) jwk.kid = kid;
  if (alg !== undefined) jwk.alg = alg;
  return { jwk, kind };
}

/**
 * Imports a public JWK once: jose checks it as a JWK for `alg` (points on the curve, sizes...),
 * then its key becomes the one node:crypto KeyObject every verification with it uses.
 */
async function jwksKey(jwk: JWK, kind: KeyKind): Promise<JwksKey> {
  const alg = jwk.alg ?? probeAlgorithm(kind);
  const imported = await importJWK({ ...jwk, alg }, alg);
  const keyObject = imported instanceof Uint8Array ? undefined : KeyObject.from(imported);
  if (!keyObject) throw new Error('not a public key');
  return { kid: jwk.kid, alg: jwk.alg, kind, key: verificationKey(keyObject, kind) };
}

/**
 * The usable keys of a JWKS document, each already imported once (so malformed key material is
 * skipped here, not discovered on a request). Throws when the document is not a JWKS or holds
 * no usable key: a refresh that yields that is a failed refresh.
 */
export async function parseJwks(doc: unknown, algorithms: ReadonlySet<string>): Promise<JwksKey[]> {
  if (!isJsonObject(doc) || !Array.isArray(doc['keys'])) throw new Error('response is not a JWK set');
  const keys: JwksKey[] = [];
  for (const raw of doc['keys'] as unknown[]) {
    if (keys.length >= MAX_JWKS_KEYS) break;
    const usable = usablePublicJwk(raw, algorithms);
    if (!usable) continue;
    try {
      keys.push(await jwksKey(usable.jwk, usable.kind));
    } catch {
      continue;
    }
  }
  if (keys.length === 0) throw new Error('JWK set holds no usable signing key');
  return keys;
}
