import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/load.js';
import type { RestAuthConfig } from '../config/types.js';
import { createRestAuth } from '../rest-auth.js';
import { staticStrategy } from '../test-strategy.test-helper.js';
import { compileGate } from './compile.js';

const names = (config: RestAuthConfig) => compileGate(validateConfig(config), { strategies: [staticStrategy()] }).checks.map((c) => c.name);

describe('compileGate', () => {
  it('orders the checks as DESIGN.md does, one rule check per rule', () => {
    expect(names({
      policy: {
        bypass: ['GET /health'], ipAllow: ['127.0.0.1'], allowGroups: ['users'], readOnlyGroups: ['auditors'], allowClients: ['web'],
        rules: [{ match: '/a', groups: ['x'] }, { match: '/b', scopes: ['y'] }],
      },
      providers: [{ name: 'op', type: 'introspection', introspectionEndpoint: 'https://idp.example.com/introspect', clientId: 'api', clientSecret: 's' }],
      rateLimit: { enabled: true },
    })).toEqual(['bypass', 'ip', 'public-route', 'credentials', 'verify', 'proof', 'allowGroups', 'readOnly', 'allowClients', 'rule', 'rule', 'route', 'rateLimit']);
  });
  it('leaves out every check a config does not use', () => {
    expect(names({})).toEqual(['public-route', 'credentials', 'verify', 'route']);
  });
  it('with API tokens on, spends remaining uses last, after the rate limit', () => {
    expect(names({ apiTokens: { enabled: true }, rateLimit: { enabled: true } })).toEqual(['public-route', 'credentials', 'verify', 'route', 'rateLimit', 'tokenUses']);
  });
  it('with API tokens on and the rate limit off, keeps rateLimit for the tokens that carry their own limit', () => {
    expect(names({ apiTokens: { enabled: true } })).toEqual(['public-route', 'credentials', 'verify', 'route', 'rateLimit', 'tokenUses']);
  });
  it('a disabled gate has one check that lets everything through', () => {
    expect(names({ enabled: false, policy: { allowGroups: ['users'] } })).toEqual(['disabled']);
  });
  it('is immutable', () => {
    const gate = compileGate(validateConfig({}));
    expect(Object.isFrozen(gate)).toBe(true);
    expect(Object.isFrozen(gate.checks)).toBe(true);
  });
  it('explain steps follow the compiled checks, and a check that is not compiled leaves no step', async () => {
    const auth = createRestAuth({ policy: { allowGroups: ['users'] }, rateLimit: { enabled: true, limit: 5 } }, { strategies: [staticStrategy()] });
    const { steps } = await auth.explain({ method: 'GET', url: '/x', headers: { authorization: 'Bearer bob' }, remoteAddress: '127.0.0.1' });
    expect(steps).toEqual([
      { check: 'credentials', result: 'pass', detail: 'bearer credential present' },
      { check: 'verify', result: 'pass', detail: 'verified by static as bob' },
      { check: 'allowGroups', result: 'pass', detail: 'member of an allowed group' },
      { check: 'rateLimit', result: 'pass', detail: '4 of 5 left' },
    ]);
  });
  it('a check that throws something unexpected denies under its own name, never a 500', async () => {
    const auth = createRestAuth({}, { strategies: [staticStrategy()] });
    const { decision, steps } = await auth.explain({ method: 'GET', url: '/x', headers: { authorization: 'Bearer boom' } });
    expect(decision).toMatchObject({ status: 401, reason: 'verify' });
    expect(steps.at(-1)).toEqual({ check: 'verify', result: 'fail', detail: 'Token could not be verified' });
  });
});
