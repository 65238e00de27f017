import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { configJsonSchema, validateConfig } from './load.js';
import { PRESETS } from './presets.js';

const one = (p: Record<string, unknown>, env: Record<string, string> = {}) => validateConfig({ providers: [p] }, { env }).providers[0];
function issuesOf(p: Record<string, unknown>): { path: string; message: string }[] {
  try {
    validateConfig({ providers: [p] }, { env: {} });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}
const TENANT = '72F988BF-86F1-41AF-91AB-2D7CD011DB47';

describe('presets expand to plain providers', () => {
  it('keycloak: JWT by default', () => {
    expect(one({ name: 'kc', preset: 'keycloak', baseUrl: 'https://sso.example.com/', realm: 'demo', audience: 'api' })).toEqual({
      name: 'kc', type: 'jwt', issuer: 'https://sso.example.com/realms/demo', audience: ['api'],
      jwksUri: 'https://sso.example.com/realms/demo/protocol/openid-connect/certs',
      algorithms: expect.arrayContaining(['RS256']), usernameClaim: 'preferred_username', groupsClaim: 'groups',
      clockToleranceSec: 30, jwksCacheTtlSec: 600, jwksCooldownSec: 30, timeoutMs: 5000, dpop: 'allowed', certificateBound: 'allowed',
    });
  });

  it('keycloak: introspection', () => {
    expect(one({ name: 'kc', preset: 'keycloak', type: 'introspection', baseUrl: 'https://sso.example.com', realm: 'demo', clientId: 'api', clientSecret: { env: 'KC' } }, { KC: 's3cret' })).toEqual({
      name: 'kc', type: 'introspection', introspectionEndpoint: 'https://sso.example.com/realms/demo/protocol/openid-connect/token/introspect',
      clientId: 'api', clientSecret: 's3cret', clientAuth: 'client_secret_basic', usernameClaim: 'username', groupsClaim: 'groups', cacheTtlSec: 60, timeoutMs: 5000, dpop: 'allowed', certificateBound: 'allowed',
    });
  });

  it('keycloak: a key the chosen mode does not use is reported at its path', () => {
    expect(issuesOf({ name: 'kc', preset: 'keycloak', baseUrl: 'https://sso.example.com', realm: 'demo', audience: 'api', clientSecret: 'x' })).toContainEqual({ path: 'providers[0].clientSecret', message: expect.stringMatching(/^unknown key/) });
    expect(issuesOf({ name: 'kc', preset: 'keycloak', baseUrl: 'https://sso.example.com', realm: 'demo' })).toEqual([{ path: 'providers[0].audience', message: 'is required' }]);
    expect(issuesOf({ name: 'kc', preset: 'keycloak', type: 'introspection', baseUrl: 'https://sso.example.com', realm: 'demo', clientId: 'api' })).toEqual([{ path: 'providers[0].clientSecret', message: 'is required with clientAuth "client_secret_basic"' }]);
  });

  it('azure-ad v2 (default)', () => {
    expect(one({ name: 'entra', preset: 'azure-ad', tenant: TENANT, audience: 'c0ffee00-0000-0000-0000-000000000001' })).toMatchObject({
      type: 'jwt', issuer: `https://login.microsoftonline.com/${TENANT.toLowerCase()}/v2.0`,
      jwksUri: `https://login.microsoftonline.com/${TENANT.toLowerCase()}/discovery/v2.0/keys`,
      usernameClaim: 'preferred_username', groupsClaim: 'roles', clientIdClaim: 'azp',
    });
  });

  it('azure-ad v1: sts.windows.net issuer, upn and appid', () => {
    expect(one({ name: 'entra', preset: 'azure-ad', tenant: TENANT, version: 1, audience: 'api://orders' })).toMatchObject({
      issuer: `https://sts.windows.net/${TENANT.toLowerCase()}/`, usernameClaim: 'upn', clientIdClaim: 'appid', groupsClaim: 'roles',
    });
  });

  it('azure-ad: base URLs and claim defaults can be overridden', () => {
    expect(one({ name: 'e', preset: 'azure-ad', tenant: TENANT, audience: 'a', baseUrl: 'http://127.0.0.1:9/', groupsClaim: 'groups' })).toMatchObject({
      issuer: `http://127.0.0.1:9/${TENANT.toLowerCase()}/v2.0`, groupsClaim: 'groups',
    });
    expect(one({ name: 'e', preset: 'azure-ad', tenant: TENANT, version: 1, audience: 'a', stsBaseUrl: 'https://sts.chinacloudapi.cn', baseUrl: 'https://login.chinacloudapi.cn' })).toMatchObject({
      issuer: `https://sts.chinacloudapi.cn/${TENANT.toLowerCase()}/`, jwksUri: `https://login.chinacloudapi.cn/${TENANT.toLowerCase()}/discovery/v2.0/keys`,
    });
  });

  it('azure-ad refuses multi-tenant endpoints and a version other than 1 or 2', () => {
    for (const tenant of ['common', 'organizations', 'consumers', 'contoso.onmicrosoft.com']) {
      expect(issuesOf({ name: 'e', preset: 'azure-ad', tenant, audience: 'a' })[0]).toMatchObject({ path: 'providers[0].tenant', message: expect.stringMatching(/GUID/) });
    }
    expect(issuesOf({ name: 'e', preset: 'azure-ad', tenant: TENANT, audience: 'a', version: 3 })[0]?.path).toBe('providers[0].version');
  });

  it('azure-b2c: tenant-ID issuer, policy keys', () => {
    expect(one({ name: 'b2c', preset: 'azure-b2c', tenant: 'contoso', tenantId: TENANT, policy: 'B2C_1_SignUpSignIn', audience: 'app-id' })).toMatchObject({
      type: 'jwt', issuer: `https://contoso.b2clogin.com/${TENANT.toLowerCase()}/v2.0/`,
      jwksUri: 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/b2c_1_signupsignin/discovery/v2.0/keys',
      audience: ['app-id'], usernameClaim: 'name',
    });
    expect(one({ name: 'b2c', preset: 'azure-b2c', tenant: 'contoso', tenantId: TENANT, policy: 'p', audience: 'a', issuer: 'https://login.contoso.com/tfp/x/p/v2.0/', baseUrl: 'https://login.contoso.com' })).toMatchObject({
      issuer: 'https://login.contoso.com/tfp/x/p/v2.0/', jwksUri: 'https://login.contoso.com/contoso.onmicrosoft.com/p/discovery/v2.0/keys',
    });
  });

  it('okta: default authorization server and audience, cid as client', () => {
    expect(one({ name: 'okta', preset: 'okta', domain: 'dev-123.okta.com' })).toMatchObject({
      type: 'jwt', issuer: 'https://dev-123.okta.com/oauth2/default', jwksUri: 'https://dev-123.okta.com/oauth2/default/v1/keys',
      audience: ['api://default'], usernameClaim: 'sub', clientIdClaim: 'cid',
    });
    expect(one({ name: 'okta', preset: 'okta', domain: 'dev-123.okta.com', authorizationServer: 'aus1', audience: 'orders' })).toMatchObject({ issuer: 'https://dev-123.okta.com/oauth2/aus1', audience: ['orders'] });
    expect(issuesOf({ name: 'okta', preset: 'okta', domain: 'dev-123.okta.com', authorizationServer: 'aus1' })).toEqual([{ path: 'providers[0].audience', message: 'is required' }]);
    expect(issuesOf({ name: 'okta', preset: 'okta' })).toEqual([{ path: 'providers[0].domain', message: 'is required (or give baseUrl)' }]);
    expect(issuesOf({ name: 'okta', preset: 'okta', domain: 'https://dev-123.okta.com' })[0]?.path).toBe('providers[0].domain');
  });

  it('okta: introspection', () => {
    expect(one({ name: 'okta', preset: 'okta', type: 'introspection', baseUrl: 'http://127.0.0.1:9', clientId: 'api', clientSecret: 's', clientAuth: 'client_secret_post' })).toMatchObject({
      type: 'introspection', introspectionEndpoint: 'http://127.0.0.1:9/oauth2/default/v1/introspect', clientAuth: 'client_secret_post',
    });
  });

  it('cognito: issuer from the pool, client_id pinned in place of aud', () => {
    expect(one({ name: 'cog', preset: 'cognito', userPoolId: 'eu-west-1_AbC123', clientId: '1example23456789' })).toMatchObject({
      type: 'jwt', issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
      jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json',
      audience: ['1example23456789'], audienceClaim: 'client_id',
      usernameClaim: 'username', groupsClaim: 'cognito:groups', clientIdClaim: 'client_id',
    });
    expect(issuesOf({ name: 'cog', preset: 'cognito', userPoolId: 'eu-west-1_AbC123', region: 'us-east-1', clientId: 'x' })).toEqual([{ path: 'providers[0].region', message: 'does not match the user pool ID (eu-west-1)' }]);
    expect(issuesOf({ name: 'cog', preset: 'cognito', userPoolId: 'AbC123', clientId: 'x' })[0]?.path).toBe('providers[0].userPoolId');
    expect(issuesOf({ name: 'cog', preset: 'cognito', userPoolId: 'eu-west-1_AbC123' })).toEqual([{ path: 'providers[0].clientId', message: 'is required' }]);
  });

  it('google: ID tokens for your client ID, keys by discovery', () => {
    expect(one({ name: 'g', preset: 'google', clientId: '123.apps.googleusercontent.com' })).toMatchObject({
      type: 'jwt', issuer: 'https://accounts.google.com', discovery: true, audience: ['123.apps.googleusercontent.com'], usernameClaim: 'email', algorithms: ['RS256'],
    });
  });

  it.each([
    ['github', {}, 'https://api.github.com/user', 'login'],
    ['github', { baseUrl: 'https://ghe.example.com/api/v3/' }, 'https://ghe.example.com/api/v3/user', 'login'],
    ['gitlab', {}, 'https://gitlab.com/oauth/userinfo', 'nickname'],
    ['gitlab', { baseUrl: 'https://git.example.com' }, 'https://git.example.com/oauth/userinfo', 'nickname'],
    ['slack', {}, 'https://slack.com/api/openid.connect.userInfo', 'email'],
    ['facebook', {}, 'https://graph.facebook.com/me?fields=id,name,email', 'email'],
    ['facebook', { apiVersion: 'v19.0' }, 'https://graph.facebook.com/v19.0/me?fields=id,name,email', 'email'],
  ])('%s %j: userinfo at the provider\'s endpoint', (preset, extra, endpoint, usernameClaim) => {
    expect(one({ name: 'p', preset, ...extra })).toMatchObject({ type: 'userinfo', userinfoEndpoint: endpoint, usernameClaim, cacheTtlSec: 60 });
  });

  it('userinfo presets take claim, cache and timeout keys; other keys are mistakes', () => {
    expect(one({ name: 'gh', preset: 'github', usernameClaim: 'email', cacheTtlSec: 300, timeoutMs: 2000 })).toMatchObject({ usernameClaim: 'email', cacheTtlSec: 300, timeoutMs: 2000 });
    expect(issuesOf({ name: 'gh', preset: 'github', clientSecret: 'x' })).toEqual([{ path: 'providers[0].clientSecret', message: 'unknown key' }]);
    expect(issuesOf({ name: 'gh', preset: 'github', baseUrl: 'ftp://x' })[0]?.path).toBe('providers[0].baseUrl');
  });

  it('custom: any type with its own keys, validated exactly as that type', () => {
    expect(one({ name: 'c', preset: 'custom', type: 'userinfo', userinfoEndpoint: 'https://idp/me' })).toEqual({
      name: 'c', type: 'userinfo', userinfoEndpoint: 'https://idp/me', usernameClaim: 'preferred_username', groupsClaim: 'groups', cacheTtlSec: 60, timeoutMs: 5000,
    });
    expect(one({ name: 'c', preset: 'custom', type: 'jwt', issuer: 'https://idp', audience: 'api', discovery: true })).toMatchObject({ type: 'jwt', audience: ['api'] });
    expect(issuesOf({ name: 'c', preset: 'custom', userinfoEndpoint: 'https://idp/me' })).toEqual([{ path: 'providers[0].type', message: 'is required with preset "custom" (one of "jwt", "introspection", "userinfo")' }]);
    expect(issuesOf({ name: 'c', preset: 'custom', type: 'userinfo', userinfoEndpoint: 'https://idp/me', issuer: 'x' })).toContainEqual({ path: 'providers[0].issuer', message: 'unknown key' });
  });

  it('an unknown preset lists every preset', () => {
    expect(issuesOf({ name: 'x', preset: 'auth0' })[0]?.message).toMatch(/"keycloak", "azure-ad", "azure-b2c", "okta", "cognito", "google", "github", "gitlab", "slack", "facebook", "custom"/);
  });

  it('preset names and issuers stay unique after expansion', () => {
    const issues = (() => { try { validateConfig({ providers: [{ name: 'a', preset: 'google', clientId: 'x' }, { name: 'b', preset: 'google', clientId: 'y' }] }); } catch (e) { return (e as ConfigError).issues; } return []; })();
    expect(issues).toEqual([{ path: 'providers[1].issuer', message: expect.stringMatching(/must be unique/) }]);
  });

  it('a resolved config with presets validates to itself', () => {
    const once = validateConfig({ providers: [{ name: 'gh', preset: 'github' }, { name: 'kc', preset: 'keycloak', baseUrl: 'https://sso', realm: 'r', audience: 'api' }] });
    expect(validateConfig(once)).toEqual(once);
  });

  it('every preset, custom included, is in the JSON Schema, and has a docs page', async () => {
    const { existsSync } = await import('node:fs');
    const schema = JSON.stringify(configJsonSchema());
    for (const name of [...Object.keys(PRESETS), 'custom']) {
      expect(schema).toContain(`{"const":"${name}"}`);
      expect(existsSync(new URL(`../../../../docs/providers/${name}.md`, import.meta.url)), `docs/providers/${name}.md`).toBe(true);
    }
  });
});

describe('introspection provider keys', () => {
  const base = { name: 'i', type: 'introspection', introspectionEndpoint: 'https://idp/introspect', clientId: 'rs' };
  it('client_secret_* need clientSecret; private_key_jwt needs privateKey and no clientSecret', () => {
    expect(issuesOf(base)).toEqual([{ path: 'providers[0].clientSecret', message: 'is required with clientAuth "client_secret_basic"' }]);
    expect(issuesOf({ ...base, clientAuth: 'private_key_jwt' })).toEqual([{ path: 'providers[0].privateKey', message: 'is required with clientAuth "private_key_jwt"' }]);
    expect(issuesOf({ ...base, clientAuth: 'private_key_jwt', privateKey: 'k', clientSecret: 's' })).toEqual([{ path: 'providers[0].clientSecret', message: 'is not used with clientAuth "private_key_jwt"; remove it' }]);
    expect(issuesOf({ ...base, clientSecret: 's', keyId: 'k' })).toEqual([{ path: 'providers[0].keyId', message: 'is only used with clientAuth "private_key_jwt"' }]);
  });
  it('audience becomes a list', () => {
    expect(one({ ...base, clientSecret: 's', audience: 'api' })).toMatchObject({ audience: ['api'] });
  });
});
