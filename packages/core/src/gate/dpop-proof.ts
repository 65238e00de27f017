import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** The key of a proof header, imported and thumbprinted once per distinct header. */
interface ProofKey {
  readonly alg: string;
  readonly key: KeyObject;
  /** RFC 7638 SHA-256 thumbprint, base64url. */
  readonly jkt: string;
}

/** A proof whose header and signature are verified; its claims are still to be checked. */
export interface SignedProof {
  readonly jkt: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Why a proof is refused (the message a client sees in `error_description`). */
export class ProofError extends Error {
  override readonly name = 'ProofError';
}

// The `kty` (and curve) each allowed `alg` needs, with its node:crypto verify parameters.
// Only asymmetric algorithms: RFC 9449 §4.3 check 5.
interface AlgSpec {
  readonly kty: 'EC' | 'RSA' | 'OKP';
  readonly crv?: string;
  readonly hash: string | null;
  readonly pss?: number;
  /** ECDSA and EdDSA: exact signature length. */
  readonly bytes?: number;
}
const ALGS: Readonly<Record<string, AlgSpec>> = {
  ES256: { kty: 'EC', crv: 'P-256', hash: 'sha256', bytes: 64 },
  ES384: { kty: 'EC', crv: 'P-384', hash: 'sha384', bytes: 96 },
  ES512: { kty: 'EC', crv: 'P-521', hash: 'sha512', bytes: 132 },
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', pss: 32 },
  PS384: { kty: 'RSA', hash: 'sha384', pss: 48 },
  PS512: { kty: 'RSA', hash: 'sha512', pss: 64 },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', hash: null, bytes: 64 },
};
// RFC 7638 §3.2: the required members of each key type, in lexicographic order.
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] };
// Private key members of every JWK type (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MIN_RSA_BITS = 2048;
const SEGMENTS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function json(segment: string): unknown {
  try {
    return JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    return undefined;
  }
}

/**
 * The RFC 7638 JWK SHA-256 thumbprint, base64url: what a DPoP-bound token's `cnf.jkt` holds.
 *
 * @example
 * jwkThumbprint({ kty: 'EC', crv: 'P-256', x: '...', y: '...' }) // 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string {
  const members = THUMBPRINT_MEMBERS[String(jwk['kty'])];
  if (!members) throw new ProofError('DPoP proof key type is not supported');
  const canonical: Record<string, unknown> = {};
  for (const m of members) {
    if (typeof jwk[m] !== 'string') throw new ProofError('DPoP proof key is malformed');
    canonical[m] = jwk[m];
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

/**
 * Verifies DPoP proofs (RFC 9449 §4.3 checks 2 to 6): compact JWS, `typ` `dpop+jwt`, an allowed
 * asymmetric `alg`, a public `jwk` of the kind the `alg` needs, and the signature. A client sends
 * the same header with every proof, so the imported key and its thumbprint are remembered per
 * header text (bounded): after the first proof, a proof costs the signature check.
 */
export function createProofVerifier(algorithms: readonly string[], maxKeys = 1000): (proof: string) => SignedProof {
  const allowed = new Set(algorithms.filter((a) => hasOwn(ALGS, a)));
  const keys = new Map<string, ProofKey>();

  function importKey(headerSegment: string): ProofKey {
    const header = json(headerSegment);
    if (!isObject(header)) throw new ProofError('DPoP proof is not a JWT');
    if (header['typ'] !== 'dpop+jwt') throw new ProofError('DPoP proof typ must be dpop+jwt');
    const alg = header['alg'];
    if (typeof alg !== 'string' || !allowed.has(alg)) throw new ProofError('DPoP proof algorithm is not allowed');
    if (header['crit'] !== undefined) throw new ProofError('DPoP proof has an unsupported critical header');
    const jwk = header['jwk'];
    if (!isObject(jwk)) throw new ProofError('DPoP proof has no jwk header');
    if (PRIVATE_MEMBERS.some((m) => hasOwn(jwk, m))) throw new ProofError('DPoP proof jwk must be a public key');
    const spec = ALGS[alg] as AlgSpec;
    if (jwk['kty'] !== spec.kty || (spec.crv !== undefined && jwk['crv'] !== spec.crv)) throw new ProofError('DPoP proof jwk does not fit its algorithm');
    const jkt = jwkThumbprint(jwk);
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as never, format: 'jwk' });
    } catch {
      throw new ProofError('DPoP proof jwk is malformed');
    }
    if (spec.kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) throw new ProofError('DPoP proof RSA key is too short');
    return { alg, key, jkt };
  }

  function keyOf(headerSegment: string): ProofKey {
    let k = keys.get(headerSegment);
    if (k === undefined) {
      k = importKey(headerSegment);
      if (keys.size >= maxKeys) keys.delete(keys.keys().next().value as string);
      keys.set(headerSegment, k);
    }
    return k;
  }

  return function verifyProof(proof) {
    const m = SEGMENTS.exec(proof);
    if (m === null) throw new ProofError('DPoP proof is not a JWT');
    const [, h, p, s] = m as unknown as [string, string, string, string];
    const { alg, key, jkt } = keyOf(h);
    const spec = ALGS[alg] as AlgSpec;
    const sig = Buffer.from(s, 'base64url');
    if (sig.toString('base64url') !== s || (spec.bytes !== undefined && sig.length !== spec.bytes)) throw new ProofError('DPoP proof signature is invalid');
    const data = Buffer.from(proof.slice(0, h.length + 1 + p.length), 'latin1');
    let ok: boolean;
    try {
      ok = spec.kty === 'EC' ? verify(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig)
        : spec.kty === 'RSA' ? verify(spec.hash, data, spec.pss === undefined ? key : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.pss }, sig)
          : verify(null, data, key, sig);
    } catch {
      ok = false;
    }
    if (!ok) throw new ProofError('DPoP proof signature is invalid');
    const claims = json(p);
    if (!isObject(claims)) throw new ProofError('DPoP proof payload is not a JSON object');
    return { jkt, claims };
  };
}
