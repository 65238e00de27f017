import { RestAuthError, type Observers } from '@restauth/core';
import { healthError } from '@restauth/core';
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
  /** Retry schedule while no key was ever obtained. Default {@link NO_KEYS_RETRY}. */
  readonly noKeysRetry?: NoKeysRetry;
  /** The provider's configured name, for observers. */
  readonly provider?: string;
  /** Told of each JWKS and discovery fetch; undefined when nobody listens. */
  readonly observers?: Observers | undefined;
}

/** How soon a provider that holds no key at all is asked again: `firstMs`, doubled after each failure, at most `maxMs`. */
export interface NoKeysRetry {
  readonly firstMs: number;
  readonly maxMs: number;
}

/**
 * Retries while no key is held: after 0.5 s, 1 s, 2 s, then every 4 s. A request arriving once
 * the IdP is back is answered within 4 s plus one fetch, and a down IdP sees at most one fetch
 * per 4 s from each instance (one in flight, shared by every waiting request).
 */
export const NO_KEYS_RETRY: NoKeysRetry = Object.freeze({ firstMs: 500, maxMs: 4000 });

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
  /** What `health()` reports: keys held, last successful fetch (ms), last error. */
  status(): JwksStatus;
  /** Starts a fetch when no key is held (within the retry schedule); never waits. */
  load(): void;
}

/** The state of a JWKS cache, for health reports. */
export interface JwksStatus {
  readonly keysLoaded: boolean;
  /** When the last fetch succeeded, ms; undefined before the first. */
  readonly fetchedAtMs: number | undefined;
  /** Whether the last fetch failed, and why (redacted). */
  readonly failing: boolean;
  readonly lastError: string | undefined;
}

/** Shortest wait before retrying a failed refresh while keys are held, so a down IdP is not hammered. */
const MIN_RETRY_MS = 1000;

/**
 * A JWKS cache for one provider. Every fetch has a timeout; concurrent needs share one fetch;
 * unknown-`kid` refetches happen at most once per cooldown; a failed refresh (down, timeout,
 * junk, no usable key) keeps the keys already held and is retried after the cooldown. While no
 * key was ever obtained, retries follow the short {@link NO_KEYS_RETRY} back-off instead.
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
  const noKeys = options.noKeysRetry ?? NO_KEYS_RETRY;

  let keys: readonly JwksKey[] | undefined;
  let fetchedAt = 0;
  let attemptedAt: number | undefined;
  let lastFailed = false;
  let lastError: string | undefined;
  // After a failure, no fetch before this time; the no-key back-off grows with each failure.
  let retryAt = 0;
  let noKeysWaitMs = 0;
  let inflight: Promise<boolean> | undefined;
  let jwksUri: string | undefined = 'jwksUri' in source ? source.jwksUri : undefined;
  const { observers } = options;
  const provider = options.provider ?? '';
  const observed = <T>(kind: 'jwks' | 'discovery', call: () => Promise<T>): Promise<T> => (observers ? observers.fetch({ provider, kind }, call) : call());

  async function load(): Promise<boolean> {
    try {
      if (jwksUri === undefined && 'discoveryIssuer' in source) {
        jwksUri = await observed('discovery', () => discoverJwksUri(options.fetch, source.discoveryIssuer, options.timeoutMs));
      }
      keys = await observed('jwks', async () => parseJwks(await fetchJson(options.fetch, jwksUri as string, options.timeoutMs), algorithms));
      fetchedAt = now();
      lastFailed = false;
      noKeysWaitMs = 0;
      return true;
    } catch (err) {
      lastError = healthError(err);
      // Keys already held stay in use. A discovered URL is looked up again next time, in
      // case the IdP moved its JWKS.
      if ('discoveryIssuer' in source) jwksUri = undefined;
      lastFailed = true;
      // Counted from the end of the attempt, so a hung IdP is not asked again the moment it times out.
      if (keys) retryAt = now() + retryMs;
      else {
        noKeysWaitMs = noKeysWaitMs ? Math.min(noKeysWaitMs * 2, noKeys.maxMs) : Math.min(noKeys.firstMs, noKeys.maxMs);
        retryAt = now() + noKeysWaitMs;
      }
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
    return !lastFailed || t >= retryAt;
  }

  function unavailable(): RestAuthError {
    return new RestAuthError('temporarily_unavailable', 'The token issuer\'s signing keys are unavailable; try again later', {
      retryAfterSec: Math.max(1, Math.ceil((retryAt - now()) / 1000)),
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
    status() {
      return { keysLoaded: keys !== undefined, fetchedAtMs: keys ? fetchedAt : undefined, failing: lastFailed, lastError };
    },
    load() {
      if (!keys && !inflight && mayRetry(now())) void refresh();
    },
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
      if (lastFailed ? !mayRetry(now()) : attemptedAt !== undefined && now() - attemptedAt < cooldownMs) return false;
      return refresh();
    },
  };
}
