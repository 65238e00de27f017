/**
 * Provider presets: a few keys a provider's own documentation talks about (a realm, a tenant, a
 * user pool) expanded into a plain `jwt`, `introspection` or `userinfo` provider, which is then
 * validated like one written by hand. Every preset takes `baseUrl` (or the preset's equivalent)
 * so tests and private deployments can point it elsewhere. One page per preset in
 * docs/providers/.
 */
import { CLIENT_ASSERTION_ALGORITHMS } from '../opaque/client-assertion.js';
import { arr, byType, join, num, optional, required, secret, str, url, withDefault, type Prop, type ValidationContext } from './schema-dsl.js';

/**
 * A provider preset: the keys it takes (validated, and described in the JSON Schema), how it
 * expands to a plain provider entry, and an optional check across its keys.
 *
 * @example
 * const preset = PRESETS['github']!;
 * preset.expand({ name: 'gh', preset: 'github' }); // { name: 'gh', type: 'userinfo', userinfoEndpoint: 'https://api.github.com/user', usernameClaim: 'login' }
 */
export interface ProviderPreset {
  /** One line for editors and `restauth config check`. */
  readonly description: string;
  readonly props: Readonly<Record<string, Prop>>;
  /**
   * The plain provider. Keys the preset does not consume pass through unchanged, so a key the
   * resulting type does not know is reported at its own path.
   */
  expand(input: Record<string, unknown>): Record<string, unknown>;
  refine?(input: Record<string, unknown>, path: string, ctx: ValidationContext): void;
}

const trimSlash = (s: string) => s.replace(/\/+$/, '');
const enc = encodeURIComponent;

/** Only the keys that were given; expanded entries get the type's defaults afterwards. */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** `input` without the preset's own keys: what passes through to the plain provider. */
function rest(input: Record<string, unknown>, own: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([k]) => k !== 'preset' && !own.includes(k)));
}

/** Preset defaults first, then the keys the user wrote (which win), then what the preset computed. */
function provider(defaults: Record<string, unknown>, given: Record<string, unknown>, computed: Record<string, unknown>): Record<string, unknown> {
  return defined({ ...defaults, ...given, ...computed });
}

/** The values of a provider's `dpop` and `certificateBound` keys. */
export const BINDING_MODES = ['off', 'allowed', 'required'] as const;

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const strings = (description: string) => byType({ string: str({ minLength: 1 }), array: arr(str({ minLength: 1 }), { minItems: 1 }) }, { description });
const baseUrl = (fallback: string) => optional(url({ description: `Base URL; default ${fallback}. Override for private deployments and tests.` }));

const claimKeys = {
  usernameClaim: optional(str({ minLength: 1, description: 'Claim or member holding the username (dotted path allowed).' })),
  groupsClaim: optional(str({ minLength: 1, description: 'Claim or member holding the groups (dotted path allowed).' })),
  clientIdClaim: optional(str({ minLength: 1, description: 'Claim naming the OAuth client.' })),
  scopeClaim: optional(str({ minLength: 1, description: 'Claim holding the scopes.' })),
  dpop: optional(str({ enum: BINDING_MODES, description: 'DPoP-bound tokens (RFC 9449): off, allowed (default) or required.' })),
  certificateBound: optional(str({ enum: BINDING_MODES, description: 'Certificate-bound tokens (RFC 8705): off, allowed (default) or required.' })),
};
const timeoutMs = optional(num({ integer: true, min: 100, max: 60000, description: 'Timeout of one outbound call, ms.' }));
const jwtKeys = {
  ...claimKeys,
  clockToleranceSec: optional(num({ integer: true, min: 0, max: 300, description: 'Allowed clock skew, seconds.' })),
  requireTyp: optional(str({ minLength: 1, description: 'Required typ header, e.g. at+jwt.' })),
  jwksCacheTtlSec: optional(num({ integer: true, min: 1, max: 86400 })),
  jwksCooldownSec: optional(num({ integer: true, min: 0, max: 3600 })),
  timeoutMs,
};
const opaqueKeys = {
  ...claimKeys,
  cacheTtlSec: optional(num({ integer: true, min: 0, max: 86400, description: 'Cache lifetime of a provider answer, seconds.' })),
  timeoutMs,
};
const introspectionKeys = {
  clientId: optional(str({ minLength: 1, description: 'introspection: the client restauth authenticates as.' })),
  clientSecret: optional(secret({ description: 'introspection: client secret.' })),
  clientAuth: optional(str({ enum: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] })),
  privateKey: optional(secret({ description: 'introspection with private_key_jwt: PEM private key.' })),
  keyId: optional(str({ minLength: 1 })),
  assertionAlgorithm: optional(str({ enum: CLIENT_ASSERTION_ALGORITHMS })),
  assertionAudience: optional(str({ minLength: 1 })),
  cacheTtlSec: opaqueKeys.cacheTtlSec,
};
const modeKey = withDefault(str({ enum: ['jwt', 'introspection'], description: 'jwt: verify JWT access tokens locally; introspection: ask the provider (opaque tokens, revocation).' }), 'jwt');

/** Keys a given mode does not use pass through and are reported by the plain provider's schema. */
function byMode(input: Record<string, unknown>, own: readonly string[], issuer: string, jwt: Record<string, unknown>, introspection: Record<string, unknown>): Record<string, unknown> {
  const given = rest(input, [...own, 'type']);
  if (input['type'] === 'introspection') {
    return provider(introspection, given, { name: input['name'], type: 'introspection', introspectionEndpoint: introspection['introspectionEndpoint'] });
  }
  return provider(jwt, given, { name: input['name'], type: 'jwt', issuer, jwksUri: jwt['jwksUri'] });
}

/**
 * The built-in presets, by name. `custom` (any type, your own endpoints) is handled by the
 * schema itself (see {@link CUSTOM_PRESET}).
 *
 * @example
 * PRESETS['okta']!.expand({ name: 'okta', preset: 'okta', domain: 'dev-1.okta.com', authorizationServer: 'default', type: 'jwt' })
 * // { name: 'okta', type: 'jwt', issuer: 'https://dev-1.okta.com/oauth2/default', jwksUri: '.../v1/keys', audience: 'api://default', ... }
 */
export const PRESETS: Readonly<Record<string, ProviderPreset>> = {
  keycloak: {
    description: 'Keycloak realm: JWT access tokens (default) or introspection. docs/providers/keycloak.md',
    props: {
      baseUrl: required(url({ description: 'Keycloak base URL, e.g. https://sso.example.com (add /auth for Keycloak before 17).' })),
      realm: required(str({ minLength: 1 })),
      type: modeKey,
      audience: optional(strings('Expected aud of access tokens (required for jwt; optional check for introspection).')),
      ...jwtKeys,
      ...introspectionKeys,
    },
    expand: (p) => {
      const issuer = `${trimSlash(p['baseUrl'] as string)}/realms/${enc(p['realm'] as string)}`;
      return byMode(p, ['baseUrl', 'realm'], issuer,
        { jwksUri: `${issuer}/protocol/openid-connect/certs` },
        { introspectionEndpoint: `${issuer}/protocol/openid-connect/token/introspect` });
    },
  },

  'azure-ad': {
    description: 'Microsoft Entra ID (Azure AD) single tenant, v2 (default) or v1 access tokens. docs/providers/azure-ad.md',
    props: {
      tenant: required(str({ pattern: GUID, patternHint: 'must be the directory (tenant) ID, a GUID: tokens name it in iss, so "common", "organizations" or a domain cannot match', description: 'Directory (tenant) ID.' })),
      version: withDefault(num({ integer: true, min: 1, max: 2, description: 'Access token version: 2 (accessTokenAcceptedVersion 2) or 1 (the default of API registrations).' }), 2),
      audience: required(strings('Expected aud: the API\'s application ID (v2) or Application ID URI (v1).')),
      baseUrl: baseUrl('https://login.microsoftonline.com'),
      stsBaseUrl: baseUrl('https://sts.windows.net (the host of v1 issuers)'),
      ...jwtKeys,
    },
    expand: (p) => {
      const tenant = (p['tenant'] as string).toLowerCase();
      const base = trimSlash((p['baseUrl'] as string | undefined) ?? 'https://login.microsoftonline.com');
      const v1 = p['version'] === 1;
      const issuer = v1 ? `${trimSlash((p['stsBaseUrl'] as string | undefined) ?? 'https://sts.windows.net')}/${tenant}/` : `${base}/${tenant}/v2.0`;
      return provider(
        { usernameClaim: v1 ? 'upn' : 'preferred_username', groupsClaim: 'roles', clientIdClaim: v1 ? 'appid' : 'azp' },
        rest(p, ['tenant', 'version', 'baseUrl', 'stsBaseUrl']),
        { type: 'jwt', issuer, jwksUri: `${base}/${tenant}/discovery/v2.0/keys` },
      );
    },
  },

  'azure-b2c': {
    description: 'Azure AD B2C user flow or custom policy. docs/providers/azure-b2c.md',
    props: {
      tenant: required(str({ pattern: /^[a-z0-9][a-z0-9-]*$/, patternHint: 'must be the tenant name, as in <tenant>.onmicrosoft.com', description: 'Tenant name (contoso for contoso.onmicrosoft.com).' })),
      tenantId: required(str({ pattern: GUID, patternHint: 'must be the tenant ID (a GUID): B2C puts it in iss', description: 'Tenant (directory) ID.' })),
      policy: required(str({ pattern: /^[A-Za-z0-9_-]+$/, patternHint: 'must be a user flow or policy name like B2C_1_signupsignin', description: 'User flow or custom policy.' })),
      audience: required(strings('Expected aud: the API\'s application (client) ID.')),
      issuer: optional(str({ minLength: 1, description: 'Exact iss when the user flow is set to the tfp form or a custom domain; default https://<tenant>.b2clogin.com/<tenantId>/v2.0/' })),
      baseUrl: baseUrl('https://<tenant>.b2clogin.com'),
      ...jwtKeys,
    },
    expand: (p) => {
      const tenant = p['tenant'] as string;
      const base = trimSlash((p['baseUrl'] as string | undefined) ?? `https://${tenant}.b2clogin.com`);
      const issuer = (p['issuer'] as string | undefined) ?? `${base}/${(p['tenantId'] as string).toLowerCase()}/v2.0/`;
      return provider(
        { usernameClaim: 'name' },
        rest(p, ['tenant', 'tenantId', 'policy', 'baseUrl', 'issuer']),
        { type: 'jwt', issuer, jwksUri: `${base}/${enc(tenant)}.onmicrosoft.com/${enc((p['policy'] as string).toLowerCase())}/discovery/v2.0/keys` },
      );
    },
  },

  okta: {
    description: 'Okta custom authorization server: JWT access tokens (default) or introspection. docs/providers/okta.md',
    props: {
      domain: optional(str({ pattern: /^[A-Za-z0-9.-]+$/, patternHint: 'must be a host name like dev-123456.okta.com (no https://)', description: 'Okta domain.' })),
      baseUrl: baseUrl('https://<domain>'),
      authorizationServer: withDefault(str({ pattern: /^[A-Za-z0-9]+$/, patternHint: 'must be an authorization server ID like "default" or "aus1a2b3c4"', description: 'Authorization server ID.' }), 'default'),
      type: modeKey,
      audience: optional(strings('Expected aud; default api://default on the "default" server.')),
      ...jwtKeys,
      ...introspectionKeys,
    },
    refine(p, path, ctx) {
      if (p['domain'] === undefined && p['baseUrl'] === undefined) ctx.issues.push({ path: join(path, 'domain'), message: 'is required (or give baseUrl)' });
    },
    expand: (p) => {
      const origin = trimSlash((p['baseUrl'] as string | undefined) ?? `https://${p['domain'] as string}`);
      const as = p['authorizationServer'] as string;
      const issuer = `${origin}/oauth2/${as}`;
      const audience = as === 'default' && p['type'] !== 'introspection' ? 'api://default' : undefined;
      return byMode(p, ['domain', 'baseUrl', 'authorizationServer'], issuer,
        { jwksUri: `${issuer}/v1/keys`, audience, usernameClaim: 'sub', clientIdClaim: 'cid' },
        { introspectionEndpoint: `${issuer}/v1/introspect` });
    },
  },

  cognito: {
    description: 'Amazon Cognito user pool access tokens, pinned to app client IDs. docs/providers/cognito.md',
    props: {
      userPoolId: required(str({ pattern: /^[a-z]{2}(-[a-z]+)+-\d+_[0-9A-Za-z]+$/, patternHint: 'must be a user pool ID like eu-west-1_AbCdEf123', description: 'User pool ID.' })),
      region: optional(str({ pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/, patternHint: 'must be an AWS region like eu-west-1', description: 'AWS region; default the user pool ID\'s prefix.' })),
      clientId: required(strings('App client ID(s) whose access tokens are accepted (Cognito access tokens have no aud; client_id is checked instead).')),
      baseUrl: baseUrl('https://cognito-idp.<region>.amazonaws.com'),
      ...jwtKeys,
    },
    refine(p, path, ctx) {
      const prefix = (p['userPoolId'] as string).split('_')[0];
      if (p['region'] !== undefined && p['region'] !== prefix) ctx.issues.push({ path: join(path, 'region'), message: `does not match the user pool ID (${prefix})` });
    },
    expand: (p) => {
      const poolId = p['userPoolId'] as string;
      const region = (p['region'] as string | undefined) ?? poolId.split('_')[0];
      const issuer = `${trimSlash((p['baseUrl'] as string | undefined) ?? `https://cognito-idp.${region}.amazonaws.com`)}/${poolId}`;
      return provider(
        { usernameClaim: 'username', groupsClaim: 'cognito:groups', clientIdClaim: 'client_id' },
        rest(p, ['userPoolId', 'region', 'clientId', 'baseUrl']),
        // ID tokens carry aud but no client_id, so pinning client_id also refuses them.
        { type: 'jwt', issuer, jwksUri: `${issuer}/.well-known/jwks.json`, audience: p['clientId'], audienceClaim: 'client_id' },
      );
    },
  },

  google: {
    description: 'Google ID tokens (JWT) issued to your OAuth client ID. docs/providers/google.md',
    props: {
      clientId: required(strings('Your OAuth client ID(s): the aud of the ID tokens.')),
      baseUrl: baseUrl('https://accounts.google.com (the issuer; keys come from its discovery document)'),
      ...jwtKeys,
    },
    expand: (p) => provider(
      { usernameClaim: 'email', algorithms: ['RS256'] },
      rest(p, ['clientId', 'baseUrl']),
      { type: 'jwt', issuer: trimSlash((p['baseUrl'] as string | undefined) ?? 'https://accounts.google.com'), discovery: true, audience: p['clientId'] },
    ),
  },

  github: {
    description: 'GitHub OAuth app / GitHub App user tokens, checked with GET /user. docs/providers/github.md',
    props: {
      baseUrl: baseUrl('https://api.github.com (GitHub Enterprise Server: https://<host>/api/v3)'),
      ...opaqueKeys,
    },
    expand: (p) => provider(
      { usernameClaim: 'login' },
      rest(p, ['baseUrl']),
      { type: 'userinfo', userinfoEndpoint: `${trimSlash((p['baseUrl'] as string | undefined) ?? 'https://api.github.com')}/user` },
    ),
  },

  gitlab: {
    description: 'GitLab OAuth tokens (openid scope), checked with GET /oauth/userinfo. docs/providers/gitlab.md',
    props: {
      baseUrl: baseUrl('https://gitlab.com'),
      ...opaqueKeys,
    },
    expand: (p) => provider(
      { usernameClaim: 'nickname', groupsClaim: 'groups' },
      rest(p, ['baseUrl']),
      { type: 'userinfo', userinfoEndpoint: `${trimSlash((p['baseUrl'] as string | undefined) ?? 'https://gitlab.com')}/oauth/userinfo` },
    ),
  },

  slack: {
    description: 'Sign in with Slack (OpenID Connect) user tokens, checked with openid.connect.userInfo. docs/providers/slack.md',
    props: {
      baseUrl: baseUrl('https://slack.com'),
      ...opaqueKeys,
    },
    expand: (p) => provider(
      { usernameClaim: 'email', groupsClaim: 'https://slack.com/team_id' },
      rest(p, ['baseUrl']),
      { type: 'userinfo', userinfoEndpoint: `${trimSlash((p['baseUrl'] as string | undefined) ?? 'https://slack.com')}/api/openid.connect.userInfo` },
    ),
  },

  facebook: {
    description: 'Facebook Login user tokens, checked with the Graph API /me. docs/providers/facebook.md',
    props: {
      baseUrl: baseUrl('https://graph.facebook.com'),
      apiVersion: optional(str({ pattern: /^v\d+\.\d+$/, patternHint: 'must be a Graph API version like v19.0', description: 'Graph API version; default the app\'s.' })),
      ...opaqueKeys,
    },
    expand: (p) => {
      const version = p['apiVersion'] === undefined ? '' : `/${p['apiVersion'] as string}`;
      return provider(
        { usernameClaim: 'email' },
        rest(p, ['baseUrl', 'apiVersion']),
        { type: 'userinfo', userinfoEndpoint: `${trimSlash((p['baseUrl'] as string | undefined) ?? 'https://graph.facebook.com')}${version}/me?fields=id,name,email` },
      );
    },
  },
};

/**
 * Name of the preset that takes any provider type with your own endpoints.
 *
 * @example
 * { "name": "in-house", "preset": "custom", "type": "userinfo", "userinfoEndpoint": "https://auth.internal/me" }
 */
export const CUSTOM_PRESET = 'custom';

/**
 * Every preset name accepted in `providers[].preset`, `custom` included.
 *
 * @example
 * PRESET_NAMES.includes('okta') // true
 */
export const PRESET_NAMES: readonly string[] = Object.freeze([...Object.keys(PRESETS), CUSTOM_PRESET]);
