import type { ResolvedJwtProvider } from '@restauth/core';
import { jwtVerify, type JWTPayload } from 'jose';
import type { JwsHeader } from './compact-jws.js';
import type { KeySource } from './key-source.js';
import { invalidToken, toTokenError } from './token-error.js';

/** The verified claims of a token, with its `exp` in ms. */
export interface VerifiedToken {
  readonly payload: JWTPayload;
  readonly expiresAtMs: number;
}

/** Verifies tokens of one provider. */
export interface ProviderVerifier {
  readonly provider: ResolvedJwtProvider;
  verify(token: string, header: JwsHeader): Promise<VerifiedToken>;
}

// Latest instant a JS Date can hold.
const MAX_DATE_MS = 8.64e15;

/** `typ` compared as RFC 9068 / jose do: case-insensitively, `application/` prefix optional. */
function normalizeTyp(typ: string): string {
  const t = typ.toLowerCase();
  return t.includes('/') ? t : `application/${t}`;
}

/**
 * Verifies one provider's tokens: header checks first (allowed `alg`, no `crit`, required `typ`)
 * so a token that can never pass costs no key fetch, then jose checks the signature with
 * configured keys only, and `iss`, `aud` (any of), `exp` (required, a number), `nbf`, `iat`.
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

  return {
    provider,
    async verify(token, header) {
      const alg = header.alg;
      if (!allowed.has(alg)) throw invalidToken('Token algorithm is not allowed');
      // restauth understands no JWS extension, so any critical one means "cannot process".
      if (header.crit !== undefined) throw invalidToken('Token has an unsupported critical header');
      if (wantTyp !== undefined && (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== wantTyp)) {
        throw invalidToken(typMessage);
      }
      const kid = header.kid;
      if (kid !== undefined && typeof kid !== 'string') throw invalidToken('Token is malformed');

      const candidates = await keys.candidates(alg, kid);
      if (candidates.length === 0) throw invalidToken('Token signing key is unknown');
      let payload: JWTPayload | undefined;
      let failure: unknown;
      for (const key of candidates) {
        try {
          ({ payload } = await jwtVerify(token, key, {
            algorithms: [alg],
            issuer: provider.issuer,
            audience: provider.audience,
            clockTolerance: provider.clockToleranceSec,
            typ: requireTyp,
            requiredClaims: ['exp'],
            currentDate: new Date(now()),
          }));
          break;
        } catch (err) {
          failure = err;
          // Without a kid several keys may fit; only a signature mismatch means "try the next".
          if ((err as { code?: unknown }).code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') break;
        }
      }
      if (!payload) throw toTokenError(failure, requireTyp?.replace(/^application\//i, ''));
      const expiresAtMs = (payload.exp as number) * 1000;
      if (!Number.isFinite(expiresAtMs) || expiresAtMs > MAX_DATE_MS) throw invalidToken('Token has no valid exp claim');
      return { payload, expiresAtMs };
    },
  };
}
