import type { Principal, TokenType } from './principal.js';

/**
 * Reads a claim by name, or by dotted path into nested objects (`realm_access.roles`). A claim
 * whose own name contains dots (`cognito:groups`, `https://ns/roles`) is found first.
 *
 * @example
 * getClaim({ realm_access: { roles: ['a'] } }, 'realm_access.roles') // ['a']
 */
export function getClaim(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.prototype.hasOwnProperty.call(claims, path)) return claims[path];
  let cur: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * A list of names from a claim value: an array keeps its string items, a string is split on
 * spaces and commas; any other shape (object, number) yields no names, so group and scope
 * checks fail closed.
 */
export function claimList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return [];
}

/** Which claims hold what; every name may be a dotted path. */
export interface ClaimNames {
  readonly usernameClaim: string;
  readonly groupsClaim: string;
  readonly clientIdClaim?: string | undefined;
  readonly scopeClaim?: string | undefined;
}

const CLIENT_ID_CLAIMS = ['client_id', 'azp', 'appid'];

function firstString(claims: Readonly<Record<string, unknown>>, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = getClaim(claims, n);
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/**
 * Builds a {@link Principal} from verified claims with the provider's claim mapping.
 *
 * @example
 * principalFromClaims(payload, { usernameClaim: 'email', groupsClaim: 'groups' }, { provider: 'corp', tokenType: 'jwt' })
 */
export function principalFromClaims(
  claims: Readonly<Record<string, unknown>>,
  names: ClaimNames,
  meta: { provider: string; tokenType: TokenType; expiresAt?: Date | undefined },
): Principal {
  const subject = firstString(claims, ['sub']) ?? '';
  const username = firstString(claims, [names.usernameClaim]) ?? subject;
  const scopes = names.scopeClaim
    ? claimList(getClaim(claims, names.scopeClaim))
    : claimList(claims['scope'] !== undefined ? claims['scope'] : claims['scp']);
  return {
    subject,
    username,
    groups: claimList(getClaim(claims, names.groupsClaim)),
    scopes,
    clientId: firstString(claims, names.clientIdClaim ? [names.clientIdClaim] : CLIENT_ID_CLAIMS),
    provider: meta.provider,
    tokenType: meta.tokenType,
    claims,
    expiresAt: meta.expiresAt,
  };
}
