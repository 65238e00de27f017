import { API_TOKEN_PREFIX } from '../api-tokens/format.js';
import type { Credential } from '../credentials.js';
import { isRestAuthError, RestAuthError } from '../errors.js';
import type { Principal } from '../principal.js';
import type { Strategy } from '../strategy.js';
import type { TokenChecker } from './token-checker.js';

/** The unverified `iss` of a token in JWS compact form, or undefined for anything else. */
function unverifiedIssuer(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const iss = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)['iss'] : undefined;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Options of {@link createOpaqueStrategy}.
 *
 * @example
 * const config: OpaqueStrategyConfig = { name: 'userinfo', checkers: [createUserinfoChecker(p)], jwtIssuers: [] };
 */
export interface OpaqueStrategyConfig {
  /** Strategy name (`introspection`, `userinfo`). */
  readonly name: string;
  /** One checker per provider, in config order. */
  readonly checkers: readonly TokenChecker[];
  /**
   * Issuers of the configured `jwt` providers: a JWT naming one of them is the JWT strategy's,
   * and is never sent to an opaque-token provider.
   */
  readonly jwtIssuers?: readonly string[];
}

/**
 * A strategy over opaque-token providers of one type, asked in config order:
 * - the first provider that accepts the token decides (its principal is returned);
 * - a provider that rejects it (`active: false`, HTTP 401...) lets the next one try; when every
 *   one rejects, the strategy returns `undefined` so later strategies may still claim it (core
 *   answers 401 `invalid_token` when none does);
 * - a provider that cannot be asked (unreachable, timeout, 5xx, or an introspection answer that
 *   is not a JSON object) does not stop the others; if no later provider accepts, the strategy
 *   throws 503 `temporarily_unavailable`, since the unreachable provider might have accepted the token;
 * - a provider whose answer is not valid (no `active`, a userinfo page naming no user) does not
 *   stop the others either; if none accepts, 401 `invalid_token` names the broken answer.
 * Basic credentials, the API-key header, restauth API tokens (`rat_...`) and JWTs of configured
 * `jwt` issuers are never sent to a provider: the strategy returns `undefined` for them.
 *
 * @example
 * const strategy = createOpaqueStrategy({ name: 'introspection', checkers: [createIntrospectionChecker(p, 'providers[0]')] });
 */
export function createOpaqueStrategy(config: OpaqueStrategyConfig): Strategy {
  const jwtIssuers = new Set(config.jwtIssuers ?? []);
  const checkers = [...config.checkers];
  return {
    name: config.name,
    async verify(credential: Credential): Promise<Principal | undefined> {
      if (credential.kind !== 'bearer') return undefined;
      const token = credential.token;
      if (token.startsWith(API_TOKEN_PREFIX)) return undefined;
      if (jwtIssuers.size) {
        const iss = unverifiedIssuer(token);
        if (iss !== undefined && jwtIssuers.has(iss)) return undefined;
      }
      let unavailable: RestAuthError | undefined;
      let broken: RestAuthError | undefined;
      for (const checker of checkers) {
        let verdict;
        try {
          verdict = await checker.check(token);
        } catch (err) {
          if (isRestAuthError(err) && err.code === 'temporarily_unavailable') unavailable ??= err;
          else broken ??= new RestAuthError('invalid_token', 'Token could not be verified', { cause: err });
          continue;
        }
        if (verdict.kind === 'accepted') return verdict.principal;
        if (verdict.kind === 'invalid-answer') {
          broken ??= new RestAuthError('invalid_token', `Provider ${checker.provider} gave an answer that is not valid (${verdict.reason})`);
        }
      }
      if (unavailable) throw unavailable;
      if (broken) throw broken;
      return undefined;
    },
    async close() {
      for (const c of checkers) c.clear();
    },
  };
}
