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
  /**
   * How many refused tokens are remembered (for 60 s, and at most 2 KiB of token text per entry
   * on average), so a client replaying a bad token costs no signature check. Only verdicts that
   * cannot change are kept (bad signature, wrong audience, expired...), never "not yet valid" or
   * "signing key is unknown". Default 1000; 0 turns it off.
   */
  rejectedCacheSize?: number;
}

/** Default of {@link JwtPluginOptions.verifiedCacheSize}. */
export const DEFAULT_VERIFIED_CACHE_SIZE = 10000;
/** Default of {@link JwtPluginOptions.rejectedCacheSize}. */
export const DEFAULT_REJECTED_CACHE_SIZE = 1000;
