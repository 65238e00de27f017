import type { Observers, ProviderFetchKind, ProviderFetchStart, TokenCacheEvent } from '../observe.js';
import type { Principal } from '../principal.js';
import { createAnswerCache, tokenKey } from './answer-cache.js';
import type { Outbound, OutboundRequest, OutboundResponse } from './outbound.js';
import { createSingleFlight } from './single-flight.js';

/**
 * Longest time a negative answer ("not active", "unknown token") is remembered, seconds.
 *
 * @example
 * const negativeTtlSec = Math.min(provider.cacheTtlSec, NEGATIVE_CACHE_MAX_SEC);
 */
export const NEGATIVE_CACHE_MAX_SEC = 10;
/**
 * Default bound of each answer cache (positive and negative are separate), entries.
 *
 * @example
 * createAnswerCache({ maxEntries: DEFAULT_MAX_CACHE_ENTRIES });
 */
export const DEFAULT_MAX_CACHE_ENTRIES = 10_000;

/**
 * What one provider says about one token.
 * - `accepted`: a principal (cached up to `cacheTtlSec`, never past `expiresAtMs`);
 * - `rejected`: the token is not good at this provider (remembered briefly);
 * - `invalid-answer`: the provider answered something that is not a valid answer (never cached).
 *
 * @example
 * const verdict: ProviderVerdict = { kind: 'rejected', reason: 'Token is not active' };
 */
export type ProviderVerdict =
  | { readonly kind: 'accepted'; readonly principal: Principal; readonly expiresAtMs?: number | undefined }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'invalid-answer'; readonly reason: string };

/**
 * Options of {@link createTokenChecker}.
 *
 * @example
 * const options: TokenCheckerOptions = { provider: 'corp', cacheTtlSec: 60, outbound, request: userinfoRequest(p), judge: (r) => judgeUserinfo(p, r) };
 */
export interface TokenCheckerOptions {
  readonly provider: string;
  readonly cacheTtlSec: number;
  readonly outbound: Outbound;
  /** Builds the provider call for a token (URL from config only). */
  readonly request: (token: string) => OutboundRequest;
  /** Judges the provider's answer. */
  readonly judge: (response: OutboundResponse) => ProviderVerdict;
  readonly maxCacheEntries?: number;
  readonly now?: () => number;
  /** What kind of call `request` makes, for observers. */
  readonly kind?: Extract<ProviderFetchKind, 'introspection' | 'userinfo'>;
  /** Told of cache hits and misses and of each provider call; undefined when nobody listens. */
  readonly observers?: Observers | undefined;
}

const CACHE_HIT: TokenCacheEvent = Object.freeze({ cache: 'opaque', result: 'hit' });
const CACHE_MISS: TokenCacheEvent = Object.freeze({ cache: 'opaque', result: 'miss' });

/**
 * Asks one opaque-token provider about tokens, with a positive and a negative cache (keyed by
 * the token's SHA-256) and coalescing of identical calls in flight. Rejects only with
 * `temporarily_unavailable` (the provider could not be asked); every answer is a
 * {@link ProviderVerdict}.
 *
 * @example
 * const checker = createTokenChecker({ provider: 'corp', cacheTtlSec: 60, outbound, request, judge });
 * const verdict = await checker.check(token);
 */
export interface TokenChecker {
  readonly provider: string;
  check(token: string): Promise<ProviderVerdict>;
  clear(): void;
}

/**
 * Creates a {@link TokenChecker}.
 *
 * @example
 * const checker = createTokenChecker({ provider: 'gh', cacheTtlSec: 60, outbound: createOutbound({ provider: 'gh', timeoutMs: 5000 }), request, judge });
 */
export function createTokenChecker(options: TokenCheckerOptions): TokenChecker {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxCacheEntries ?? DEFAULT_MAX_CACHE_ENTRIES;
  const ttlMs = options.cacheTtlSec * 1000;
  const negativeTtlMs = Math.min(options.cacheTtlSec, NEGATIVE_CACHE_MAX_SEC) * 1000;
  const accepted = createAnswerCache<Extract<ProviderVerdict, { kind: 'accepted' }>>({ maxEntries, now });
  const rejected = createAnswerCache<Extract<ProviderVerdict, { kind: 'rejected' }>>({ maxEntries, now });
  const flights = createSingleFlight<ProviderVerdict>();
  const { observers, outbound } = options;
  const fetchStart: ProviderFetchStart = Object.freeze({ provider: options.provider, kind: options.kind ?? 'introspection' });

  async function ask(token: string, key: string): Promise<ProviderVerdict> {
    const request = options.request(token);
    const verdict = options.judge(await (observers ? observers.fetch(fetchStart, () => outbound.send(request)) : outbound.send(request)));
    const t = now();
    if (verdict.kind === 'accepted' && ttlMs > 0) {
      // Never past the token's own expiry: a cached "active" must not outlive the token.
      const until = verdict.expiresAtMs === undefined ? t + ttlMs : Math.min(t + ttlMs, verdict.expiresAtMs);
      accepted.set(key, verdict, until);
    } else if (verdict.kind === 'rejected' && negativeTtlMs > 0) {
      rejected.set(key, verdict, t + negativeTtlMs);
    }
    return verdict;
  }

  return {
    provider: options.provider,
    async check(token) {
      const key = tokenKey(token);
      const hit = accepted.get(key) ?? rejected.get(key);
      observers?.tokenCache(hit ? CACHE_HIT : CACHE_MISS);
      if (hit) return hit;
      return flights.run(key, () => ask(token, key));
    },
    clear() {
      accepted.clear();
      rejected.clear();
    },
  };
}
