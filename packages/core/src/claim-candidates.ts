import { getClaim } from './claims.js';

/**
 * A claim that could hold the username, with what it is known for.
 *
 * @example
 * const best: UsernameCandidate | undefined = usernameCandidates(claims, 'preferred_username')[0];
 */
export interface UsernameCandidate {
  readonly claim: string;
  readonly value: string;
  readonly note: string;
  /** The provider's `usernameClaim` names it. */
  readonly configured: boolean;
}

// Most suitable first: unique, stable, human-readable login names; then e-mail; then ids.
const KNOWN: readonly (readonly [string, string])[] = [
  ['preferred_username', 'OIDC login name (Keycloak, Okta, Auth0, Entra ID v2.0); the default'],
  ['username', 'login name in RFC 7662 introspection answers, Cognito'],
  ['cognito:username', 'Amazon Cognito login name'],
  ['upn', 'user principal name (Entra ID, AD FS)'],
  ['unique_name', 'user principal name (Entra ID v1.0 tokens)'],
  ['login', 'login name (GitHub and similar user endpoints)'],
  ['nickname', 'short name (Auth0); not always unique'],
  ['email', 'unique at most IdPs, but can change and may be unverified'],
  ['user_name', 'login name (UAA, some gateways)'],
  ['user_id', 'user id'],
  ['uid', 'user id'],
  ['oid', 'object id (Entra ID): stable and unique, but not human-readable'],
  ['sub', 'stable and unique, but often an opaque id; the fallback when the username claim is missing'],
  ['name', 'display name: neither unique nor stable, avoid'],
  ['given_name', 'first name: not unique, avoid'],
];

// String claims that never identify a user.
const NOT_USERNAMES = new Set([
  'iss', 'aud', 'azp', 'client_id', 'appid', 'jti', 'typ', 'scope', 'scp', 'nonce', 'sid', 'session_state', 'at_hash', 'c_hash', 's_hash',
  'acr', 'amr', 'idp', 'tid', 'ver', 'token_type', 'token_use', 'auth_time', 'iat', 'exp', 'nbf', 'family_name', 'locale', 'zoneinfo',
  'picture', 'website', 'profile', 'gender', 'birthdate', 'phone_number', 'updated_at', 'email_verified', 'cnf', 'act', 'origin_jti',
  'event_id', 'active', 'realm', 'tenant', 'rh', 'uti', 'xms_tcdt', 'client_ip', 'ipaddr', 'iss_url', 'groups', 'roles',
]);

/**
 * The claims that could serve as the username attribute (`usernameClaim`), most suitable first:
 * every non-empty string claim with a known meaning, then any other top-level string claim.
 *
 * @example
 * usernameCandidates({ sub: 'f3a9', preferred_username: 'alice' }, 'preferred_username')
 * // [{ claim: 'preferred_username', value: 'alice', configured: true, ... }, { claim: 'sub', ... }]
 */
export function usernameCandidates(claims: Readonly<Record<string, unknown>>, configuredClaim?: string): UsernameCandidate[] {
  const out: UsernameCandidate[] = [];
  const seen = new Set<string>();
  const add = (claim: string, value: unknown, note: string) => {
    if (seen.has(claim) || typeof value !== 'string' || value.trim() === '') return;
    seen.add(claim);
    out.push({ claim, value, note, configured: claim === configuredClaim });
  };
  if (configuredClaim) {
    const known = KNOWN.find(([c]) => c === configuredClaim);
    add(configuredClaim, getClaim(claims, configuredClaim), known?.[1] ?? 'configured usernameClaim');
  }
  for (const [claim, note] of KNOWN) add(claim, claims[claim], note);
  for (const [claim, value] of Object.entries(claims)) {
    if (!NOT_USERNAMES.has(claim) && !claim.startsWith('http')) add(claim, value, 'other string claim');
  }
  const rank = (c: UsernameCandidate) => (c.configured ? -1 : KNOWN.findIndex(([k]) => k === c.claim) === -1 ? 10.5 : KNOWN.findIndex(([k]) => k === c.claim));
  return out.sort((a, b) => rank(a) - rank(b));
}

/**
 * A claim that could hold the groups (`groupsClaim`) or the OAuth client (`clientIdClaim`).
 *
 * @example
 * const best: ClaimCandidate | undefined = groupsCandidates(claims)[0];
 */
export interface ClaimCandidate {
  /** The claim's name, or its dotted path into a nested object (`realm_access.roles`). */
  readonly claim: string;
  /** The names it would yield (groups), or its value (client id). */
  readonly value: string | readonly string[];
  readonly note: string;
  /** The provider's setting names it. */
  readonly configured: boolean;
}

const KNOWN_GROUPS: readonly (readonly [string, string])[] = [
  ['groups', 'group names (Keycloak mapper, Okta, Entra ID with groups claim)'],
  ['roles', 'role names (Entra ID app roles, many IdPs)'],
  ['cognito:groups', 'Amazon Cognito groups'],
  ['realm_access.roles', 'Keycloak realm roles'],
  ['permissions', 'Auth0 RBAC permissions'],
  ['wids', 'Entra ID directory role template ids: not readable names'],
];

const KNOWN_CLIENT_IDS: readonly (readonly [string, string])[] = [
  ['azp', 'authorized party (OIDC): the client that asked for the token'],
  ['client_id', 'RFC 9068 / RFC 7662 client id'],
  ['appid', 'Entra ID v1.0 application id'],
  ['cid', 'Okta client id'],
];

// Lists that are never group names.
const NOT_GROUPS = new Set(['aud', 'amr', 'scp', 'scope', 'x5c', 'acr_values']);

/** String arrays (or space-separated strings of known names) at the top level and one level down. */
function listClaims(claims: Readonly<Record<string, unknown>>): [string, string[]][] {
  const out: [string, string[]][] = [];
  const visit = (path: string, value: unknown, depth: number) => {
    if (Array.isArray(value) && value.length && value.every((v) => typeof v === 'string')) out.push([path, value as string[]]);
    else if (depth === 0 && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) visit(`${path}.${k}`, v, 1);
    }
  };
  for (const [k, v] of Object.entries(claims)) if (!NOT_GROUPS.has(k)) visit(k, v, 0);
  return out;
}

/**
 * The claims that could serve as the groups attribute (`groupsClaim`), most suitable first: known
 * group and role claims, then any other list of strings (top level or one object down).
 *
 * @example
 * groupsCandidates({ realm_access: { roles: ['admins'] } }, 'groups')
 * // [{ claim: 'realm_access.roles', value: ['admins'], configured: false, ... }]
 */
export function groupsCandidates(claims: Readonly<Record<string, unknown>>, configuredClaim?: string): ClaimCandidate[] {
  const lists = listClaims(claims);
  const configured = configuredClaim === undefined ? undefined : getClaim(claims, configuredClaim);
  if (configuredClaim !== undefined && typeof configured === 'string' && configured !== '') lists.push([configuredClaim, configured.split(/[\s,]+/).filter(Boolean)]);
  const rank = (claim: string) => (claim === configuredClaim ? -1 : KNOWN_GROUPS.findIndex(([k]) => k === claim) === -1 ? KNOWN_GROUPS.length : KNOWN_GROUPS.findIndex(([k]) => k === claim));
  return lists
    .map(([claim, value]) => ({ claim, value, note: KNOWN_GROUPS.find(([k]) => k === claim)?.[1] ?? 'other list of strings', configured: claim === configuredClaim }))
    .sort((a, b) => rank(a.claim) - rank(b.claim));
}

/**
 * The claims that could name the OAuth client (`clientIdClaim`), most suitable first.
 *
 * @example
 * clientIdCandidates({ azp: 'web-app', client_id: 'web-app' })
 * // [{ claim: 'azp', value: 'web-app', ... }, { claim: 'client_id', value: 'web-app', ... }]
 */
export function clientIdCandidates(claims: Readonly<Record<string, unknown>>, configuredClaim?: string): ClaimCandidate[] {
  const known = configuredClaim && !KNOWN_CLIENT_IDS.some(([k]) => k === configuredClaim) ? [[configuredClaim, 'configured clientIdClaim'] as const, ...KNOWN_CLIENT_IDS] : KNOWN_CLIENT_IDS;
  const out: ClaimCandidate[] = [];
  for (const [claim, note] of known) {
    const value = getClaim(claims, claim);
    if (typeof value === 'string' && value !== '') out.push({ claim, value, note, configured: claim === configuredClaim });
  }
  return out.sort((a, b) => Number(b.configured) - Number(a.configured));
}
