import * as oidc from 'openid-client';
import type { ConsoleLoginOptions } from './options.js';
import { randomToken, type LoginFlow } from './session.js';

const DISCOVERY_TIMEOUT_SEC = 5;
const DEFAULT_SCOPES = ['openid', 'profile', 'email'];
/** OpenID scopes: what is granted beyond them is what a person may put in API tokens. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']);

/** The IdP could not be reached or did not answer as an OpenID provider (shown as a page, never a stack). */
export class IdpUnavailableError extends Error {
  override readonly name = 'IdpUnavailableError';
}

/** The callback did not prove a login of this browser (state, nonce, PKCE or code refused). */
export class CallbackError extends Error {
  override readonly name = 'CallbackError';
}

/** What a successful callback yields: the ID token's claims and the API scopes granted. */
export interface LoginResult {
  readonly claims: Record<string, unknown>;
  readonly scopes: string[];
}

/** The authorization code flow with PKCE against one provider, over openid-client. */
export interface OidcLogin {
  /** A new flow: the IdP URL to send the browser to and the secrets to keep in the flow cookie. */
  start(redirectUri: string, returnTo: string, expSec: number): Promise<{ url: string; flow: LoginFlow }>;
  /** Exchanges the code of the callback URL; checks state, nonce and PKCE. */
  finish(callbackUrl: URL, flow: LoginFlow): Promise<LoginResult>;
  /** Where a person ends their session at the provider (RP-initiated logout), when it says; undefined if unknown or unreachable. */
  endSessionUrl(): Promise<string | undefined>;
}

/** Builds the login flow; discovery happens on first use and is retried while it fails. */
export function createOidcLogin(login: ConsoleLoginOptions): OidcLogin {
  let config: Promise<oidc.Configuration> | undefined;
  const insecure = login.issuer.startsWith('http:');

  function configuration(): Promise<oidc.Configuration> {
    config ??= oidc
      .discovery(new URL(login.issuer), login.clientId, undefined, oidc.ClientSecretBasic(login.clientSecret), {
        timeout: DISCOVERY_TIMEOUT_SEC,
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((cause: unknown) => {
        config = undefined;
        throw new IdpUnavailableError(`The identity provider at ${login.issuer} cannot be reached (${reasonOf(cause)}).`, { cause });
      });
    return config;
  }

  return {
    async start(redirectUri, returnTo, expSec) {
      const cfg = await configuration();
      const verifier = oidc.randomPKCECodeVerifier();
      const flow: LoginFlow = { state: randomToken(), nonce: randomToken(), verifier, returnTo, exp: expSec };
      const params: Record<string, string> = {
        redirect_uri: redirectUri,
        scope: (login.scopes ?? DEFAULT_SCOPES).join(' '),
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: flow.state,
        nonce: flow.nonce,
      };
      if (login.resource) params['resource'] = login.resource;
      return { url: oidc.buildAuthorizationUrl(cfg, params).href, flow };
    },
    async finish(callbackUrl, flow) {
      const cfg = await configuration();
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(cfg, callbackUrl, {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
      } catch (cause) {
        if (isNetworkError(cause)) throw new IdpUnavailableError(`The identity provider at ${login.issuer} cannot be reached (${reasonOf(cause)}).`, { cause });
        throw new CallbackError(`The sign-in could not be completed: ${reasonOf(cause)}`, { cause });
      }
      const claims = tokens.claims();
      if (!claims) throw new CallbackError('The identity provider sent no ID token.');
      const granted = (tokens.scope ?? (login.scopes ?? DEFAULT_SCOPES).join(' ')).split(' ').filter((s) => s && !OIDC_SCOPES.has(s));
      return { claims: { ...claims }, scopes: [...new Set(granted)] };
    },
    async endSessionUrl() {
      const endpoint = await configuration().then((cfg) => cfg.serverMetadata().end_session_endpoint, () => undefined);
      if (!endpoint) return undefined;
      const url = new URL(endpoint);
      url.searchParams.set('client_id', login.clientId);
      return url.href;
    },
  };
}

function isNetworkError(err: unknown): boolean {
  const text = `${(err as Error)?.name} ${(err as Error)?.message} ${String((err as { cause?: unknown })?.cause ?? '')}`;
  return /fetch failed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|TimeoutError|AbortError/.test(text);
}

/** A short reason without token material (openid-client messages name checks, not values). */
function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  const cause = (err as { cause?: unknown }).cause;
  const code = (cause as { code?: string } | undefined)?.code;
  if (code && /^E[A-Z]+$/.test(code)) return code;
  const msg = err.message.replace(/\s+/g, ' ').slice(0, 160);
  return msg || err.name;
}
