import type { ApiTokens } from '../api-tokens/api-tokens.js';
import { fail, PASS, type Check } from './check.js';

/**
 * `tokenUses`: the last check, so only a request that is otherwise allowed spends one use of an
 * API token made with `remaining` (atomically in the store); a used-up token is a 401. Tokens
 * without `remaining` cost nothing: the verified-token cache already says they have no limit.
 */
export function createTokenUsesCheck(tokens: ApiTokens | undefined): Check | undefined {
  if (!tokens) return undefined;
  return {
    name: 'tokenUses',
    run(ctx) {
      const p = ctx.principal;
      if (p?.tokenType !== 'api-token') return undefined;
      return tokens.spend(p).then((error) => (error ? fail(error) : PASS));
    },
  };
}
