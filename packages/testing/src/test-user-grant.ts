import type { Provider, ProviderContext, ResourceServerInfo } from 'oidc-provider';
import { DEFAULT_TOKEN_SCOPE } from './fixtures.js';
import type { TestUser } from './fixtures.js';
import { loadOidcProvider } from './load-provider.js';

/**
 * The grant type of the local test IdP's token endpoint that issues an access token for a
 * test user without a browser (oidc-provider has no password grant). Parameters: `username`,
 * optional `scope`, and optional `resource`: with a resource the token is a JWT (`at+jwt`) for
 * that resource, without one it is opaque (usable at introspection and, with `openid`, at
 * userinfo). The client authenticates as at any token request.
 *
 * @example
 * ```ts
 * import { startIdp, TEST_USER_GRANT_TYPE } from '@restauth/testing';
 *
 * const idp = await startIdp();
 * const res = await fetch(idp.tokenEndpoint, {
 *   method: 'POST',
 *   headers: { authorization: `Basic ${btoa('restauth-test:restauth-test-secret')}` },
 *   body: new URLSearchParams({ grant_type: TEST_USER_GRANT_TYPE, username: 'bob' }),
 * });
 * const { access_token } = await res.json();
 * ```
 */
export const TEST_USER_GRANT_TYPE = 'urn:restauth:params:oauth:grant-type:test-user';

const GRANT_PARAMETERS = ['username', 'scope', 'resource'];

export interface TestUserGrantSettings {
  users: ReadonlyMap<string, TestUser>;
  resourceServerInfo(resource: string): ResourceServerInfo;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Registers {@link TEST_USER_GRANT_TYPE}, built on oidc-provider's own Grant and AccessToken models. */
export async function registerTestUserGrant(provider: Provider, settings: TestUserGrantSettings): Promise<void> {
  const { errors } = await loadOidcProvider();

  provider.registerGrantType(
    TEST_USER_GRANT_TYPE,
    async (ctx: ProviderContext) => {
      const { client, params } = ctx.oidc;
      const username = single(params.username);
      if (!username) throw new errors.CustomOIDCProviderError('invalid_request', 'missing required parameter "username"');
      if (!settings.users.has(username)) {
        throw new errors.CustomOIDCProviderError('invalid_grant', `unknown test user "${username}"`);
      }

      const resource = single(params.resource);
      if (resource !== undefined && !URL.canParse(resource)) {
        throw new errors.InvalidTarget('resource indicator must be an absolute URI');
      }
      const asked = single(params.scope) || (resource ? DEFAULT_TOKEN_SCOPE : `openid ${DEFAULT_TOKEN_SCOPE}`);
      const requested = [...new Set(asked.split(' ').filter(Boolean))];
      const allowed = new Set(client.scope?.split(' ') ?? []);
      for (const scope of requested) {
        if (!allowed.has(scope)) throw new errors.InvalidScope('requested scope is not allowed', scope);
      }

      const grant = new provider.Grant({ accountId: username, clientId: client.clientId });
      const token = new provider.AccessToken({ accountId: username, client, gty: TEST_USER_GRANT_TYPE });
      let scope = requested.join(' ');
      if (resource !== undefined) {
        // like oidc-provider's own grants: a resource's token carries only that resource's scopes
        token.resourceServer = new provider.ResourceServer(resource, settings.resourceServerInfo(resource));
        const served = token.resourceServer.scopes;
        scope = requested.filter((s) => served.has(s)).join(' ');
        if (scope) grant.addResourceScope(resource, scope);
      } else {
        grant.addOIDCScope(scope);
      }
      token.scope = scope || undefined;
      token.grantId = await grant.save();

      ctx.oidc.entity('Grant', grant);
      ctx.oidc.entity('AccessToken', token);
      const value = await token.save();
      ctx.body = {
        access_token: value,
        token_type: token.tokenType,
        expires_in: token.expiration,
        ...(token.scope ? { scope: token.scope } : {}),
      };
    },
    GRANT_PARAMETERS,
  );
}
