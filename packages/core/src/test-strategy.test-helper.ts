import { RestAuthError } from './errors.js';
import type { Principal } from './principal.js';
import type { Strategy } from './strategy.js';

const p = (username: string, groups: string[], scopes: string[], clientId?: string): Principal => ({
  subject: `sub-${username}`, username, groups, scopes, clientId, provider: 'static', tokenType: 'jwt', claims: { sub: `sub-${username}` },
});

/** Fixed principals for core's own tests (real providers are tested in @restauth/jwt). */
export const PRINCIPALS: Record<string, Principal> = {
  alice: p('alice', ['users', 'admins'], ['items:read', 'items:write', 'admin'], 'web'),
  bob: p('bob', ['users'], ['items:read']),
  carol: p('carol', ['users', 'auditors'], ['items:read', 'items:write']),
  eve: p('eve', ['guests'], ['items:read']),
  svca: p('service-a', ['services'], ['items:read', 'items:write'], 'service-a'),
  svcb: p('service-b', ['services'], ['items:read'], 'service-b'),
  nogroups: p('nobody', [], []),
};

/** A strategy over {@link PRINCIPALS}: `Bearer <name>`; `bad`, `down` and `boom` fail in three ways. */
export function staticStrategy(calls: { count: number } = { count: 0 }): Strategy {
  return {
    name: 'static',
    async verify(c) {
      calls.count++;
      if (c.kind === 'basic') return undefined;
      if (c.token === 'bad') throw new RestAuthError('invalid_token', 'Token expired');
      if (c.token === 'down') throw new RestAuthError('temporarily_unavailable', 'Provider unreachable', { retryAfterSec: 30 });
      if (c.token === 'boom') throw new Error('unexpected');
      return PRINCIPALS[c.token];
    },
  };
}
