import { RestAuthError, STATUS_BY_CODE } from './errors.js';
import type { Principal } from './principal.js';

/** The check that decided a request (for audit, explain and logs). */
export type DecisionReason =
  | 'disabled'
  | 'bypass'
  | 'ip'
  | 'credentials'
  | 'verify'
  | 'proof'
  | 'allowGroups'
  | 'readOnly'
  | 'allowClients'
  | 'rule'
  | 'route'
  | 'rateLimit'
  | 'tokenUses'
  | 'public'
  | 'authenticated';

/**
 * What an adapter applies to the response. Allowed: set `headers`, attach `principal`, go on.
 * Denied: send `status`, `headers` and `body` exactly as given.
 */
export interface Decision {
  readonly allowed: boolean;
  /** 200 when allowed; the contract's 400/401/403/429/503 otherwise. */
  readonly status: number;
  readonly reason: DecisionReason;
  readonly principal: Principal | undefined;
  /** Response headers (lower-case names) to set, allowed or denied. */
  readonly headers: Readonly<Record<string, string>>;
  /** JSON text of the error body, when denied. */
  readonly body: string | undefined;
  readonly error: RestAuthError | undefined;
  /** Set in report-only mode when a policy check would have denied. */
  readonly wouldDeny?: { readonly reason: DecisionReason; readonly error: RestAuthError } | undefined;
  /**
   * Set when a verified caller failed access policy on a public route: the request went on as
   * anonymous (no `principal`); here is who it was and which check refused them.
   */
  readonly anonymous?: { readonly reason: DecisionReason; readonly error: RestAuthError; readonly principal: Principal } | undefined;
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

/** An allow decision. */
export function allowDecision(
  reason: DecisionReason,
  principal: Principal | undefined,
  headers: Readonly<Record<string, string>> = EMPTY,
  wouldDeny?: Decision['wouldDeny'],
  anonymous?: Decision['anonymous'],
): Decision {
  return { allowed: true, status: 200, reason, principal, headers, body: undefined, error: undefined, wouldDeny, anonymous };
}

/** Text made fit for a challenge's quoted-string: %x20-21 / %x23-5B / %x5D-7E (RFC 6750 §3). Internal to core. */
export function quoted(s: string): string {
  return s.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');
}

/** The RFC 6750 challenge for an error, or undefined when the status takes none. */
export function challenge(realm: string, error: RestAuthError | undefined): string {
  let h = `Bearer realm="${quoted(realm)}"`;
  if (!error || error.code === 'unauthorized') return h;
  h += `, error="${error.code}", error_description="${quoted(error.message)}"`;
  if (error.code === 'insufficient_scope' && error.scopes?.length) h += `, scope="${quoted(error.scopes.join(' '))}"`;
  return h;
}

/**
 * A deny decision: status from the one code table, `WWW-Authenticate` for 400/401 and
 * `insufficient_scope`, `Retry-After` for 429/503, a JSON body `{error, message}`.
 */
export function denyDecision(
  realm: string,
  reason: DecisionReason,
  error: RestAuthError,
  principal?: Principal,
  extraHeaders?: Readonly<Record<string, string>>,
): Decision {
  const code = error.code === 'config_error' ? 'invalid_token' : error.code;
  const status = STATUS_BY_CODE[code];
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...extraHeaders };
  // A check may bring its own challenge (DPoP's, RFC 9449 §7.1).
  if ((status === 401 || status === 400 || code === 'insufficient_scope') && headers['www-authenticate'] === undefined) {
    headers['www-authenticate'] = challenge(realm, error);
  }
  if (error.retryAfterSec !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSec)));
  const body = JSON.stringify({ error: code, message: error.message });
  return { allowed: false, status, reason, principal, headers, body, error };
}
