import { join } from 'node:path';
import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, restauth, tempDir, writeJson } from './cli-process.test-helper.js';

let idp: TestIdp;
let tmp: { dir: string; remove: () => Promise<void> };
let config: string;
let alice: string;
let eve: string;

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  tmp = await tempDir();
  config = await writeJson(tmp.dir, 'restauth.config.json', {
    realm: 'api',
    providers: [{ name: 'local', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri }],
    policy: {
      bypass: ['GET /health'],
      readOnlyGroups: ['guests'],
      rules: [{ match: '/api/admin/**', groups: ['admins'] }],
    },
    audit: { enabled: true, sink: { type: 'file', path: join(tmp.dir, 'audit.log') } },
  });
  [alice, eve] = await Promise.all([idp.userToken('alice'), idp.userToken('eve')]);
});

afterAll(async () => {
  await idp?.close();
  await tmp?.remove();
});

describe('restauth test-token', () => {
  it('allows alice (exit 0) and shows the principal and the checks', async () => {
    const r = await restauth(['test-token', '--config', config, alice, '--path', '/api/admin/users']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ALLOW');
    expect(r.stdout).toMatch(/username\s+alice/);
    expect(r.stdout).toMatch(/groups\s+users, admins/);
    expect(r.stdout).toMatch(/provider\s+local \(jwt\)/);
    expect(r.stdout).toMatch(/decided by\s+authenticated: every check passed/);
    expect(r.stdout).toMatch(/verify\s+pass\s+verified by local as alice/);
    expect(r.stdout).toMatch(/rule\s+pass/);
  });

  it('denies eve on an admin route (exit 1) and names the rule that decided', async () => {
    const r = await restauth(['test-token', '--config', config, eve, '--method', 'GET', '--path', '/api/admin/users']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('DENY');
    expect(r.stdout).toContain('403 forbidden');
    expect(r.stdout).toMatch(/decided by\s+rule: Requires membership of one of: admins/);
    expect(r.stdout).toMatch(/rule\s+fail\s+Requires membership of one of: admins\s+← decided/);
    expect(r.stdout).toMatch(/username\s+eve/);
  });

  it('denies a write by a read-only group, and the real method decides', async () => {
    const r = await restauth(['test-token', '--config', config, eve, '-X', 'post', '--path', '/api/items', '-H', 'X-HTTP-Method-Override: GET']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/decided by\s+readOnly: Read-only access: POST is not allowed/);
  });

  it('prints one JSON document with --json', async () => {
    const r = await restauth(['test-token', '--config', config, eve, '--path', '/api/admin/users', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      decision: 'deny', allowed: false, status: 403, reason: 'rule',
      decidedBy: { check: 'rule', result: 'fail' },
      error: { code: 'forbidden' },
      request: { method: 'GET', path: '/api/admin/users', ip: '127.0.0.1' },
      principal: { username: 'eve', groups: ['guests'], provider: 'local', tokenType: 'jwt', clientId: 'restauth-test', subject: 'eve' },
    });
    expect(out.steps.map((s: { check: string }) => s.check)).toEqual(['bypass', 'credentials', 'verify', 'readOnly', 'rule']);

    const ok = JSON.parse((await restauth(['test-token', '--config', config, alice, '--json'])).stdout);
    expect(ok).toMatchObject({ decision: 'allow', allowed: true, status: 200, reason: 'authenticated', principal: { username: 'alice' }, error: null });
  });

  it('rejects a token with the wrong audience or an expired one at the verify check', async () => {
    const wrongAud = await idp.signJwt({ iss: idp.issuer, aud: 'other-api', sub: 'mallory', exp: Math.floor(Date.now() / 1000) + 300 });
    const r = await restauth(['test-token', '--config', config, wrongAud, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: 'deny', status: 401, reason: 'verify', error: { code: 'invalid_token' }, principal: null });

    const expired = await idp.signJwt({ iss: idp.issuer, aud: 'api', sub: 'alice', exp: 1000 });
    const e = await restauth(['test-token', '--config', config, expired]);
    expect(e.code).toBe(1);
    expect(e.stdout).toMatch(/decided by\s+verify:/);
    expect(e.stdout).toContain('401 invalid_token');
  });

  it('passes a bypassed route and a public one, and reads the token from stdin with "-"', async () => {
    const health = await restauth(['test-token', '--config', config, '-', '--path', '/health'], { input: `Bearer ${eve}\n` });
    expect(health.code).toBe(0);
    expect(health.stdout).toMatch(/decided by\s+bypass: matches bypass "GET \/health"/);

    const pub = await restauth(['test-token', '--config', config, '-', '--path', '/public/info', '--public', '--json'], { input: alice });
    expect(pub.code).toBe(0);
    expect(JSON.parse(pub.stdout).steps[1]).toMatchObject({ check: 'public-route', result: 'pass' });
  });

  it('finds the config in RESTAUTH_CONFIG and in the working directory', async () => {
    expect((await restauth(['test-token', alice], { env: { RESTAUTH_CONFIG: config } })).code).toBe(0);
    expect((await restauth(['test-token', alice], { cwd: tmp.dir })).code).toBe(0);
  });

  it('is plain text when piped, coloured when forced, plain again with NO_COLOR', async () => {
    const piped = await restauth(['test-token', '--config', config, eve, '--path', '/api/admin/x']);
    expect(piped.stdout).not.toMatch(ANSI);
    const forced = await restauth(['test-token', '--config', config, eve, '--path', '/api/admin/x'], { env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(ANSI);
    const noColor = await restauth(['test-token', '--config', config, eve, '--path', '/api/admin/x'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(noColor.stdout).not.toMatch(ANSI);
  });

  it('exits 2 for usage and config errors', async () => {
    const missing = await restauth(['test-token', '--config', config]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing argument: TOKEN');
    expect(missing.stderr).toContain('restauth test-token --help');

    const badIp = await restauth(['test-token', '--config', config, alice, '--ip', '10.0.0.999']);
    expect(badIp.code).toBe(2);
    expect(badIp.stderr).toContain('--ip must be an IPv4 or IPv6 address');

    const unknown = await restauth(['test-token', '--config', config, alice, '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--bogus'/i);

    const bad = await writeJson(tmp.dir, 'bad.json', { providers: [{ name: 'x', type: 'jwt', issuer: 'https://idp', audience: 'api' }], policy: { ipAllow: ['nope'] } });
    const invalid = await restauth(['test-token', '--config', bad, alice]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('invalid config');
    expect(invalid.stderr).toContain('policy.ipAllow[0]');

    const json = await restauth(['test-token', '--config', join(tmp.dir, 'none.json'), alice, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'config', message: expect.stringContaining('no such file') } });
  });
});
