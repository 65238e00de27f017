import { randomBytes } from 'node:crypto';
import type { ResolvedConfig } from '@restauth/core';

/**
 * How people sign in to the console: an OpenID Connect provider (authorization code + PKCE).
 *
 * @example
 * const login: ConsoleLoginOptions = { issuer: 'https://idp.example.com/realms/corp', clientId: 'restauth-console', clientSecret: process.env.CONSOLE_SECRET! };
 */
export interface ConsoleLoginOptions {
  /** Issuer URL; its discovery document is read from `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  readonly clientId: string;
  /** The client's secret (`client_secret_basic`). In a config file: `{"env": "NAME"}`. */
  readonly clientSecret: string;
  /**
   * Scopes asked for. Default `openid profile email`. Add the API scopes people may put in their
   * API tokens (`items:read`...): a token never gets a scope its creator was not granted.
   */
  readonly scopes?: readonly string[] | undefined;
  /** RFC 8707 resource indicator sent with the request (some IdPs choose the access token's audience by it). */
  readonly resource?: string | undefined;
  /**
   * The configured provider whose claim mapping (`usernameClaim`, `groupsClaim`) turns the ID
   * token into a principal, and whose name owns the tokens made here. Default: the provider whose
   * `issuer` is the login issuer, else the first provider.
   */
  readonly provider?: string | undefined;
}

/**
 * Options of {@link createConsole}. Each one overrides the `console` section of the restauth config.
 *
 * @example
 * const options: ConsoleOptions = { adminGroups: ['admins'], secureCookies: false, login: { issuer, clientId: 'restauth-console', clientSecret: 'dev-secret' } };
 */
export interface ConsoleOptions {
  /** Where the console is mounted. Default `/restauth`. */
  readonly prefix?: string | undefined;
  readonly login?: ConsoleLoginOptions | undefined;
  /** Members may use the admin pages (test a token, audit, status). Default `apiTokens.adminGroups`. */
  readonly adminGroups?: readonly string[] | undefined;
  /** Key of the session cookie's signature (at least 32 bytes). Default: random per process (sessions end on restart). */
  readonly sessionSecret?: string | undefined;
  /** How long a session lasts, seconds. Default 28 800 (8 hours). */
  readonly sessionTtlSec?: number | undefined;
  /** `Secure` cookies (HTTPS only). Default true; false for local HTTP. */
  readonly secureCookies?: boolean | undefined;
  /** Scheme and host people reach the console at (`https://api.example.com`), for the redirect URI. Default: from the request's Host header. */
  readonly publicUrl?: string | undefined;
  /** Clock, for tests. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
}

/** The options after defaults, checked once. */
export interface ResolvedConsoleOptions {
  readonly prefix: string;
  readonly login: ConsoleLoginOptions | undefined;
  readonly adminGroups: readonly string[];
  readonly sessionKey: Buffer;
  readonly sessionTtlSec: number;
  readonly secureCookies: boolean;
  readonly publicUrl: string | undefined;
  readonly now: () => number;
}

/** The `console` section as the config carries it (after validation, secrets resolved). */
type ConsoleSection = Partial<{
  prefix: string;
  login: ConsoleLoginOptions;
  adminGroups: string[];
  sessionSecret: string;
  sessionTtlSec: number;
  secureCookies: boolean;
  publicUrl: string;
}>;

function fail(path: string, message: string): never {
  throw new TypeError(`createConsole: ${path} ${message}`);
}

/** Merges the config's `console` section with the programmatic options; throws on a mistake. */
export function resolveConsoleOptions(config: ResolvedConfig, options: ConsoleOptions): ResolvedConsoleOptions {
  const section = ((config as unknown as { console?: ConsoleSection }).console ?? {}) as ConsoleSection;
  const prefix = (options.prefix ?? section.prefix ?? '/restauth').replace(/\/+$/, '');
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(prefix) || prefix.includes('//') || prefix.split('/').some((s) => s === '.' || s === '..')) {
    fail('prefix', 'must be a plain path like "/restauth"');
  }
  const login = options.login ?? section.login;
  if (login) {
    if (!/^https?:\/\//.test(login.issuer)) fail('login.issuer', 'must be an http(s) URL');
    if (!login.clientId) fail('login.clientId', 'is required');
    if (!login.clientSecret) fail('login.clientSecret', 'is required');
  }
  const secret = options.sessionSecret ?? section.sessionSecret;
  if (secret !== undefined && Buffer.byteLength(secret) < 32) fail('sessionSecret', 'must be at least 32 bytes');
  const ttl = options.sessionTtlSec ?? section.sessionTtlSec ?? 28_800;
  if (!Number.isInteger(ttl) || ttl < 60 || ttl > 7 * 86_400) fail('sessionTtlSec', 'must be a whole number of seconds from 60 to 604800');
  const publicUrl = (options.publicUrl ?? section.publicUrl)?.replace(/\/+$/, '');
  if (publicUrl !== undefined && !/^https?:\/\/[^/?#]+$/.test(publicUrl)) fail('publicUrl', 'must be a scheme and host like "https://api.example.com"');
  return {
    prefix,
    login,
    adminGroups: [...(options.adminGroups ?? section.adminGroups ?? config.apiTokens.adminGroups)],
    sessionKey: secret !== undefined ? Buffer.from(secret) : randomBytes(32),
    sessionTtlSec: ttl,
    secureCookies: options.secureCookies ?? section.secureCookies ?? true,
    publicUrl,
    now: options.now ?? Date.now,
  };
}
