import { TEST_USERS, type TestUser } from './fixtures.js';

/**
 * Options of {@link startIdp}. Every field is optional.
 *
 * @example
 * ```ts
 * import { startIdp, type StartIdpOptions } from '@restauth/testing';
 *
 * const options: StartIdpOptions = { issuerPath: '/realms/demo', audience: 'orders-api' };
 * const idp = await startIdp(options); // issuer http://127.0.0.1:<port>/realms/demo
 * ```
 */
export interface StartIdpOptions {
  /** TCP port; default 0, a free port */
  port?: number;
  /** interface to listen on and host of the issuer URL; default '127.0.0.1' */
  host?: string;
  /** path of the issuer under the origin, e.g. '/realms/demo' (Keycloak layout) or '/tenant-id/v2.0'; default '' */
  issuerPath?: string;
  /** the `aud` of JWT access tokens (the resource they are issued for); default 'api' */
  audience?: string;
  /** lifetime of access tokens in seconds; default 300 */
  accessTokenTtlSec?: number;
  /** the users the IdP knows, by username; default {@link TEST_USERS} */
  users?: Record<string, TestUser>;
  /**
   * Clients that sign users in with the authorization code flow (PKCE) through the IdP's login
   * page (`<issuer>/interaction/...`, username and password), such as the restauth console.
   * Loopback redirect URIs (`http://127.0.0.1/...`) match any port (RFC 8252).
   */
  loginClients?: LoginClient[];
}

/**
 * A client of the IdP's authorization endpoint (authorization code + PKCE, `client_secret_basic`).
 *
 * @example
 * ```ts
 * import { startIdp, type LoginClient } from '@restauth/testing';
 *
 * const client: LoginClient = { clientId: 'restauth-console', clientSecret: 'console-secret', redirectUris: ['http://127.0.0.1/restauth/callback'] };
 * const idp = await startIdp({ loginClients: [client] });
 * ```
 */
export interface LoginClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Where the IdP may send the browser after logout (RP-initiated logout); default none. */
  postLogoutRedirectUris?: string[];
}

export interface IdpSettings {
  port: number;
  host: string;
  issuerPath: string;
  audience: string;
  accessTokenTtlSec: number;
  users: ReadonlyMap<string, TestUser>;
  loginClients: readonly LoginClient[];
}

function fail(path: string, message: string): never {
  throw new TypeError(`startIdp: options.${path} ${message}`);
}

function normalizeIssuerPath(value: string): string {
  const path = value.replace(/\/+$/, '');
  if (path !== '' && !path.startsWith('/')) fail('issuerPath', 'must start with "/"');
  if (/[?#\s]/.test(path)) fail('issuerPath', 'must be a plain path (no query, fragment or spaces)');
  return path;
}

/** Checks the options once and fills in the defaults, without touching the caller's object. */
export function normalizeOptions(options: StartIdpOptions = {}): IdpSettings {
  const {
    port = 0,
    host = '127.0.0.1',
    issuerPath = '',
    audience = 'api',
    accessTokenTtlSec = 300,
    users = TEST_USERS,
    loginClients = [],
  } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('port', 'must be an integer from 0 to 65535');
  if (typeof host !== 'string' || host === '') fail('host', 'must be a non-empty string');
  if (typeof audience !== 'string' || audience === '') fail('audience', 'must be a non-empty string');
  if (!Number.isInteger(accessTokenTtlSec) || accessTokenTtlSec <= 0) {
    fail('accessTokenTtlSec', 'must be a positive integer');
  }
  const userMap = new Map<string, TestUser>();
  for (const [key, user] of Object.entries(users)) {
    if (user.username !== key) fail(`users.${key}.username`, `must equal its key "${key}"`);
    userMap.set(key, { ...user, groups: [...user.groups] });
  }
  loginClients.forEach((c, i) => {
    if (!c.clientId || !c.clientSecret || !Array.isArray(c.redirectUris) || c.redirectUris.length === 0) {
      fail(`loginClients[${i}]`, 'needs clientId, clientSecret and at least one redirect URI');
    }
  });
  const clients = loginClients.map((c) => ({ ...c, redirectUris: [...c.redirectUris], postLogoutRedirectUris: [...(c.postLogoutRedirectUris ?? [])] }));
  return { port, host, issuerPath: normalizeIssuerPath(issuerPath), audience, accessTokenTtlSec, users: userMap, loginClients: clients };
}
