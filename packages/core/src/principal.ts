/** How the caller proved who it is. */
export type TokenType = 'jwt' | 'opaque' | 'api-token' | 'basic';

/**
 * The authenticated caller, the same shape whatever the provider or framework.
 *
 * @example
 * app.get('/api/me', (req, res) => res.json({ user: req.auth?.username }));
 */
export interface Principal {
  /** Stable id at the provider (`sub`). */
  readonly subject: string;
  /** The human-readable name chosen by the provider's `usernameClaim`. */
  readonly username: string;
  readonly groups: readonly string[];
  readonly scopes: readonly string[];
  /** OAuth client that obtained the token (`azp`, `client_id`, `appid`), when known. */
  readonly clientId?: string | undefined;
  /** Name of the configured provider (or `api-token` / `basic`) that verified the caller. */
  readonly provider: string;
  readonly tokenType: TokenType;
  /** All claims as the provider sent them (already verified). */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly expiresAt?: Date | undefined;
  /** For API tokens: the token's id. */
  readonly tokenId?: string | undefined;
  /** For API tokens: the `meta` object given at creation (a customer, a plan...), if any. */
  readonly tokenMeta?: Readonly<Record<string, unknown>> | undefined;
  /** For API tokens: the token's own rate limit, if it was created with one. */
  readonly tokenRateLimit?: { readonly limit: number; readonly windowSec: number } | undefined;
  /**
   * Set when the token is sender-constrained and the caller proved it holds the key:
   * `dpop` (RFC 9449 proof) or `mtls` (RFC 8705 client certificate).
   */
  readonly binding?: 'dpop' | 'mtls' | undefined;
  /** With `binding`: the SHA-256 thumbprint (base64url) of the DPoP key (RFC 7638) or of the client certificate. */
  readonly thumbprint?: string | undefined;
}

/** The principal fields that are safe to show a caller (`GET /api/me`), in a fixed order. */
export interface PrincipalSummary {
  readonly username: string;
  readonly groups: readonly string[];
  readonly scopes: readonly string[];
  readonly clientId: string | null;
  readonly provider: string;
  readonly tokenType: TokenType;
}

/**
 * The caller-facing summary of a principal: no claims, no token; `clientId` is `null` when
 * unknown so the JSON is the same in every framework.
 *
 * @example
 * app.get('/api/me', (req, res) => res.json(describePrincipal(req.auth)));
 */
export function describePrincipal(p: Principal | undefined): PrincipalSummary | null {
  if (!p) return null;
  return { username: p.username, groups: p.groups, scopes: p.scopes, clientId: p.clientId ?? null, provider: p.provider, tokenType: p.tokenType };
}
