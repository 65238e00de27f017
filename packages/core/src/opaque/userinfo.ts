import { principalFromClaims } from '../claims.js';
import type { ResolvedUserinfoProvider } from '../config/types.js';
import { RestAuthError } from '../errors.js';
import { answerObject } from './answer-json.js';
import { createOutbound, DEFAULT_RETRY_AFTER_SEC, type OutboundRequest, type OutboundResponse } from './outbound.js';
import type { OpaqueStrategyOptions } from './opaque-options.js';
import type { OpaqueStrategyContext } from './opaque-plugin.js';
import { createTokenChecker, type ProviderVerdict, type TokenChecker } from './token-checker.js';

function idOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return '';
}

/**
 * Judges a userinfo answer (exported for tests). 400/401/403 reject the token; a 2xx must be
 * a JSON object that names a user (HTML from a login page or a proxy never does); an object
 * saying `"ok": false` (Slack) or carrying an `error` member rejects. The subject is `sub`, or
 * `id` for APIs without OIDC claims (GitHub, GitLab's API, Facebook); the username is
 * `usernameClaim`, falling back to the subject.
 *
 * @example
 * judgeUserinfo(provider, { status: 200, contentType: 'application/json', text: '{"login":"octocat","id":1}' })
 */
export function judgeUserinfo(provider: ResolvedUserinfoProvider, res: OutboundResponse): ProviderVerdict {
  if (res.status === 400 || res.status === 401 || res.status === 403) {
    return { kind: 'rejected', reason: `Token rejected by the provider (HTTP ${res.status})` };
  }
  if (res.status < 200 || res.status > 299) {
    // A redirect or a 404 means the configured endpoint is wrong, not that the token is.
    throw new RestAuthError('temporarily_unavailable', `Token provider ${provider.name} is unavailable; try again later`, {
      retryAfterSec: DEFAULT_RETRY_AFTER_SEC,
      cause: new Error(`${provider.name}: userinfo answered HTTP ${res.status}; check userinfoEndpoint`),
    });
  }
  const answer = answerObject(res.text);
  if (!answer) return { kind: 'invalid-answer', reason: 'not a JSON object' };
  if (answer['ok'] === false || (answer['error'] !== undefined && answer['error'] !== null)) {
    return { kind: 'rejected', reason: 'Token rejected by the provider' };
  }
  let principal = principalFromClaims(answer, provider, { provider: provider.name, tokenType: 'opaque' });
  if (principal.subject === '') {
    const id = idOf(answer['id']);
    principal = { ...principal, subject: id, username: principal.username || id };
  }
  if (principal.username === '') return { kind: 'invalid-answer', reason: `names no user (no "${provider.usernameClaim}", "sub" or "id")` };
  return { kind: 'accepted', principal };
}

/**
 * Builds the userinfo request for a token: GET the configured endpoint with
 * `Authorization: Bearer <token>`.
 *
 * @example
 * userinfoRequest(provider)(token) // { url: provider.userinfoEndpoint, method: 'GET', headers: { authorization: 'Bearer ...' } }
 */
export function userinfoRequest(provider: ResolvedUserinfoProvider): (token: string) => OutboundRequest {
  return (token) => ({ url: provider.userinfoEndpoint, method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
}

/**
 * A {@link TokenChecker} for one `type: "userinfo"` provider.
 *
 * @example
 * const checker = createUserinfoChecker(provider);
 * const verdict = await checker.check(token);
 */
export function createUserinfoChecker(provider: ResolvedUserinfoProvider, options: OpaqueStrategyOptions & Pick<OpaqueStrategyContext, 'observers'> = {}): TokenChecker {
  return createTokenChecker({
    provider: provider.name,
    cacheTtlSec: provider.cacheTtlSec,
    outbound: createOutbound({ provider: provider.name, timeoutMs: provider.timeoutMs, maxConcurrent: options.maxConcurrent, maxQueued: options.maxQueued, fetch: options.fetch }),
    request: userinfoRequest(provider),
    judge: (res) => judgeUserinfo(provider, res),
    maxCacheEntries: options.maxCacheEntries,
    now: options.now,
    kind: 'userinfo',
    observers: options.observers,
  });
}
