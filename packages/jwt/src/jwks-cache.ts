import { RestAuthError } from '@restauth/core';
import { discoverJwksUri } from './discovery.js';
import { fetchJson } from './fetch-json.js';
import { parseJwks, type JwksKey } from './jwks-keys.js';

/** Where a JWKS comes from: a configured URL, or the issuer's discovery document. */
export type JwksSource = { readonly jwksUri: string } | { readonly discoveryIssuer: string };

/** Options of {@link createJwksCache}. */
export interface JwksCacheOptions {
  readonly source: JwksSource;
  /** The provider's allowed algorithms; keys that can serve none of them are skipped. */
  readonly algorithms: ReadonlySet<string>;
  readonly fetch: typeof fetch;
  /** Clock, ms. */
  readonly now: () => number;
  readonly cacheTtlSec: number;
  readonly cooldownSec: number;
  readonly timeoutMs: number;
}

/** The keys of one provider's JWKS, fetched lazily and kept through outages. */
export interface JwksCache {
  /**
   * The current keys. The first call fetches; after the TTL a refresh starts in the background
   * while the cached keys keep serving. Rejects with `temporarily_unavailable` only when no
   * keys were ever obtained.
   */
  keys(): Promise<readonly JwksKey[]>;
  /**
   * The keys held right now, without waiting (undefined before the first successful fetch).
   * Starts the same background refresh as {@link JwksCache.keys} once the TTL is over.
   */
  peek(): readonly JwksKey[] | undefined;
  /**
   * A token names a key the cache lacks (rotation). Refetches unless a fetch ran within the
   * cooldown; joins a fetch already in flight. Resolves true when the caller should look again.
   */
  refetchForUnknownKey(): Promise<boolean>;
}

/** Shortest wait before retrying after a failed fetch, so a down IdP is not hammered. */
const MIN_RETRY_MS = 1000;

/**
 * A JWKS cache for one provider. Every fetch has a timeout; concurrent needs share one fetch;
 * unknown-`kid` refetches happen at most once per cooldown; a failed refresh (down, timeout,
 * junk, no usable key) keeps the keys already held.
 *
 * @example
 * const cache = createJwksCache({ source: { jwksUri: 'https://idp/jwks' }, algorithms: new Set(['RS256']), fetch, now: Date.now, cacheTtlSec: 600, cooldownSec: 30, timeoutMs: 5000 });
 * const keys = await cache.keys();
 */
export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const { source, algorithms, now } = options;
  const ttlMs = options.cacheTtlSec * 1000;
  const cooldownMs = options.cooldownSec * 1000;
  const retryMs = Math.max(cooldownMs, MIN_RETRY_MS);

  let keys: readonly JwksKey[] | undefined;
  let fetchedAt = 0;
  let attemptedAt: number | undefined;
  let lastFailed = false;
  let inflight: Promise<boolean> | undefined;
  let jwksUri: string | undefined = 'jwksUri' in source ? source.jwksUri : undefined;

  async function load(): Promise<boolean> {
    try {
      if (jwksUri === undefined && 'discoveryIssuer' in source) {
        jwksUri = await discoverJwksUri(options.fetch, source.discoveryIssuer, options.timeoutMs);
      }
      const doc = await fetchJson(options.fetch, jwksUri as string, options.timeoutMs);
      keys = await parseJwks(doc, algorithms);
      fetchedAt = now();
      lastFailed = false;
      return true;
    } catch {
      // Keys already held stay in use. A discovered URL is looked up again next time, in
      // case the IdP moved its JWKS.
      if ('discoveryIssuer' in source) jwksUri = undefined;
      lastFailed = true;
      return false;
    }
  }

  function refresh(): Promise<boolean> {
    if (inflight) return inflight;
    attemptedAt = now();
    const p = load().finally(() => {
      if (inflight === p) inflight = undefined;
    });
    inflight = p;
    return p;
  }

  function mayRetry(t: number): boolean {
    return attemptedAt === undefined || t - attemptedAt >= (lastFailed ? retryMs : 0);
  }

  function unavailable(): RestAuthError {
    return new RestAuthError('temporarily_unavailable', 'The token issuer\'s signing keys are unavailable; try again later', {
      retryAfterSec: Math.max(1, Math.ceil(retryMs / 1000)),
    });
  }

  function peek(): readonly JwksKey[] | undefined {
    if (keys) {
      const t = now();
      if (t - fetchedAt >= ttlMs && !inflight && mayRetry(t)) void refresh();
    }
    return keys;
  }

  return {
    peek,
    async keys() {
      if (keys) return peek() as readonly JwksKey[];
      const t = now();
      if (inflight) await inflight;
      else if (mayRetry(t)) await refresh();
      if (keys) return keys;
      throw unavailable();
    },
    async refetchForUnknownKey() {
      if (inflight) return inflight.then(() => true);
      if (attemptedAt !== undefined && now() - attemptedAt < (lastFailed ? retryMs : cooldownMs)) return false;
      return refresh();
    },
  };
}
