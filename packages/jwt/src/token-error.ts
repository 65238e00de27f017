import { RestAuthError } from '@restauth/core';

// Refusals carry fixed messages, and a junk token should cost as little as possible: each
// distinct refusal is made once, without a stack trace (capturing one costs more than most
// checks), and shared. The set of messages is fixed by the code and the configuration.
const shared = new Map<string, RestAuthError>();
const final = new WeakSet<RestAuthError>();

function refusal(message: string, isFinal: boolean): RestAuthError {
  const key = isFinal ? `final:${message}` : message;
  let err = shared.get(key);
  if (err === undefined) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      err = new RestAuthError('invalid_token', message);
    } finally {
      Error.stackTraceLimit = limit;
    }
    if (isFinal) final.add(err);
    shared.set(key, err);
  }
  return err;
}

/** An `invalid_token` error with a message safe to send to the client (never the token). */
export function invalidToken(message: string): RestAuthError {
  return refusal(message, false);
}

/**
 * An `invalid_token` verdict that the same token would get again on every later request (a bad
 * signature, a wrong audience, an expired token...), reached only after the signature check: the
 * rejected-token cache remembers these, so a replayed bad token costs no second signature check.
 * Verdicts that time or a key rotation can change (`nbf`, an unknown key) are plain
 * {@link invalidToken}s and are never remembered.
 */
export function finalInvalidToken(message: string): RestAuthError {
  return refusal(message, true);
}

/** True for an error made by {@link finalInvalidToken}. */
export function isFinalVerdict(err: unknown): err is RestAuthError {
  return typeof err === 'object' && err !== null && final.has(err as RestAuthError);
}
