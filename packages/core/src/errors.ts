/**
 * Every error restauth raises, as a stable string code. `switch` on it; never on messages.
 */
export type RestAuthErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'unauthorized'
  | 'forbidden'
  | 'insufficient_scope'
  | 'not_found'
  | 'rate_limited'
  | 'temporarily_unavailable'
  | 'config_error';

/** The HTTP status each request-time code maps to: the one table, used by every adapter. */
export const STATUS_BY_CODE: Readonly<Record<Exclude<RestAuthErrorCode, 'config_error'>, number>> = {
  invalid_request: 400,
  invalid_token: 401,
  invalid_dpop_proof: 401,
  use_dpop_nonce: 401,
  unauthorized: 401,
  forbidden: 403,
  insufficient_scope: 403,
  not_found: 404,
  rate_limited: 429,
  temporarily_unavailable: 503,
};

const BRAND = Symbol.for('restauth.error');

/** Options of {@link RestAuthError}. */
export interface RestAuthErrorOptions {
  cause?: unknown;
  /** Scopes the route needs (RFC 6750 §3 `scope` attribute), for `insufficient_scope`. */
  scopes?: readonly string[];
  /** Seconds a client should wait, for `rate_limited` and `temporarily_unavailable`. */
  retryAfterSec?: number;
}

/**
 * The one error base of restauth. `code` decides status and challenge; `message` is safe to
 * show a client (it never holds token material).
 *
 * @example
 * throw new RestAuthError('invalid_token', 'Token expired');
 */
export class RestAuthError extends Error {
  override readonly name: string = 'RestAuthError';
  readonly code: RestAuthErrorCode;
  readonly scopes: readonly string[] | undefined;
  readonly retryAfterSec: number | undefined;

  constructor(code: RestAuthErrorCode, message: string, options: RestAuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.scopes = options.scopes;
    this.retryAfterSec = options.retryAfterSec;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** HTTP status for this error (0 for configuration errors, which never reach a client). */
  get status(): number {
    return this.code === 'config_error' ? 0 : STATUS_BY_CODE[this.code];
  }
}

/**
 * A refusal with a fixed message, made once at start-up and shared by every request it answers:
 * without a stack trace, which would cost more than the check that refuses. Internal to core.
 */
export function fixedRefusal(code: RestAuthErrorCode, message: string): RestAuthError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new RestAuthError(code, message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** One mistake found in a configuration, with the exact path (`providers[0].jwksUri`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * Thrown at start-up for a configuration mistake. `issues` lists every mistake found, each
 * with its path.
 *
 * @example
 * try { createRestAuth(config) } catch (e) { if (e instanceof ConfigError) console.error(e.issues) }
 */
export class ConfigError extends RestAuthError {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: { cause?: unknown } = {}) {
    const lines = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`);
    super('config_error', `Invalid restauth configuration:\n${lines.join('\n')}`, options);
    this.issues = issues;
  }
}

/**
 * True for any restauth error, also across duplicated copies of the package.
 *
 * @example
 * if (isRestAuthError(err) && err.code === 'invalid_token') { ... }
 */
export function isRestAuthError(value: unknown): value is RestAuthError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
