import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resourceIndicatorFor } from './audience.js';
import { certificateThumbprint, type DpopClient } from './dpop-client.js';
import { DEFAULT_TOKEN_SCOPE, type TestUser } from './fixtures.js';
import { JwksGate, type JwksMode } from './jwks-gate.js';
import { withLoginPage } from './login-page.js';
import { fixedSigningKey, generateSigningKey, type SigningKey } from './keys.js';
import { MemoryStore } from './memory-store.js';
import { normalizeOptions, type IdpSettings, type StartIdpOptions } from './options.js';
import { createProvider, ROUTES } from './provider.js';
import { signCompactJwt } from './sign-jwt.js';
import { TEST_USER_GRANT_TYPE } from './test-user-grant.js';
import { findTestClient, requestAccessToken } from './token-request.js';

/**
 * A running local OpenID provider (oidc-provider) with the fixed test users and clients.
 * Every token comes from its real token endpoint over HTTP.
 *
 * @example
 * ```ts
 * import { startIdp, type TestIdp } from '@restauth/testing';
 *
 * let idp: TestIdp;
 * beforeAll(async () => { idp = await startIdp(); });
 * afterAll(() => idp.close());
 *
 * it('lets alice in', async () => {
 *   const token = await idp.userToken('alice');
 *   // send `authorization: Bearer ${token}` to the app under test
 * });
 * ```
 */
export interface TestIdp {
  /** the issuer identifier, e.g. `http://127.0.0.1:54321/realms/demo` */
  readonly issuer: string;
  /** URL of the JWK set */
  readonly jwksUri: string;
  /** URL of the OpenID discovery document (`<issuer>/.well-known/openid-configuration`) */
  readonly discoveryUrl: string;
  readonly tokenEndpoint: string;
  /** RFC 7662 introspection, for client `restauth-test` (client_secret_basic or client_secret_post) */
  readonly introspectionEndpoint: string;
  readonly userinfoEndpoint: string;
  readonly port: number;
  /**
   * A JWT access token (`typ: at+jwt`) for a user, from the token endpoint over HTTP; carries
   * `sub`, `preferred_username`, `email`, `groups`. Defaults: scope `items:read items:write`,
   * the IdP's audience, client `restauth-test`.
   */
  userToken(username: string, opts?: { scope?: string; audience?: string; clientId?: string }): Promise<string>;
  /**
   * A client-credentials JWT access token (`typ: at+jwt`, `sub` = `client_id` = the client), over
   * HTTP. With `dpop`, the token request carries a proof of that client's key and the IdP
   * (oidc-provider's DPoP feature) binds the token to it: `cnf.jkt` (RFC 9449).
   */
  clientToken(clientId: string, opts?: { scope?: string; audience?: string; dpop?: DpopClient }): Promise<string>;
  /**
   * A JWT access token for a user bound to a client certificate (RFC 8705: `cnf["x5t#S256"]`
   * of `certificatePem`), signed with the IdP's current key; claims as {@link TestIdp.userToken}'s.
   */
  certificateBoundToken(username: string, certificatePem: string, opts?: { scope?: string; audience?: string }): Promise<string>;
  /**
   * An opaque access token for a user (client `restauth-test`), accepted by the introspection
   * endpoint and, while its scope includes `openid`, by userinfo. Default scope
   * `openid items:read items:write`.
   */
  opaqueUserToken(username: string, opts?: { scope?: string }): Promise<string>;
  /**
   * Signs exactly this payload with the IdP's current key, for negative tests. Header
   * defaults: `alg: 'RS256'`, `kid` = the current kid, `typ: 'at+jwt'`; a header member set
   * to `undefined` is left out. `alg` may be RS256/384/512, PS256/384/512, `none`, or
   * HS256/384/512 keyed with {@link TestIdp.publicKeyPem} (a key-confusion forgery).
   */
  signJwt(payload: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  /** PEM (SPKI) of the current signing key's public key */
  readonly publicKeyPem: string;
  /** a self-signed X.509 certificate (PEM) for the initial signing key, which never changes */
  readonly certificatePem: string;
  /** kid of the current signing key */
  readonly kid: string;
  /** Adds a fresh signing key and makes it current; older keys stay in the JWKS. Returns the new kid. */
  rotateKey(): Promise<string>;
  /** Makes the JWKS endpoint answer normally, fail (500), send junk (200, not JSON) or answer late. */
  setJwksMode(mode: JwksMode): void;
  /** how many requests reached the JWKS endpoint, whatever the mode */
  readonly jwksFetchCount: number;
  /** Stops the server and drops its open connections. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: 'invalid_request', error_description: 'unrecognized route' }));
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

class LocalIdp implements TestIdp {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly discoveryUrl: string;
  readonly tokenEndpoint: string;
  readonly introspectionEndpoint: string;
  readonly userinfoEndpoint: string;
  readonly port: number;
  readonly certificatePem: string;

  readonly #settings: IdpSettings;
  readonly #server: ReturnType<typeof createServer>;
  readonly #gate = new JwksGate();
  readonly #store = new MemoryStore();
  readonly #keys: SigningKey[] = [fixedSigningKey()];
  #handler: Handler = (_req, res) => notFound(res);
  #closed: Promise<void> | undefined;
  #rotation: Promise<unknown> = Promise.resolve();

  constructor(settings: IdpSettings, server: ReturnType<typeof createServer>, port: number) {
    this.#settings = settings;
    this.#server = server;
    this.port = port;
    this.issuer = `http://${urlHost(settings.host)}:${port}${settings.issuerPath}`;
    this.jwksUri = `${this.issuer}${ROUTES.jwks}`;
    this.discoveryUrl = `${this.issuer}/.well-known/openid-configuration`;
    this.tokenEndpoint = `${this.issuer}${ROUTES.token}`;
    this.introspectionEndpoint = `${this.issuer}${ROUTES.introspection}`;
    this.userinfoEndpoint = `${this.issuer}${ROUTES.userinfo}`;
    this.certificatePem = this.#currentKey.certificatePem ?? '';
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#route(req, res));
  }

  get #currentKey(): SigningKey {
    const key = this.#keys[0];
    if (key === undefined) throw new Error('test IdP has no signing key');
    return key;
  }

  get publicKeyPem(): string {
    return this.#currentKey.publicKeyPem;
  }

  get kid(): string {
    return this.#currentKey.kid;
  }

  get jwksFetchCount(): number {
    return this.#gate.fetchCount;
  }

  /** (Re)builds the oidc-provider behind the server with the current keys. */
  async load(): Promise<void> {
    const provider = await createProvider({
      settings: this.#settings,
      issuer: this.issuer,
      keys: [...this.#keys],
      store: this.#store,
    });
    this.#handler = withLoginPage(provider, this.#settings);
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const { issuerPath } = this.#settings;
    const url = req.url ?? '/';
    const pathname = url.split('?', 1)[0] ?? '/';
    if (pathname !== issuerPath && !pathname.startsWith(`${issuerPath}/`)) {
      notFound(res);
      return;
    }
    // mounted below the issuer path, as oidc-provider's docs do it for connect/express
    const inner = url.slice(issuerPath.length) || '/';
    const pass = (): void => {
      Object.assign(req, { originalUrl: url, url: inner });
      this.#handler(req, res);
    };
    if (pathname === `${issuerPath}${ROUTES.jwks}`) this.#gate.handle(res, pass);
    else pass();
  }

  async userToken(username: string, opts: { scope?: string; audience?: string; clientId?: string } = {}): Promise<string> {
    this.#assertUser(username);
    return requestAccessToken(this.tokenEndpoint, findTestClient(opts.clientId ?? 'restauth-test'), {
      grant_type: TEST_USER_GRANT_TYPE,
      username,
      resource: resourceIndicatorFor(opts.audience ?? this.#settings.audience),
      scope: opts.scope,
    });
  }

  async clientToken(clientId: string, opts: { scope?: string; audience?: string; dpop?: DpopClient } = {}): Promise<string> {
    const client = findTestClient(clientId);
    const dpop = opts.dpop ? { dpop: await opts.dpop.proof({ method: 'POST', url: this.tokenEndpoint }) } : undefined;
    return requestAccessToken(this.tokenEndpoint, client, {
      grant_type: 'client_credentials',
      resource: resourceIndicatorFor(opts.audience ?? this.#settings.audience),
      scope: opts.scope ?? DEFAULT_TOKEN_SCOPE,
    }, dpop);
  }

  async certificateBoundToken(username: string, certificatePem: string, opts: { scope?: string; audience?: string } = {}): Promise<string> {
    this.#assertUser(username);
    const user = this.#settings.users.get(username) as TestUser;
    const now = Math.floor(Date.now() / 1000);
    return this.signJwt({
      iss: this.issuer, aud: opts.audience ?? this.#settings.audience, sub: username, preferred_username: username, groups: user.groups,
      client_id: 'restauth-test', scope: opts.scope ?? DEFAULT_TOKEN_SCOPE, iat: now, exp: now + 600,
      cnf: { 'x5t#S256': certificateThumbprint(certificatePem) },
    });
  }

  async opaqueUserToken(username: string, opts: { scope?: string } = {}): Promise<string> {
    this.#assertUser(username);
    return requestAccessToken(this.tokenEndpoint, findTestClient('restauth-test'), {
      grant_type: TEST_USER_GRANT_TYPE,
      username,
      scope: opts.scope,
    });
  }

  async signJwt(payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
    const key = this.#currentKey;
    return signCompactJwt(payload, { alg: 'RS256', kid: key.kid, typ: 'at+jwt', ...header }, key);
  }

  rotateKey(): Promise<string> {
    // one rotation at a time, so a slower rebuild never replaces a newer one
    const rotation = this.#rotation.then(async () => {
      this.#keys.unshift(await generateSigningKey());
      await this.load();
      return this.kid;
    });
    this.#rotation = rotation.catch(() => undefined);
    return rotation;
  }

  setJwksMode(mode: JwksMode): void {
    this.#gate.setMode(mode);
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve, reject) => {
      this.#gate.close();
      this.#server.close((err) => (err ? reject(err) : resolve()));
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  #assertUser(username: string): void {
    if (!this.#settings.users.has(username)) {
      throw new Error(`unknown test user "${username}" (known: ${[...this.#settings.users.keys()].join(', ')})`);
    }
  }
}

function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts a local OpenID provider (oidc-provider) on a free port of 127.0.0.1 with the fixed
 * {@link TEST_USERS} and {@link TEST_CLIENTS}. Close it when done.
 *
 * @example
 * ```ts
 * import { startIdp } from '@restauth/testing';
 * import { createRemoteJWKSet, jwtVerify } from 'jose';
 *
 * const idp = await startIdp({ issuerPath: '/realms/demo' });
 * const token = await idp.userToken('alice', { scope: 'items:read admin' });
 * const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), {
 *   issuer: idp.issuer,
 *   audience: 'api',
 * });
 * payload.groups; // ['users', 'admins']
 * await idp.close();
 * ```
 */
export async function startIdp(options?: StartIdpOptions): Promise<TestIdp> {
  const settings = normalizeOptions(options);
  const server = createServer();
  const port = await listen(server, settings.port, settings.host);
  const idp = new LocalIdp(settings, server, port);
  try {
    await idp.load();
  } catch (error) {
    await idp.close();
    throw error;
  }
  return idp;
}
