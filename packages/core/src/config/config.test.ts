import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { configJsonSchema, loadConfig, validateConfig } from './load.js';

const jwt = { name: 'corp', type: 'jwt', issuer: 'https://idp.example.com', audience: 'api', jwksUri: 'https://idp.example.com/jwks' };

function issuesOf(input: unknown, env: Record<string, string> = {}): { path: string; message: string }[] {
  try {
    validateConfig(input, { env });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

describe('validateConfig', () => {
  it('accepts {"enabled": false} alone and fills every default', () => {
    const c = validateConfig({ enabled: false });
    expect(c.enabled).toBe(false);
    expect(c.realm).toBe('api');
    expect(c.providers).toEqual([]);
    expect(c.policy.clientIpHeader).toBe('x-forwarded-for');
    expect(c.rateLimit).toMatchObject({ enabled: false, limit: 100, windowSec: 60, by: 'principal', store: { type: 'memory' }, onStoreError: 'deny' });
    expect(c.audit.retention).toEqual({ maxAgeDays: 30, maxEntries: 100000 });
  });

  it('fills provider defaults: asymmetric algorithms, audience list, claims', () => {
    const c = validateConfig({ providers: [jwt] });
    const p = c.providers[0]!;
    expect(p).toMatchObject({ type: 'jwt', audience: ['api'], usernameClaim: 'preferred_username', groupsClaim: 'groups', clockToleranceSec: 30 });
    expect((p as { algorithms: string[] }).algorithms).toContain('RS256');
    expect((p as { algorithms: string[] }).algorithms).not.toContain('HS256');
  });

  it('does not modify the caller\'s object', () => {
    const input = { providers: [{ ...jwt }], policy: { bypass: ['GET /health'] } };
    const copy = structuredClone(input);
    validateConfig(input);
    expect(input).toEqual(copy);
  });

  it('names a typo with its path and a suggestion', () => {
    expect(issuesOf({ providers: [{ ...jwt, jwksURI: 'x' }] })).toContainEqual({ path: 'providers[0].jwksURI', message: 'unknown key (did you mean "jwksUri"?)' });
    expect(issuesOf({ polcy: {} })).toContainEqual({ path: 'polcy', message: 'unknown key (did you mean "policy"?)' });
  });

  it('names a wrong type with its path', () => {
    expect(issuesOf({ rateLimit: { limit: '100' } })).toContainEqual({ path: 'rateLimit.limit', message: 'expected a number, got string "100"' });
    expect(issuesOf({ policy: { allowGroups: 'admins' } })).toContainEqual({ path: 'policy.allowGroups', message: 'expected an array, got string "admins"' });
    expect(issuesOf({ enabled: 'yes' })).toContainEqual({ path: 'enabled', message: 'expected true or false, got string "yes"' });
  });

  it('names a missing required field', () => {
    const { issuer: _drop, ...noIssuer } = jwt;
    expect(issuesOf({ providers: [noIssuer] })).toContainEqual({ path: 'providers[0].issuer', message: 'is required' });
  });

  it('reports every mistake at once', () => {
    expect(issuesOf({ realm: 5, rateLimit: { by: 'user' }, providers: [{ name: 'x' }] })).toHaveLength(3);
  });

  it('rejects an unknown provider type and an unknown preset', () => {
    expect(issuesOf({ providers: [{ name: 'a', type: 'saml' }] })[0]?.path).toBe('providers[0].type');
    expect(issuesOf({ providers: [{ name: 'a', preset: 'nope' }] })[0]?.path).toBe('providers[0].preset');
  });

  it('requires exactly one key source', () => {
    const { jwksUri: _j, ...none } = jwt;
    expect(issuesOf({ providers: [none] })[0]?.message).toMatch(/exactly one key source/);
    expect(issuesOf({ providers: [{ ...jwt, discovery: true }] })[0]?.message).toMatch(/more than one key source/);
  });

  it('refuses `none` and algorithms that do not fit the key source', () => {
    expect(issuesOf({ providers: [{ ...jwt, algorithms: ['none'] }] })).toContainEqual({ path: 'providers[0].algorithms[0]', message: expect.stringMatching(/"none" is not allowed/) });
    expect(issuesOf({ providers: [{ ...jwt, algorithms: ['HS256'] }] })[0]?.path).toBe('providers[0].algorithms[0]');
    const { jwksUri: _j, ...base } = jwt;
    expect(issuesOf({ providers: [{ ...base, secret: 'x'.repeat(32), algorithms: ['RS256'] }] })[0]?.path).toBe('providers[0].algorithms[0]');
  });

  it('refuses HMAC secrets under 32 bytes', () => {
    const { jwksUri: _j, ...base } = jwt;
    expect(issuesOf({ providers: [{ ...base, secret: 'short-secret' }] })).toContainEqual({ path: 'providers[0].secret', message: 'is too short: at least 32 bytes are required' });
  });

  it('resolves {"env": NAME} secrets and names a missing variable', () => {
    const { jwksUri: _j, ...base } = jwt;
    const c = validateConfig({ providers: [{ ...base, secret: { env: 'JWT_SECRET' } }] }, { env: { JWT_SECRET: 's'.repeat(40) } });
    expect((c.providers[0] as { secret: string }).secret).toBe('s'.repeat(40));
    const issues = issuesOf({ providers: [{ ...base, secret: { env: 'JWT_SECRET' } }] });
    expect(issues).toEqual([{ path: 'providers[0].secret', message: 'environment variable JWT_SECRET is not set' }]);
    expect(issuesOf({ providers: [{ ...base, secret: { env: 'A', other: 1 } }] })[0]?.message).toMatch(/\{"env": "VARIABLE_NAME"\}/);
  });

  it('never puts a secret value in an error message', () => {
    const { jwksUri: _j, ...base } = jwt;
    try {
      validateConfig({ providers: [{ ...base, secret: 'do-not-print-me' }] });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('do-not-print-me');
    }
  });

  it('rejects duplicate provider names and issuers', () => {
    const issues = issuesOf({ providers: [jwt, { ...jwt }] });
    expect(issues.map((i) => i.path)).toEqual(['providers[1].name', 'providers[1].issuer']);
  });

  it('rejects invalid CIDRs and patterns with their path', () => {
    expect(issuesOf({ policy: { ipAllow: ['10.0.0.0/33'] } })).toEqual([{ path: 'policy.ipAllow[0]', message: 'invalid IP address or CIDR range "10.0.0.0/33"' }]);
    expect(issuesOf({ policy: { trustProxy: ['not-an-ip'] } })[0]?.path).toBe('policy.trustProxy[0]');
    expect(issuesOf({ policy: { bypass: ['GET /api/item*'] } })[0]).toMatchObject({ path: 'policy.bypass[0]', message: expect.stringMatching(/whole segment/) });
    expect(issuesOf({ policy: { public: ['FETCH /x'] } })[0]?.message).toMatch(/unknown method/);
    expect(issuesOf({ policy: { rules: [{ match: '/a/**/b' }] } })[0]?.path).toBe('policy.rules[0].match');
    expect(issuesOf({ policy: { public: ['/api/(.*)'] } })[0]?.message).toMatch(/unsupported characters/);
    expect(issuesOf({ policy: { trustProxy: 'yes' } })[0]?.message).toMatch(/expected array or number/);
  });

  it('expands the keycloak preset to a JWT provider', () => {
    const c = validateConfig({ providers: [{ name: 'kc', preset: 'keycloak', baseUrl: 'https://sso.example.com/', realm: 'demo', audience: 'api' }] });
    expect(c.providers[0]).toMatchObject({
      type: 'jwt',
      issuer: 'https://sso.example.com/realms/demo',
      jwksUri: 'https://sso.example.com/realms/demo/protocol/openid-connect/certs',
      audience: ['api'],
      usernameClaim: 'preferred_username',
    });
  });

  it('names a mistake deep in an array of objects', () => {
    const rules = [{ match: '/a' }, { match: '/b' }, { match: '/c', groups: ['admins', ''] }];
    expect(issuesOf({ policy: { rules } })).toEqual([{ path: 'policy.rules[2].groups[1]', message: 'must not be empty' }]);
    expect(issuesOf({ policy: { rules: [{ match: '/a', rateLimit: { limit: 10, windowSec: 1, burts: 5 } }] } }))
      .toEqual([{ path: 'policy.rules[0].rateLimit.burts', message: 'unknown key (did you mean "burst"?)' }]);
  });

  it('names a tag that does not fit the union at the tag\'s path', () => {
    expect(issuesOf({ apiTokens: { store: { type: 'file', path: './tokens' } } }))
      .toEqual([{ path: 'apiTokens.store.type', message: 'must be one of "memory", "redis", "postgres", got string "file"' }]);
    expect(issuesOf({ providers: [{ name: 'a', issuer: 'https://idp.example.com' }] })).toEqual([{ path: 'providers[0]', message: 'needs "preset" or "type"' }]);
    expect(issuesOf({ providers: [{ name: 'a', preset: 'custom', type: 'saml' }] }))
      .toEqual([{ path: 'providers[0].type', message: 'must be one of "jwt", "introspection", "userinfo", got "saml"' }]);
    expect(issuesOf({ providers: [{ ...jwt, jwksUri: undefined, discovery: true, audience: 5 }] }))
      .toEqual([{ path: 'providers[0].audience', message: 'expected string or array, got number 5' }]);
  });

  it('reports a tag naming an Object.prototype member as a mistake, not a crash', () => {
    expect(issuesOf({ providers: [{ name: 'a', type: 'constructor' }] })[0]?.path).toBe('providers[0].type');
    expect(issuesOf({ providers: [{ name: 'a', preset: 'toString' }] })[0]?.path).toBe('providers[0].preset');
    expect(issuesOf({ providers: [{ name: 'a', preset: 'custom', type: 'constructor' }] })[0]?.path).toBe('providers[0].type');
    expect(issuesOf({ rateLimit: { store: { type: 'hasOwnProperty' } } })[0]?.path).toBe('rateLimit.store.type');
  });

  it('says "unknown key" without a guess when no known key is close', () => {
    expect(issuesOf({ rateLimit: { xyzzy: 1 } })).toEqual([{ path: 'rateLimit.xyzzy', message: 'unknown key' }]);
  });

  it('reports a preset\'s mistakes and cross-key checks alongside mistakes in other sections', () => {
    const keycloak = { name: 'kc', preset: 'keycloak', baseUrl: 'https://sso.example.com', realm: 'demo' };
    expect(issuesOf({ providers: [keycloak], rateLimit: { limit: 0 }, audit: { queue: { onFull: 'spill' } }, apiTokens: { defaultLifetimeDays: 400 } })).toEqual([
      { path: 'providers[0].audience', message: 'is required' },
      { path: 'apiTokens.defaultLifetimeDays', message: 'must not exceed apiTokens.maxLifetimeDays' },
      { path: 'rateLimit.limit', message: 'must be at least 1, got 0' },
      { path: 'audit.queue.spillPath', message: 'is required with onFull "spill" unless the sink is a file' },
    ]);
  });

  it('is idempotent: a resolved config validates to itself', () => {
    const once = validateConfig({ providers: [jwt], policy: { bypass: ['GET /health'] } });
    expect(validateConfig(once)).toEqual(once);
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'restauth-config-'));

  it('reads a JSON file', () => {
    const f = join(dir, 'ok.json');
    writeFileSync(f, JSON.stringify({ realm: 'files', providers: [jwt] }));
    expect(loadConfig(f).realm).toBe('files');
  });

  it('explains a missing file and invalid JSON', () => {
    expect(() => loadConfig(join(dir, 'missing.json'))).toThrow(/cannot read/);
    const f = join(dir, 'bad.json');
    writeFileSync(f, '{ "realm": ');
    expect(() => loadConfig(f)).toThrow(/is not valid JSON/);
  });
});

describe('JSON Schema', () => {
  it('the shipped restauth.schema.json is current (npm run schema -w @restauth/core)', () => {
    const shipped = JSON.parse(readFileSync(new URL('../../restauth.schema.json', import.meta.url), 'utf8'));
    expect(shipped).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });

  it('describes unknown keys as errors for editors', () => {
    const s = configJsonSchema() as { additionalProperties: boolean; properties: Record<string, unknown> };
    expect(s.additionalProperties).toBe(false);
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(['providers', 'policy', 'rateLimit', 'apiTokens', 'audit']));
  });
});
