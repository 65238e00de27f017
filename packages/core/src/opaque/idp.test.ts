import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestAuth } from '../rest-auth.js';
import { bearer } from './test-server.test-helper.js';

// Against a real OpenID provider (oidc-provider, from @restauth/testing): RFC 7662 and userinfo
// exactly as a standards-following provider implements them.
let idp: TestIdp;
beforeAll(async () => { idp = await startIdp({ issuerPath: '/realms/demo' }); });
afterAll(() => idp?.close());

const introspection = (clientAuth: 'client_secret_basic' | 'client_secret_post') => ({
  name: 'idp-introspection', type: 'introspection' as const, introspectionEndpoint: idp.introspectionEndpoint,
  clientId: 'restauth-test', clientSecret: 'restauth-test-secret', clientAuth,
});

describe('with a real OpenID provider', () => {
  it.each(['client_secret_basic', 'client_secret_post'] as const)('introspection with %s accepts an opaque user token', async (clientAuth) => {
    const auth = createRestAuth({ providers: [introspection(clientAuth)] });
    const d = await auth.authenticate(bearer(await idp.opaqueUserToken('alice')));
    expect(d.allowed).toBe(true);
    expect(d.principal).toMatchObject({ username: 'alice', groups: ['users', 'admins'], clientId: 'restauth-test', tokenType: 'opaque', provider: 'idp-introspection' });
    expect(d.principal?.scopes).toEqual(expect.arrayContaining(['items:read', 'items:write']));
    expect(d.principal?.expiresAt?.getTime()).toBeGreaterThan(Date.now());
  });

  it('introspection refuses an unknown token and wrong client credentials', async () => {
    expect((await createRestAuth({ providers: [introspection('client_secret_basic')] }).authenticate(bearer('not-a-token-the-idp-issued'))).status).toBe(401);
    const wrong = createRestAuth({ providers: [{ ...introspection('client_secret_basic'), clientSecret: 'wrong' }] });
    expect((await wrong.authenticate(bearer(await idp.opaqueUserToken('bob')))).status).toBe(503);
  });

  it('userinfo accepts an opaque token with the openid scope', async () => {
    const auth = createRestAuth({ providers: [{ name: 'idp-userinfo', type: 'userinfo', userinfoEndpoint: idp.userinfoEndpoint }] });
    const d = await auth.authenticate(bearer(await idp.opaqueUserToken('carol')));
    expect(d.principal).toMatchObject({ username: 'carol', groups: ['users', 'auditors'], tokenType: 'opaque', provider: 'idp-userinfo' });
    expect((await auth.authenticate(bearer('bogus'))).status).toBe(401);
  });

  it('both providers together, through config alone', async () => {
    const auth = createRestAuth({ providers: [introspection('client_secret_basic'), { name: 'ui', preset: 'custom', type: 'userinfo', userinfoEndpoint: idp.userinfoEndpoint }] });
    const d = await auth.authenticate(bearer(await idp.opaqueUserToken('eve')));
    expect(d.principal).toMatchObject({ username: 'eve', provider: 'idp-introspection' });
  });
});
