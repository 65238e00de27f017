import { randomUUID } from 'node:crypto';
import type { DecisionReason } from '../decision.js';
import type { TokenType } from '../principal.js';

/**
 * One audit record per decision (allow, deny, would-deny). Never holds a token or secret, and
 * `path` never holds the query string (it may carry secrets such as `access_token`).
 *
 * @example
 * const event: AuditEvent = {
 *   time: '2025-01-01T00:00:00.000Z', requestId: 'req-1', method: 'GET', path: '/api/items', status: 401, gateStatus: 401,
 *   decision: 'deny', reason: 'credentials', username: null, provider: null, tokenType: null,
 *   clientId: null, ip: '203.0.113.7', userAgent: 'curl/8.0', latencyMs: 1, gateLatencyMs: 1,
 * };
 */
export interface AuditEvent {
  /** When the request reached the gate, ISO 8601. */
  readonly time: string;
  /** The caller's `x-request-id` when it looks like an id, else a random UUID. */
  readonly requestId: string;
  readonly method: string;
  /** The request path without query or fragment. */
  readonly path: string;
  /**
   * What the caller finally got: the handler's status for an allowed request (201, 404, 500...),
   * 499 when the client closed the connection first; the refusal's status for a denied one.
   */
  readonly status: number;
  /** The gate's own answer: 200 when it let the request through, else the refusal's status. */
  readonly gateStatus: number;
  readonly decision: AuditDecision;
  /** The check that decided (for `would-deny`, the check that would have denied). */
  readonly reason: DecisionReason;
  readonly username: string | null;
  readonly provider: string | null;
  readonly tokenType: TokenType | null;
  readonly clientId: string | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** From the request reaching the gate to the response being finished, ms. */
  readonly latencyMs: number;
  /** Time spent in the gate, ms (part of `latencyMs`). */
  readonly gateLatencyMs: number;
  /**
   * Present when a verified caller failed this access-policy check on a public route and the
   * request went on as anonymous (`username` and the rest still name the caller).
   */
  readonly anonymousReason?: DecisionReason;
}

/**
 * What happened to the request: `would-deny` is a report-only policy failure that let it pass.
 *
 * @example
 * const denials = events.filter((e) => e.decision !== ('allow' satisfies AuditDecision));
 */
export type AuditDecision = 'allow' | 'deny' | 'would-deny';

// Ids that log pipelines commonly use (UUIDs, trace ids, ULIDs); anything else is replaced so
// that a caller cannot smuggle long or control-character text into the trail.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:\/+=@-]{1,128}$/;
const MAX_USER_AGENT = 512;

/** The caller's request id when sane (one header, short, id characters only), else a random UUID. */
export function auditRequestId(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** The user agent, capped in length; `null` when absent or repeated. */
export function auditUserAgent(header: string | string[] | undefined): string | null {
  return typeof header === 'string' ? header.slice(0, MAX_USER_AGENT) : null;
}

/** One JSON Lines record per event. */
export function toJsonLines(events: readonly AuditEvent[]): string {
  let out = '';
  for (const e of events) out += JSON.stringify(e) + '\n';
  return out;
}
