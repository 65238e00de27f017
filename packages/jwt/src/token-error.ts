import { isRestAuthError, RestAuthError } from '@restauth/core';

/** An `invalid_token` error with a message safe to send to the client. */
export function invalidToken(message: string, cause?: unknown): RestAuthError {
  return new RestAuthError('invalid_token', message, cause === undefined ? {} : { cause });
}

const CLAIM_MESSAGES: Readonly<Record<string, string>> = {
  exp: 'Token has no valid exp claim',
  nbf: 'Token not yet valid',
  iat: 'Token has an invalid iat claim',
  aud: 'Token audience is not accepted',
  iss: 'Token issuer is not accepted',
};

/**
 * Turns a jose failure into an `invalid_token` error whose message names the problem and
 * never the token (jose's own message and the claims set stay in `cause`, for logs only).
 */
export function toTokenError(err: unknown, requireTyp: string | undefined): RestAuthError {
  if (isRestAuthError(err)) return err;
  const e = err as { code?: unknown; claim?: unknown } | null;
  switch (e?.code) {
    case 'ERR_JWT_EXPIRED':
      return invalidToken('Token expired', err);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'typ') return invalidToken(`Token type must be ${requireTyp ?? 'as configured'}`, err);
      return invalidToken(CLAIM_MESSAGES[String(e.claim)] ?? 'Token claims are invalid', err);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return invalidToken('Token signature is invalid', err);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return invalidToken('Token algorithm is not allowed', err);
    case 'ERR_JOSE_NOT_SUPPORTED':
      return invalidToken('Token uses an unsupported algorithm or header', err);
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return invalidToken('Token is malformed', err);
    default:
      return invalidToken('Token could not be verified', err);
  }
}
