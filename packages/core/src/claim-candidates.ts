import { getClaim } from '@restauth/core';

/** A claim that could hold the username, with what it is known for. */
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
