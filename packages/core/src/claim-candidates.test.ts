import { describe, expect, it } from 'vitest';
import { clientIdCandidates, groupsCandidates, usernameCandidates } from './claim-candidates.js';

describe('attribute finder', () => {
  const claims = {
    iss: 'https://idp', sub: 'f3a9', preferred_username: 'alice', email: 'alice@example.com', azp: 'web', client_id: 'web',
    groups: ['users', 'admins'], realm_access: { roles: ['offline_access', 'admin'] }, amr: ['pwd'], scope: 'a b',
  };

  it('ranks login names first and never offers iss or azp as a username', () => {
    const names = usernameCandidates(claims).map((c) => c.claim);
    expect(names.slice(0, 2)).toEqual(['preferred_username', 'email']);
    expect(names).not.toContain('iss');
    expect(names).not.toContain('azp');
  });

  it('finds group lists at the top level and one object down, the configured one first, never amr', () => {
    const found = groupsCandidates(claims, 'realm_access.roles');
    expect(found.map((c) => c.claim)).toEqual(['realm_access.roles', 'groups']);
    expect(found[0]).toMatchObject({ configured: true, value: ['offline_access', 'admin'] });
  });

  it('splits a configured space-separated group string', () => {
    expect(groupsCandidates({ grp: 'a b' }, 'grp')).toEqual([{ claim: 'grp', value: ['a', 'b'], note: 'other list of strings', configured: true }]);
  });

  it('names client id claims, the configured one first', () => {
    expect(clientIdCandidates(claims).map((c) => c.claim)).toEqual(['azp', 'client_id']);
    expect(clientIdCandidates({ ...claims, app: 'x' }, 'app')[0]).toMatchObject({ claim: 'app', value: 'x', configured: true });
  });
});
