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
}
