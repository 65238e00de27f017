import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startIdp, TEST_CLIENTS, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys, requireServer, restauth, tempDir, writeJson } from './cli-process.test-helper.js';
import { EXIT_CODES } from './exit-codes.js';

// One scheme for every command family (docs/cli.md, "Exit codes"): 0 success, 1 the command ran
// and the answer is no (or the work failed), 2 wrong usage or invalid input, an invalid config
// file included. One test per code and family.

const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
const PREFIX = `restauth-cli-exit:${process.pid}:${randomUUID().slice(0, 8)}:`;

let idp: TestIdp;
let tmp: { dir: string; remove: () => Promise<void> };
let gate: string;
let invalid: string;
let alice: string;
let eve: string;

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  tmp = await tempDir();
  gate = await writeJson(tmp.dir, 'gate.json', {
    providers: [
      { name: 'local', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri },
      { name: 'intro', type: 'introspection', introspectionEndpoint: idp.introspectionEndpoint, clientId: 'restauth-test', clientSecret: { env: 'TEST_INTROSPECTION_SECRET' } },
    ],
    policy: { rules: [{ match: '/api/admin/**', groups: ['admins'] }] },
    rateLimit: { enabled: false },
    audit: { enabled: true, sink: { type: 'file', path: join(tmp.dir, 'audit.log') } },
  });
  invalid = await writeJson(tmp.dir, 'invalid.json', { providers: [{ name: 'local', type: 'jwt' }], bogus: true });
  [alice, eve] = await Promise.all([idp.userToken('alice'), idp.userToken('eve')]);
});

afterAll(async () => {
  await idp?.close();
  await tmp?.remove();
});

const secretEnv = () => ({ TEST_INTROSPECTION_SECRET: TEST_CLIENTS['restauth-test']?.clientSecret as string });

it('has one name per code', () => {
  expect(EXIT_CODES).toEqual({ ok: 0, allow: 0, problem: 1, deny: 1, failure: 1, usage: 2 });
});

describe('test-token', () => {
  it('0: the request is allowed', async () => {
    expect((await restauth(['test-token', '--config', gate, alice, '--path', '/api/admin/users'], { env: secretEnv() })).code).toBe(0);
  });

  it('1: the request is denied', async () => {
    const r = await restauth(['test-token', '--config', gate, eve, '--path', '/api/admin/users'], { env: secretEnv() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('DENY');
  });

  it('2: an invalid config, or wrong arguments', async () => {
    const r = await restauth(['test-token', '--config', invalid, alice]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid config');
    expect((await restauth(['test-token', '--config', gate, alice, '--ip', 'not-an-ip'], { env: secretEnv() })).code).toBe(2);
  });
});

describe('inspect', () => {
  it('0: the token is decoded or accepted', async () => {
    expect((await restauth(['inspect', alice])).code).toBe(0);
  });

  it('1: no endpoint accepts the token', async () => {
    const r = await restauth(['inspect', '--config', gate, 'not-a-token-anyone-issued'], { env: secretEnv() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Not accepted');
  });

  it('2: an invalid config, or no endpoint to ask', async () => {
    expect((await restauth(['inspect', '--config', invalid, 'opaque-token-value'])).code).toBe(2);
    const jwtOnly = await writeJson(tmp.dir, 'jwt-only.json', { providers: [{ name: 'local', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri }] });
    const r = await restauth(['inspect', '--config', jwtOnly, 'opaque-token-value']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has no introspection or userinfo provider');
  });
});

describe('config check', () => {
  let off: string;
  beforeAll(async () => {
    off = await writeJson(tmp.dir, 'off.json', { enabled: false });
  });

  it('0: the config is valid, warnings or not (without --strict)', async () => {
    const r = await restauth(['config', 'check', off]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('warning: "enabled": false');
  });

  it('1: --strict and the valid config has warnings', async () => {
    const r = await restauth(['config', 'check', off, '--strict', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, warnings: [expect.stringContaining('"enabled": false')] });
    expect((await restauth(['config', 'check', gate, '--strict'], { env: secretEnv() })).code).toBe(0);
  });

  it('2: the config is invalid, unreadable or needs a secret that is not set', async () => {
    const r = await restauth(['config', 'check', invalid]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/has \d+ problems/);
    expect((await restauth(['config', 'check', join(tmp.dir, 'missing.json')])).code).toBe(2);
    expect((await restauth(['config', 'check', gate])).code).toBe(2);
  });
});

describe.skipIf(!(await requireServer('Redis', REDIS_URL)))('tokens', () => {
  let store: string;
  beforeAll(async () => {
    store = await writeJson(tmp.dir, 'redis.json', {
      providers: [{ name: 'corp', type: 'jwt', issuer: 'https://idp.example', audience: 'api', jwksUri: 'https://idp.example/jwks' }],
      apiTokens: { enabled: true, store: { type: 'redis', url: REDIS_URL, keyPrefix: PREFIX } },
    });
  });
  afterAll(() => deleteRedisKeys(REDIS_URL, PREFIX));

  it('0: done', async () => {
    const r = await restauth(['tokens', 'list', '--config', store, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ tokens: [] });
  });

  it('1: an unknown token id', async () => {
    const r = await restauth(['tokens', 'revoke', '--config', store, 'NoSuchToken00000', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ revoked: [], unknown: ['NoSuchToken00000'] });
  });

  it('2: a store the CLI cannot reach (memory), or wrong arguments', async () => {
    const memory = await writeJson(tmp.dir, 'memory.json', { apiTokens: { enabled: true, store: { type: 'memory' } } });
    expect((await restauth(['tokens', 'list', '--config', memory])).code).toBe(2);
    expect((await restauth(['tokens', 'create', '--config', store, '--user', 'alice'])).code).toBe(2);
  });
});

describe('audit', () => {
  it('0: done', async () => {
    await writeFile(join(tmp.dir, 'audit.log'), JSON.stringify({ time: new Date().toISOString(), method: 'GET', path: '/', status: 200, decision: 'allow', reason: 'authenticated' }) + '\n');
    expect((await restauth(['audit', 'tail', '--config', gate], { env: secretEnv() })).code).toBe(0);
  });

  it('1: the trail is not there', async () => {
    const r = await restauth(['audit', 'tail', '--file', join(tmp.dir, 'nothing-yet.log')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no such file');
  });

  it('2: a sink the CLI cannot read, or wrong arguments', async () => {
    const stdoutSink = await writeJson(tmp.dir, 'stdout-sink.json', { audit: { enabled: true, sink: { type: 'stdout' } } });
    expect((await restauth(['audit', 'tail', '--config', stdoutSink])).code).toBe(2);
    expect((await restauth(['audit', 'query', '--config', gate, '--since', 'yesterday'], { env: secretEnv() })).code).toBe(2);
  });
});
