/**
 * Options of {@link jwtPlugin} and {@link createJwtStrategy}.
 *
 * @example
 * const options: JwtPluginOptions = { verifiedCacheSize: 50000 };
 */
export interface JwtPluginOptions {
  /** The fetch used for JWKS and discovery documents. Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Clock, ms since the epoch, for token times and cache lifetimes. Default `Date.now`. */
  now?: () => number;
  /** How many verified tokens are remembered until their `exp`. Default 10000; 0 turns it off. */
  verifiedCacheSize?: number;
}

/** Default of {@link JwtPluginOptions.verifiedCacheSize}. */
export const DEFAULT_VERIFIED_CACHE_SIZE = 10000;
