import { principalFromClaims } from '../claims.js';
import type { ResolvedIntrospectionProvider } from '../config/types.js';
import { RestAuthError } from '../errors.js';
import { answerObject } from './answer-json.js';
import { createClientAssertionSigner } from './client-assertion.js';
import { createOutbound, DEFAULT_RETRY_AFTER_SEC, type OutboundRequest, type OutboundResponse } from './outbound.js';
import { createTokenChecker, type ProviderVerdict, type TokenChecker } from './token-checker.js';
import type { OpaqueStrategyOptions } from './opaque-options.js';
import type { OpaqueStrategyContext } from './opaque-plugin.js';

// RFC 6749 §2.3.1: client id and secret are form-encoded before they are joined for Basic.
const formEncode = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);

// Keycloak and others answer "active": true for refresh and ID tokens too; only access tokens may call the API.
const NOT_ACCESS_TOKEN = /^(refresh|refresh_token|id|id_token|urn:ietf:params:oauth:token-type:(refresh_token|id_token))$/i;

function invalidAnswer(reason: string): ProviderVerdict {
  return { kind: 'invalid-answer', reason };
}

function providerFault(provider: ResolvedIntrospectionProvider, detail: string): RestAuthError {
  return new RestAuthError('temporarily_unavailable', `Token provider ${provider.name} is unavailable; try again later`, {
    retryAfterSec: DEFAULT_RETRY_AFTER_SEC,
    cause: new Error(`${provider.name}: ${detail}`),
  });
}

/**
 * Judges an RFC 7662 answer (exported for tests): a non-2xx or a body that is not a JSON object
 * is a provider fault (503 `temporarily_unavailable`); `active` must be a boolean; `active: false`
 * rejects; an `active` refresh or ID token rejects; with `audience` configured, `aud` must name
 * one of it; `exp`, when present, must be a number and bounds the cache. The username comes
 * from `usernameClaim`, then `sub`, then the client id (client-credentials tokens).
 *
 * @example
 * judgeIntrospection(provider, { status: 200, contentType: 'application/json', text: '{"active":false}' }) // { kind: 'rejected', ... }
 */
export function judgeIntrospection(provider: ResolvedIntrospectionProvider, res: OutboundResponse): ProviderVerdict {
  if (res.status < 200 || res.status > 299) {
    // The endpoint authenticates restauth, not the token: a refusal is our configuration's problem.
    throw providerFault(provider, `introspection answered HTTP ${res.status}; check introspectionEndpoint, clientId and the client credentials`);
  }
  const answer = answerObject(res.text);
  // RFC 7662 always answers an object, even for a bad token: anything else (a proxy's or a
  // login page's HTML, text) comes from a broken endpoint, so it says nothing about the token
  // and is never cached (the throw skips the checker's caches).
  if (!answer) throw providerFault(provider, 'introspection answered HTTP 200 with a body that is not a JSON object');
  const active = answer['active'];
  if (typeof active !== 'boolean') return invalidAnswer('no boolean "active" member');
  if (!active) return { kind: 'rejected', reason: 'Token is not active' };
  const tokenType = answer['token_type'] ?? answer['typ'];
  if (typeof tokenType === 'string' && NOT_ACCESS_TOKEN.test(tokenType)) return { kind: 'rejected', reason: 'Token is not an access token' };
  const exp = answer['exp'];
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp))) return invalidAnswer('"exp" is not a number');
  if (provider.audience?.length) {
    const aud = answer['aud'];
    const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!auds.some((a) => provider.audience!.includes(a as string))) return { kind: 'rejected', reason: 'Token audience is not accepted' };
  }
  const expiresAtMs = typeof exp === 'number' ? exp * 1000 : undefined;
  let principal = principalFromClaims(answer, provider, {
    provider: provider.name,
    tokenType: 'opaque',
    expiresAt: expiresAtMs === undefined ? undefined : new Date(expiresAtMs),
  });
  if (principal.username === '') {
    if (!principal.clientId) return invalidAnswer('names no user and no client');
    principal = { ...principal, username: principal.clientId, subject: principal.subject || principal.clientId };
  }
  return { kind: 'accepted', principal, expiresAtMs };
}

/**
 * Builds the RFC 7662 request for a token: POST `token` and `token_type_hint=access_token`,
 * authenticated with `client_secret_basic`, `client_secret_post` or `private_key_jwt`.
 *
 * @example
 * const build = introspectionRequest(provider, 'providers[0]');
 * const req = build(token); // { url: provider.introspectionEndpoint, method: 'POST', ... }
 */
export function introspectionRequest(provider: ResolvedIntrospectionProvider, path: string, now?: () => number): (token: string) => OutboundRequest {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const extra: Record<string, string> = {};
  let assertion: (() => string) | undefined;
  if (provider.clientAuth === 'client_secret_basic') {
    headers['authorization'] = 'Basic ' + Buffer.from(`${formEncode(provider.clientId)}:${formEncode(provider.clientSecret ?? '')}`).toString('base64');
  } else if (provider.clientAuth === 'client_secret_post') {
    extra['client_id'] = provider.clientId;
    extra['client_secret'] = provider.clientSecret ?? '';
  } else {
    assertion = createClientAssertionSigner({
      clientId: provider.clientId,
      privateKey: provider.privateKey ?? '',
      algorithm: provider.assertionAlgorithm,
      keyId: provider.keyId,
      audience: provider.assertionAudience ?? provider.introspectionEndpoint,
      path,
      now,
    });
  }
  return (token) => {
    const body = new URLSearchParams({ token, token_type_hint: 'access_token', ...extra });
    if (assertion) {
      body.set('client_id', provider.clientId);
      body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      body.set('client_assertion', assertion());
    }
    return { url: provider.introspectionEndpoint, method: 'POST', headers, body: body.toString() };
  };
}

/**
 * A {@link TokenChecker} for one `type: "introspection"` provider.
 *
 * @example
 * const checker = createIntrospectionChecker(provider, 'providers[0]');
 * const verdict = await checker.check(token);
 */
export function createIntrospectionChecker(provider: ResolvedIntrospectionProvider, path: string, options: OpaqueStrategyOptions & Pick<OpaqueStrategyContext, 'observers'> = {}): TokenChecker {
  return createTokenChecker({
    provider: provider.name,
    cacheTtlSec: provider.cacheTtlSec,
    outbound: createOutbound({ provider: provider.name, timeoutMs: provider.timeoutMs, maxConcurrent: options.maxConcurrent, maxQueued: options.maxQueued, fetch: options.fetch }),
    request: introspectionRequest(provider, path, options.now),
    judge: (res) => judgeIntrospection(provider, res),
    maxCacheEntries: options.maxCacheEntries,
    now: options.now,
    kind: 'introspection',
    observers: options.observers,
  });
}
