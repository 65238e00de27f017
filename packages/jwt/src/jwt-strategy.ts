import { ConfigError, principalFromClaims, type ConfigIssue, type Observers, type Principal, type ResolvedJwtProvider, type Strategy, type TokenCacheEvent } from '@restauth/core';
import type { ProviderHealth } from '@restauth/core';
import { keyKindOf } from './algorithms.js';
import { decodeCompactJws, isJsonObject } from './compact-jws.js';
import { deepFreeze } from './deep-freeze.js';
import { createJwksCache as newJwksCache, type JwksCache } from './jwks-cache.js';
import { jwksKeySource, staticKeySource, type KeySource } from './key-source.js';
import { DEFAULT_REJECTED_CACHE_SIZE, DEFAULT_VERIFIED_CACHE_SIZE, type JwtPluginOptions } from './options.js';
import { createProviderVerifier, type DecodedJwt, type ProviderVerifier, type VerifiedToken } from './provider-verifier.js';
import { createRejectedCache } from './rejected-cache.js';
import { importCertificatePem, importPublicKeyPem, importSecret, type StaticKey } from './static-key.js';
import { invalidToken, isFinalVerdict } from './token-error.js';
import { createVerifiedCache } from './verified-cache.js';

// The JWKS cache of the provider being built, if it has one (buildVerifier is synchronous).
let lastJwksCache: JwksCache | undefined;

/** A JWKS cache, remembered for the strategy's health report. */
function createJwksCache(options: Parameters<typeof newJwksCache>[0]): JwksCache {
  lastJwksCache = newJwksCache(options);
  return lastJwksCache;
}

const STATIC_KEY_HEALTH: ProviderHealth = Object.freeze({ status: 'ok', keysLoaded: true, needsKeys: false, lastSuccessAt: null, lastError: null });

/** One provider's health from its JWKS cache (undefined: a configured key, always loaded). */
function providerHealth(jwks: JwksCache | undefined, loadKeys: boolean): ProviderHealth {
  if (!jwks) return STATIC_KEY_HEALTH;
  if (loadKeys) jwks.load();
  const s = jwks.status();
  return {
    // Keys held keep verifying through a failed refresh (degraded); none and failing is down.
    status: s.keysLoaded ? (s.failing ? 'degraded' : 'ok') : s.failing ? 'down' : 'ok',
    keysLoaded: s.keysLoaded,
    needsKeys: true,
    lastSuccessAt: s.fetchedAtMs === undefined ? null : new Date(s.fetchedAtMs).toISOString(),
    lastError: s.lastError ?? null,
  };
}

/** Prefix of restauth's own API tokens, which are never JWTs. */
const API_TOKEN_PREFIX = 'rat_';
const CACHE_HIT: TokenCacheEvent = Object.freeze({ cache: 'jwt', result: 'hit' });
const CACHE_MISS: TokenCacheEvent = Object.freeze({ cache: 'jwt', result: 'miss' });

function importStaticKey(p: ResolvedJwtProvider, path: string): StaticKey | undefined {
  if (p.publicKey !== undefined) return importPublicKeyPem(p.publicKey, `${path}.publicKey`);
  if (p.certificate !== undefined) return importCertificatePem(p.certificate, `${path}.certificate`);
  if (p.secret !== undefined) return importSecret(p.secret, `${path}.secret`);
  return undefined;
}

function buildVerifier(
  p: ResolvedJwtProvider,
  path: string,
  fetchFn: typeof fetch,
  now: () => number,
  issues: ConfigIssue[],
  observers: Observers | undefined,
): ProviderVerifier | undefined {
  const algorithms = p.algorithms.filter((alg, i) => {
    if (keyKindOf(alg) !== undefined) return true;
    issues.push({ path: `${path}.algorithms[${i}]`, message: `"${alg}" is not a supported signing algorithm` });
    return false;
  });
  let keys: KeySource;
  let usable = algorithms;
  const jwksSource = p.jwksUri !== undefined ? { jwksUri: p.jwksUri } : p.discovery === true ? { discoveryIssuer: p.issuer } : undefined;
  if (jwksSource) {
    usable = algorithms.filter((alg) => keyKindOf(alg) !== 'oct');
    if (usable.length !== algorithms.length) issues.push({ path: `${path}.algorithms`, message: 'HMAC algorithms cannot be verified with a JWKS' });
    keys = jwksKeySource(createJwksCache({
      source: jwksSource,
      algorithms: new Set(usable),
      fetch: fetchFn,
      now,
      cacheTtlSec: p.jwksCacheTtlSec,
      cooldownSec: p.jwksCooldownSec,
      timeoutMs: p.timeoutMs,
      provider: p.name,
      observers,
    }));
  } else {
    let key: StaticKey | undefined;
    try {
      key = importStaticKey(p, path);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
      return undefined;
    }
    if (!key) {
      issues.push({ path, message: 'needs exactly one key source: jwksUri, discovery, publicKey, certificate, secret' });
      return undefined;
    }
    const kind = key.kind;
    // The default list names every asymmetric algorithm; only those that fit this key remain.
    usable = algorithms.filter((alg) => keyKindOf(alg) === kind);
    if (usable.length === 0 && algorithms.length > 0) {
      issues.push({ path: `${path}.algorithms`, message: `none of ${algorithms.join(', ')} can be verified with the configured ${kind === 'oct' ? 'secret' : `${kind} key`}` });
    }
    keys = staticKeySource(key);
  }
  return createProviderVerifier(p, keys, usable, now);
}

/**
 * Builds the strategy that verifies JWT bearer tokens for the given providers. Keys from a
 * `publicKey`, `certificate` or `secret` are imported here, so a bad one throws a
 * {@link ConfigError} at start-up; JWKS and discovery are fetched on the first token.
 *
 * A token is this strategy's when it is a bearer token in JWS compact form (so API tokens,
 * opaque tokens and Basic credentials go to the next strategy). It is routed by its unverified
 * `iss` to exactly one provider; an issuer no provider names is refused without any fetch, or,
 * with `othersMayAccept` (set by `jwtPlugin` when the config also has introspection or
 * userinfo providers), left to the next strategy: an opaque-token provider may introspect JWTs
 * of its own issuer. `paths[i]` is the config path of `providers[i]`, for errors (default
 * `providers[i]`).
 *
 * @example
 * const strategy = createJwtStrategy([provider], { verifiedCacheSize: 1000 });
 * const principal = await strategy.verify({ kind: 'bearer', token }, { request });
 */
export function createJwtStrategy(
  providers: readonly ResolvedJwtProvider[],
  options: JwtPluginOptions & { paths?: string[]; othersMayAccept?: boolean; observers?: Observers | undefined } = {},
): Strategy {
  const now = options.now ?? Date.now;
  const fetchFn: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const cache = createVerifiedCache(options.verifiedCacheSize ?? DEFAULT_VERIFIED_CACHE_SIZE);
  const rejected = createRejectedCache(options.rejectedCacheSize ?? DEFAULT_REJECTED_CACHE_SIZE);
  const byIssuer = new Map<string, ProviderVerifier>();
  const jwksByName = new Map<string, JwksCache | undefined>();
  const issues: ConfigIssue[] = [];

  providers.forEach((p, i) => {
    lastJwksCache = undefined;
    const path = options.paths?.[i] ?? `providers[${i}]`;
    if (byIssuer.has(p.issuer)) {
      issues.push({ path: `${path}.issuer`, message: `issuer "${p.issuer}" is configured twice; tokens are routed by issuer, so it must be unique` });
      return;
    }
    const verifier = buildVerifier(p, path, fetchFn, now, issues, options.observers);
    if (verifier) byIssuer.set(p.issuer, verifier);
    jwksByName.set(p.name, lastJwksCache);
  });
  if (issues.length) throw new ConfigError(issues);

  function admit(token: string, verifier: ProviderVerifier, verified: VerifiedToken): Principal {
    const provider = verifier.provider;
    const principal = deepFreeze(principalFromClaims(verified.payload, provider, {
      provider: provider.name,
      tokenType: 'jwt',
      expiresAt: new Date(verified.expiresAtMs),
    }));
    cache.set(token, principal, verified.expiresAtMs);
    return principal;
  }

  function refuse(token: string, err: unknown, t: number): never {
    if (isFinalVerdict(err)) rejected.set(token, err, t);
    throw err;
  }

  return {
    name: 'jwt',
    async verify(credential): Promise<Principal | undefined> {
      if (credential.kind !== 'bearer') return undefined;
      const token = credential.token;
      if (token.startsWith(API_TOKEN_PREFIX)) return undefined;
      const t = now();
      const hit = cache.get(token, t);
      if (hit) {
        options.observers?.tokenCache(CACHE_HIT);
        return hit;
      }
      const refused = rejected.get(token, t);
      if (refused) throw refused;

      const jws = decodeCompactJws(token);
      if (!jws) return undefined;
      const payload = jws.payload;
      if (payload === undefined) throw invalidToken('Token is malformed');
      if (!isJsonObject(payload)) throw invalidToken('Token payload is not a JSON object');
      const iss = payload['iss'];
      // Exact lookup only: no key is ever fetched for an issuer that is not configured.
      const verifier = typeof iss === 'string' ? byIssuer.get(iss) : undefined;
      if (!verifier) {
        if (options.othersMayAccept) return undefined;
        throw invalidToken('Token issuer is not accepted');
      }
      options.observers?.tokenCache(CACHE_MISS);

      let verified: VerifiedToken | Promise<VerifiedToken>;
      try {
        // Synchronous whenever the keys are known: no thread-pool hop, no extra await.
        verified = verifier.verify(jws as DecodedJwt);
        if (verified instanceof Promise) verified = await verified;
      } catch (err) {
        return refuse(token, err, t);
      }
      return admit(token, verifier, verified);
    },
    health({ loadKeys }) {
      const out: Record<string, ProviderHealth> = {};
      for (const [name, jwks] of jwksByName) out[name] = providerHealth(jwks, loadKeys);
      return out;
    },
    async close() {
      cache.clear();
      rejected.clear();
    },
  };
}
