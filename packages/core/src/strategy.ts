import type { Credential } from './credentials.js';
import type { ProviderHealth } from './health.js';
import type { Observers } from './observe.js';
import type { Principal } from './principal.js';
import type { RequestLike } from './request.js';

/** What a strategy gets besides the credential. */
export interface VerifyContext {
  readonly request: RequestLike;
  /** The instance's observers (metrics, traces); undefined when nobody listens. */
  readonly observers?: Observers | undefined;
}

/**
 * Verifies one kind of credential. `verify` resolves to a principal, to `undefined` when the
 * credential is not this strategy's to judge (the next strategy is asked), or rejects with a
 * {@link RestAuthError} (`invalid_token`, `temporarily_unavailable`...). Any other rejection is
 * treated as `invalid_token`: a strategy can never cause an allow or a 500 by failing.
 *
 * @example
 * const strategy: Strategy = { name: 'static', async verify(c) { return c.kind === 'bearer' && c.token === 'x' ? principal : undefined } };
 */
export interface Strategy {
  readonly name: string;
  verify(credential: Credential, context: VerifyContext): Promise<Principal | undefined>;
  close?(): Promise<void>;
  /**
   * How each of its providers is doing, by provider name (keys loaded, last fetch, last error).
   * With `loadKeys`, a provider that holds no key starts fetching them (in the background, within
   * its retry schedule), so that readiness is reached without waiting for a first token.
   */
  health?(options: { readonly loadKeys: boolean }): Readonly<Record<string, ProviderHealth>> | Promise<Readonly<Record<string, ProviderHealth>>>;
}
