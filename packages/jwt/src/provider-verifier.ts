import type { ResolvedJwtProvider } from '@restauth/core';
import type { DecodedJws } from './compact-jws.js';
import { verifyJwsSignature, type VerificationKey } from './jws-signature.js';
import type { KeySource } from './key-source.js';
import { finalInvalidToken, invalidToken } from './token-error.js';

/** The verified claims of a token, with its `exp` in ms. */
export interface VerifiedToken {
  readonly payload: Readonly<Record<string, unknown>>;
  readonly expiresAtMs: number;
}

/** A decoded JWS whose payload is already known to be a JSON object. */
export type DecodedJwt = DecodedJws & { readonly payload: Readonly<Record<string, unknown>> };

/** Verifies tokens of one provider. */
export interface ProviderVerifier {
  readonly provider: ResolvedJwtProvider;
  /**
   * Verifies a decoded token: synchronously when its keys are already known (the usual case),
   * through a promise only when they must be fetched. Throws (or rejects) a RestAuthError.
   */
  verify(jws: DecodedJwt): VerifiedToken | Promise<VerifiedToken>;
}

// Latest instant a JS Date can hold.
const MAX_DATE_MS = 8.64e15;
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** `typ` compared as RFC 9068 / jose do: case-insensitively, `application/` prefix optional. */
function normalizeTyp(typ: string): string {
  const t = typ.toLowerCase();
  return t.includes('/') ? t : `application/${t}`;
}

/**
 * Verifies one provider's tokens, in this order:
 * 1. header: an allowed `alg`, no `crit`, the required `typ`, a string `kid` if any, so a token
 *    that can never pass costs no key lookup;
 * 2. signature: node:crypto with configured keys only (see `verifyJwsSignature`), trying each
 *    key that fits `alg` and `kid`;
 * 3. claims, as jose's `jwtVerify` checks them: `iss` exactly, `aud` (any of; or the claim the
 *    provider names in `audienceClaim`), `exp` required and a number, `iat` a number if present,
 *    `nbf`, with the provider's clock tolerance.
 *
 * @example
 * const verifier = createProviderVerifier(provider, staticKeySource(key), ['RS256'], Date.now);
 */
export function createProviderVerifier(
  provider: ResolvedJwtProvider,
  keys: KeySource,
  algorithms: readonly string[],
  now: () => number,
): ProviderVerifier {
  const allowed = new Set(algorithms);
  const requireTyp = provider.requireTyp;
  const wantTyp = requireTyp === undefined ? undefined : normalizeTyp(requireTyp);
  const typMessage = requireTyp === undefined ? '' : `Token type must be ${requireTyp.replace(/^application\//i, '')}`;
  const issuer = provider.issuer;
  const audiences: readonly string[] = provider.audience;
  // Cognito access tokens carry no `aud`: their app client is in `client_id` (audienceClaim).
  const audienceClaim = provider.audienceClaim ?? 'aud';
  const toleranceSec = provider.clockToleranceSec;

  function audienceAccepted(aud: unknown): boolean {
    if (typeof aud === 'string') return audiences.includes(aud);
    if (Array.isArray(aud)) return audiences.some((a) => aud.includes(a));
    return false;
  }

  function checkClaims(payload: Readonly<Record<string, unknown>>): VerifiedToken {
    if (!hasOwn(payload, 'iss') || payload['iss'] !== issuer) throw finalInvalidToken('Token issuer is not accepted');
    if (!hasOwn(payload, audienceClaim) || !audienceAccepted(payload[audienceClaim])) throw finalInvalidToken('Token audience is not accepted');
    if (!hasOwn(payload, 'exp')) throw finalInvalidToken('Token has no valid exp claim');
    const iat = payload['iat'];
    if (iat !== undefined && typeof iat !== 'number') throw finalInvalidToken('Token has an invalid iat claim');
    const t = Math.floor(now() / 1000);
    const nbf = payload['nbf'];
    if (nbf !== undefined) {
      if (typeof nbf !== 'number') throw finalInvalidToken('Token not yet valid');
      // Time will fix this one: not a final verdict.
      if (nbf > t + toleranceSec) throw invalidToken('Token not yet valid');
    }
    const exp = payload['exp'];
    if (typeof exp !== 'number') throw finalInvalidToken('Token has no valid exp claim');
    if (exp <= t - toleranceSec) throw finalInvalidToken('Token expired');
    const expiresAtMs = exp * 1000;
    if (!Number.isFinite(expiresAtMs) || expiresAtMs > MAX_DATE_MS) throw finalInvalidToken('Token has no valid exp claim');
    return { payload, expiresAtMs };
  }

  function check(jws: DecodedJwt, candidates: readonly VerificationKey[]): VerifiedToken {
    // A rotation may publish the key later: not a final verdict.
    if (candidates.length === 0) throw invalidToken('Token signing key is unknown');
    const alg = jws.header.alg;
    let verified = false;
    for (let i = 0; i < candidates.length && !verified; i++) {
      verified = verifyJwsSignature(alg, candidates[i] as VerificationKey, jws.signingInput, jws.signature);
    }
    if (!verified) throw finalInvalidToken('Token signature is invalid');
    return checkClaims(jws.payload);
  }

  return {
    provider,
    verify(jws) {
      const header = jws.header;
      const alg = header.alg;
      if (!allowed.has(alg)) throw invalidToken('Token algorithm is not allowed');
      // restauth understands no JWS extension, so any critical one means "cannot process".
      if (header.crit !== undefined) throw invalidToken('Token has an unsupported critical header');
      if (wantTyp !== undefined && (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== wantTyp)) {
        throw invalidToken(typMessage);
      }
      const kid = header.kid;
      if (kid !== undefined && typeof kid !== 'string') throw invalidToken('Token is malformed');
      const candidates = keys.candidates(alg, kid);
      if (candidates instanceof Promise) return candidates.then((c) => check(jws, c));
      return check(jws, candidates);
    },
  };
}
