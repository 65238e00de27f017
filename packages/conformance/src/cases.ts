/**
 * The one table of cases every example app must pass, byte for byte. A case that passes in
 * one framework and not another is a bug in that adapter, never a per-framework expectation.
 */

/** Names of the tokens the suite fetches from the IdP (or forges, for the bad ones). */
export type TokenName =
  | 'alice' | 'bob' | 'bobReadOnly' | 'carol' | 'eve' | 'serviceA'
  | 'expired' | 'wrongAudience' | 'algNone' | 'unknownIssuer' | 'tampered';

/** Which config the app runs with: `main`, or `strict` (restrictPublic, IP allow-list, tight rate limit). */
export type ConfigName = 'main' | 'strict';

/** One request and what must come back. */
export interface Case {
  readonly name: string;
  readonly config: ConfigName;
  readonly method?: string;
  readonly path: string;
  readonly token?: TokenName;
  /** Authorization scheme to send the token with; default `Bearer`. */
  readonly scheme?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly status: number;
  /** Exact body text (error bodies are the core's bytes). */
  readonly text?: string;
  /** Exact JSON value. */
  readonly json?: unknown;
  /** Header values: a string is exact, a RegExp must match, null must be absent. */
  readonly expectHeaders?: Readonly<Record<string, string | RegExp | null>>;
}

const err = (error: string, message: string) => JSON.stringify({ error, message });
const JSON_TYPE = { 'content-type': /^application\/json; charset=utf-8$/ };
const REALM = 'Bearer realm="conformance"';

/** The `main` config, pointed at the suite's IdP. */
export function mainConfig(issuer: string, jwksUri: string) {
  return {
    realm: 'conformance',
    providers: [{ name: 'idp', type: 'jwt', issuer, audience: 'api', jwksUri }],
    policy: {
      bypass: ['GET /health'],
      allowGroups: ['users'],
      readOnlyGroups: ['auditors'],
      allowClients: ['restauth-test'],
      rules: [
        { match: 'POST /api/items', scopes: ['items:write'] },
        { match: 'DELETE /api/items/*', groups: ['admins'] },
      ],
    },
    rateLimit: { enabled: true, limit: 1000, windowSec: 60 },
    apiTokens: { enabled: true, adminGroups: ['admins'], maxLifetimeDays: 30, defaultLifetimeDays: 7 },
  };
}

/** The `strict` config: public route closed by config, IP allow-list behind a trusted proxy, 3 requests a minute. */
export function strictConfig(issuer: string, jwksUri: string) {
  return {
    realm: 'conformance',
    providers: [{ name: 'idp', type: 'jwt', issuer, audience: 'api', jwksUri }],
    policy: {
      bypass: ['GET /health'],
      restrictPublic: ['GET /public/info'],
      ipAllow: ['127.0.0.1', '203.0.113.0/24'],
      trustProxy: ['127.0.0.1'],
    },
    rateLimit: { enabled: true, limit: 3, windowSec: 60 },
  };
}

export const CASES: readonly Case[] = [
  { name: 'health is bypassed', config: 'main', path: '/health', status: 200, json: { status: 'ok' }, expectHeaders: { ...JSON_TYPE, 'ratelimit-limit': null } },
  { name: 'HEAD on the bypassed health check', config: 'main', method: 'HEAD', path: '/health', status: 200, expectHeaders: { 'ratelimit-limit': null } },
  { name: 'no token → 401 with a bare challenge', config: 'main', path: '/api/items', status: 401, text: err('unauthorized', 'Authentication required'), expectHeaders: { 'www-authenticate': REALM, ...JSON_TYPE } },
  { name: 'valid token → 200 with rate-limit headers', config: 'main', path: '/api/items', token: 'alice', status: 200, json: [{ id: 1, name: 'first' }, { id: 2, name: 'second' }], expectHeaders: { ...JSON_TYPE, 'ratelimit-limit': '1000', 'ratelimit-remaining': /^\d+$/, 'ratelimit-reset': /^\d+$/, 'ratelimit-policy': '1000;w=60', 'www-authenticate': null } },
  { name: 'the principal', config: 'main', path: '/api/me', token: 'alice', status: 200, json: { username: 'alice', groups: ['users', 'admins'], scopes: ['items:read', 'items:write'], clientId: 'restauth-test', provider: 'idp', tokenType: 'jwt' } },
  { name: 'outside allowGroups → 403', config: 'main', path: '/api/items', token: 'eve', status: 403, text: err('forbidden', 'Not a member of an allowed group'), expectHeaders: { 'www-authenticate': null, ...JSON_TYPE } },
  { name: 'client token with no groups → 403', config: 'main', path: '/api/me', token: 'serviceA', status: 403, text: err('forbidden', 'Not a member of an allowed group') },
  { name: 'read-only member may GET', config: 'main', path: '/api/items', token: 'carol', status: 200 },
  { name: 'read-only member may HEAD', config: 'main', method: 'HEAD', path: '/api/items', token: 'carol', status: 200 },
  { name: 'read-only member may not POST', config: 'main', method: 'POST', path: '/api/items', token: 'carol', body: { name: 'x' }, status: 403, text: err('forbidden', 'Read-only access: POST is not allowed') },
  { name: 'method override never upgrades a read-only member', config: 'main', method: 'POST', path: '/api/items?_method=GET', token: 'carol', headers: { 'x-http-method-override': 'GET', 'x-method-override': 'GET' }, body: { name: 'x' }, status: 403 },
  { name: 'missing scope → 403 insufficient_scope naming it', config: 'main', method: 'POST', path: '/api/items', token: 'bobReadOnly', body: { name: 'x' }, status: 403, text: err('insufficient_scope', 'Requires scope: items:write'), expectHeaders: { 'www-authenticate': 'Bearer realm="conformance", error="insufficient_scope", error_description="Requires scope: items:write", scope="items:write"' } },
  { name: 'write with the scope → 201', config: 'main', method: 'POST', path: '/api/items', token: 'alice', body: { name: 'third' }, status: 201, json: { id: 3, name: 'third' } },
  { name: 'group rule → 403', config: 'main', method: 'DELETE', path: '/api/items/1', token: 'bob', status: 403, text: err('forbidden', 'Requires membership of one of: admins') },
  { name: 'admin deletes → 204', config: 'main', method: 'DELETE', path: '/api/items/2', token: 'alice', status: 204, text: '' },
  { name: 'unknown item → 404', config: 'main', method: 'DELETE', path: '/api/items/99', token: 'alice', status: 404, json: { error: 'not_found', message: 'No such item' } },
  { name: 'unknown path without credentials → 401 identical', config: 'main', path: '/nope', status: 401, text: err('unauthorized', 'Authentication required'), expectHeaders: { 'www-authenticate': REALM, ...JSON_TYPE, 'ratelimit-limit': null } },
  { name: 'unknown method on a known path without credentials → 401 identical', config: 'main', method: 'PUT', path: '/api/items', status: 401, text: err('unauthorized', 'Authentication required'), expectHeaders: { 'www-authenticate': REALM, ...JSON_TYPE } },
  { name: 'unknown path with a bad token → 401 invalid_token', config: 'main', path: '/api/nope', token: 'expired', status: 401, text: err('invalid_token', 'Token expired') },
  { name: 'unknown path with a valid token → the app\'s 404', config: 'main', path: '/nope', token: 'alice', status: 404, text: err('not_found', 'Not found'), expectHeaders: { 'www-authenticate': null, ...JSON_TYPE, 'ratelimit-limit': '1000' } },
  { name: 'public route, anonymous', config: 'main', path: '/public/info', status: 200, json: { info: 'public', username: null } },
  { name: 'public route, with a token', config: 'main', path: '/public/info', token: 'bob', status: 200, json: { info: 'public', username: 'bob' } },
  { name: 'public route, with a bad token → 401', config: 'main', path: '/public/info', token: 'expired', status: 401, text: err('invalid_token', 'Token expired') },
  { name: 'public route, a valid token outside allowGroups → anonymous', config: 'main', path: '/public/info', token: 'eve', status: 200, json: { info: 'public', username: null } },
  { name: 'public route, a client token outside allowGroups → anonymous', config: 'main', path: '/public/info', token: 'serviceA', status: 200, json: { info: 'public', username: null } },
  { name: 'expired token → 401 invalid_token', config: 'main', path: '/api/items', token: 'expired', status: 401, text: err('invalid_token', 'Token expired'), expectHeaders: { 'www-authenticate': 'Bearer realm="conformance", error="invalid_token", error_description="Token expired"' } },
  { name: 'wrong audience → 401', config: 'main', path: '/api/items', token: 'wrongAudience', status: 401, expectHeaders: { 'www-authenticate': /error="invalid_token"/ } },
  { name: 'alg none → 401', config: 'main', path: '/api/items', token: 'algNone', status: 401, expectHeaders: { 'www-authenticate': /error="invalid_token"/ } },
  { name: 'unknown issuer → 401', config: 'main', path: '/api/items', token: 'unknownIssuer', status: 401, text: err('invalid_token', 'Token issuer is not accepted') },
  { name: 'tampered payload → 401', config: 'main', path: '/api/items', token: 'tampered', status: 401, expectHeaders: { 'www-authenticate': /error="invalid_token"/ } },
  { name: 'malformed Authorization → 400', config: 'main', path: '/api/items', headers: { authorization: 'Bearer a b' }, status: 400, text: err('invalid_request', 'Malformed bearer token'), expectHeaders: { 'www-authenticate': 'Bearer realm="conformance", error="invalid_request", error_description="Malformed bearer token"' } },
  { name: 'the scheme is case-insensitive', config: 'main', path: '/api/items', token: 'bob', scheme: 'bEaReR', status: 200 },
  { name: 'token in header and query → 400', config: 'main', path: '/api/items?access_token=abc', token: 'alice', status: 400, text: err('invalid_request', 'Credentials were sent more than one way; send exactly one') },
  { name: 'unsupported scheme → 401', config: 'main', path: '/api/items', headers: { authorization: 'Digest username="x"' }, status: 401, text: err('unauthorized', 'Unsupported authorization scheme; use Bearer'), expectHeaders: { 'www-authenticate': REALM } },
  { name: 'X-Original-URL is ignored', config: 'main', path: '/api/items', headers: { 'x-original-url': '/health', 'x-rewrite-url': '/health', 'x-forwarded-uri': '/health', 'x-middleware-subrequest': 'middleware' }, status: 401 },
  // strict config
  { name: 'restrictPublic closes a route public in code', config: 'strict', path: '/public/info', status: 401, text: err('unauthorized', 'Authentication required') },
  { name: 'restrictPublic with a token passes', config: 'strict', path: '/public/info', token: 'bob', status: 200, json: { info: 'public', username: 'bob' } },
  { name: 'client IP from a trusted proxy, not allowed → 403', config: 'strict', path: '/api/items', token: 'bob', headers: { 'x-forwarded-for': '198.51.100.1' }, status: 403, text: err('forbidden', 'Client IP address is not allowed') },
  { name: 'blocked IP is refused before the token is looked at', config: 'strict', path: '/api/items', token: 'expired', headers: { 'x-forwarded-for': '198.51.100.1' }, status: 403 },
  { name: 'client IP from a trusted proxy, allowed', config: 'strict', path: '/api/items', token: 'alice', headers: { 'x-forwarded-for': '203.0.113.5' }, status: 200, expectHeaders: { 'ratelimit-limit': '3' } },
  { name: 'rate limit 2/3', config: 'strict', path: '/api/items', token: 'alice', status: 200, expectHeaders: { 'ratelimit-remaining': '1' } },
  { name: 'rate limit 3/3', config: 'strict', path: '/api/items', token: 'alice', status: 200, expectHeaders: { 'ratelimit-remaining': '0' } },
  { name: 'rate limit exceeded → 429', config: 'strict', path: '/api/items', token: 'alice', status: 429, text: err('rate_limited', 'Rate limit exceeded'), expectHeaders: { 'retry-after': /^\d+$/, 'ratelimit-limit': '3', 'ratelimit-remaining': '0', ...JSON_TYPE } },
];

/** Variants of `DELETE /api/items/1` that must never reach the handler while skipping the admins rule. */
export const BYPASS_ATTEMPTS: readonly string[] = [
  '/API/items/1', '/api/Items/1', '/api/items/1/', '//api/items/1', '/api//items/1', '/api/./items/1', '/api/x/../items/1',
  '/api/x/%2e%2e/items/1', '/api%2Fitems%2F1', '/%61pi/items/1', '/api/items;x=y/1', '/api/items/1;jsessionid=1',
  '/api/items/1?x=/health', '/api/items/1#frag', '/api/items/%31', '/public/../api/items/1', '/public/%2e%2e/api/items/1',
  '/api/items/%c0%ae%c0%ae/1',
];
