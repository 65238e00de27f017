import { randomBytes } from 'node:crypto';
import type { Provider, ResourceServerInfo, TokenWithAccount } from 'oidc-provider';
import { audienceOf, resourceIndicatorFor } from './audience.js';
import { TEST_CLIENTS, TEST_SCOPES, type TestUser } from './fixtures.js';
import type { SigningKey } from './keys.js';
import { loadOidcProvider } from './load-provider.js';
import type { MemoryStore } from './memory-store.js';
import type { IdpSettings } from './options.js';
import { INTERACTION_PATH } from './login-page.js';
import { registerTestUserGrant, TEST_USER_GRANT_TYPE } from './test-user-grant.js';

/** Where oidc-provider serves each endpoint, below the issuer. */
export const ROUTES = {
  jwks: '/jwks',
  token: '/token',
  introspection: '/token/introspection',
  revocation: '/token/revocation',
  userinfo: '/me',
} as const;

/** Scopes a resource server (JWT access tokens) accepts; the OIDC ones are for userinfo only. */
const RESOURCE_SCOPES = TEST_SCOPES.filter((s) => !['openid', 'profile', 'email'].includes(s)).join(' ');

export interface ProviderSetup {
  settings: IdpSettings;
  issuer: string;
  /** current key first */
  keys: readonly SigningKey[];
  store: MemoryStore;
}

function userClaims(user: TestUser): Record<string, unknown> {
  return {
    sub: user.username,
    preferred_username: user.username,
    email: user.email,
    email_verified: true,
    groups: [...user.groups],
    ...(user.name === undefined ? {} : { name: user.name }),
  };
}

/** Builds the oidc-provider instance of a test IdP (again after each key rotation). */
export async function createProvider({ settings, issuer, keys, store }: ProviderSetup): Promise<Provider> {
  const { Provider } = await loadOidcProvider();
  const { users, audience, accessTokenTtlSec } = settings;
  const currentKid = keys[0]?.kid;

  const resourceServerInfo = (resource: string): ResourceServerInfo => ({
    audience: audienceOf(resource),
    scope: RESOURCE_SCOPES,
    accessTokenTTL: accessTokenTtlSec,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256', ...(currentKid === undefined ? {} : { kid: currentKid }) } },
  });

  const provider = new Provider(issuer, {
    adapter: store.adapterFactory,
    jwks: { keys: keys.map((key) => key.privateJwk) },
    clients: Object.values(TEST_CLIENTS).map((client): Record<string, unknown> => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      grant_types: ['client_credentials', TEST_USER_GRANT_TYPE],
      response_types: [],
      redirect_uris: [],
      scope: client.scopes.join(' '),
      token_endpoint_auth_method: 'client_secret_basic', // client_secret_post is accepted too
    })).concat(settings.loginClients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      // native: a loopback redirect URI matches whatever port the app listens on (RFC 8252 §7.3)
      application_type: 'native',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
      scope: TEST_SCOPES.join(' '),
      token_endpoint_auth_method: 'client_secret_basic',
    }))),
    scopes: [...TEST_SCOPES],
    // with only `openid`, userinfo still answers everything a restauth principal needs
    claims: {
      openid: ['sub', 'preferred_username', 'email', 'groups'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    async findAccount(_ctx: unknown, id: string) {
      const user = users.get(id);
      if (user === undefined) return undefined;
      return { accountId: id, claims: () => userClaims(user) };
    },
    async extraTokenClaims(_ctx: unknown, token: TokenWithAccount) {
      const user = token.accountId === undefined ? undefined : users.get(token.accountId);
      if (user === undefined) return undefined;
      const { sub: _sub, email_verified: _verified, ...claims } = userClaims(user);
      // RFC 7662 names the username `username`; only opaque tokens are introspected
      return token.resourceServer === undefined ? { ...claims, username: user.username } : claims;
    },
    routes: ROUTES,
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${settings.issuerPath}${INTERACTION_PATH}/${interaction.uid}` },
    ttl: {
      AccessToken: accessTokenTtlSec,
      ClientCredentials: accessTokenTtlSec,
      Grant: accessTokenTtlSec + 60,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: { enabled: true, allowedPolicy: async () => true },
      userinfo: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => resourceIndicatorFor(audience),
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => resourceServerInfo(resource),
      },
    },
    clientBasedCORS: () => false,
    // ID tokens of login clients carry the scope's claims (groups...), as Keycloak's do.
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
  });

  await registerTestUserGrant(provider, { users, resourceServerInfo });
  return provider;
}
