import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, restauth, tempDir, writeJson } from './cli-process.test-helper.js';

let idp: TestIdp;
let tmp: { dir: string; remove: () => Promise<void> };
let good: string;
let bad: string;

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  tmp = await tempDir();
  good = await writeJson(tmp.dir, 'good.json', {
    realm: 'orders',
    providers: [
      { name: 'corp', type: 'jwt', issuer: idp.issuer, audience: ['api', 'orders'], jwksUri: idp.jwksUri, algorithms: ['RS256'] },
      { name: 'pinned', type: 'jwt', issuer: 'https://pinned.example', audience: 'api', publicKey: idp.publicKeyPem, usernameClaim: 'email' },
      { name: 'opaque', type: 'introspection', introspectionEndpoint: idp.introspectionEndpoint, clientId: 'restauth-test', clientSecret: { env: 'INTROSPECTION_SECRET' } },
    ],
    apiTokens: { enabled: true, store: { type: 'redis', url: 'redis://:hunter2@cache.internal:6379', keyPrefix: 'orders:' }, creatorGroups: ['token-creators'], adminGroups: ['admins'] },
    policy: {
      allowGroups: ['users'],
      readOnlyGroups: ['auditors'],
      trustProxy: ['10.0.0.0/8'],
      bypass: ['GET /health'],
      public: ['GET /public/**'],
      rules: [{ match: 'POST /api/admin/**', groups: ['admins'], scopes: ['admin'] }],
    },
    rateLimit: { enabled: true, limit: 100, windowSec: 60, by: 'principal' },
    audit: { enabled: true, sink: { type: 'file', path: './audit.log' } },
  });
  bad = await writeJson(tmp.dir, 'bad.json', {
    providers: [{ name: 'bad name', type: 'jwt', issuer: 'https://idp', audience: 'api', jwksUri: 'not a url' }],
    policy: { ipAllow: ['10.0.0.300'], rules: [{ match: 'GET api' }] },
    rateLimit: { limit: 'many' },
    bogus: true,
  });
});

afterAll(async () => {
  await idp?.close();
  await tmp?.remove();
});

const env = { INTROSPECTION_SECRET: 'from-the-environment' };

describe('restauth config check', () => {
  it('says in words what a valid config enables (exit 0)', async () => {
    const r = await restauth(['config', 'check', good], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/✔ \S*good\.json is valid/);
    expect(out).toMatch(/Gate\s+on, realm "orders"/);
    expect(out).toMatch(/Providers\s+3, tried in order/);
    expect(out).toMatch(/corp\s+JWTs from issuer http:\/\/127\.0\.0\.1:\d+, audience api, orders/);
    expect(out).toContain(`keys from the JWKS at ${idp.jwksUri}`);
    expect(out).toContain('algorithms: RS256');
    expect(out).toContain('a PEM public key written in the config');
    expect(out).toContain('username from "email"');
    expect(out).toContain(`opaque tokens checked by RFC 7662 introspection at ${idp.introspectionEndpoint}`);
    expect(out).toContain('secret from $INTROSPECTION_SECRET');
    expect(out).not.toContain('from-the-environment');
    expect(out).toMatch(/API tokens\s+on, stored in Redis at redis:\/\/:\*\*\*@cache\.internal:6379, key prefix "orders:"/);
    expect(out).not.toContain('hunter2');
    expect(out).toContain('created by members of token-creators');
    expect(out).toContain('only members of users get in');
    expect(out).toContain('read-only (GET, HEAD, OPTIONS) for auditors');
    expect(out).toContain('client IP from x-forwarded-for, trusting proxies 10.0.0.0/8');
    expect(out).toContain('bypassed entirely: "GET /health"');
    expect(out).toContain('rule "POST /api/admin/**": needs a member of admins with scopes admin');
    expect(out).toMatch(/Rate limit\s+100 requests per 60s per principal/);
    expect(out).toMatch(/Audit\s+every decision written to the JSON Lines file \.\/audit\.log/);
    expect(out).toContain('warning: rateLimit.store is "memory"');
    expect(out).not.toMatch(ANSI);
  });

  it('prints the same as JSON', async () => {
    const r = await restauth(['config', 'check', '--config', good, '--json'], { env });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ valid: true, gate: 'on, realm "orders"', basicAuth: 'off' });
    expect(out.providers.map((p: { name: string; type: string }) => `${p.name}:${p.type}`)).toEqual(['corp:jwt', 'pinned:jwt', 'opaque:introspection']);
    expect(out.warnings).toEqual(['rateLimit.store is "memory": with several instances each counts on its own']);
  });

  it('lists every problem with its path (exit 2)', async () => {
    const r = await restauth(['config', 'check', bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/✖ \S*bad\.json has \d+ problems/);
    for (const path of ['bogus', 'providers[0].name', 'providers[0].jwksUri', 'policy.ipAllow[0]', 'policy.rules[0].match', 'rateLimit.limit']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${path.replace(/[[\].]/g, '\\$&')}\\s+\\S`, 'm'));
    }
    const json = JSON.parse((await restauth(['config', 'check', bad, '--json'])).stdout);
    expect(json.valid).toBe(false);
    expect(json.issues).toEqual(expect.arrayContaining([
      { path: 'policy.ipAllow[0]', message: 'invalid IP address or CIDR range "10.0.0.300"' },
      expect.objectContaining({ path: 'rateLimit.limit' }),
    ]));
  });

  it('reports a missing {"env"} secret, unreadable files and broken JSON as problems (exit 2)', async () => {
    const noSecret = await restauth(['config', 'check', good]);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stdout).toMatch(/providers\[2\]\.clientSecret\s+environment variable INTROSPECTION_SECRET is not set/);

    const missing = await restauth(['config', 'check', join(tmp.dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain('no such file');

    await writeFile(join(tmp.dir, 'broken.json'), '{\n  "enabled": true,\n  "realm": \n}\n');
    const broken = await restauth(['config', 'check', 'broken.json'], { cwd: tmp.dir });
    expect(broken.code).toBe(2);
    expect(broken.stdout).toContain('broken.json is not valid JSON');
  });

  it('catches start-up errors beyond the schema, offline', async () => {
    const pem = await writeJson(tmp.dir, 'pem.json', {
      providers: [{ name: 'p', type: 'jwt', issuer: 'https://p.example', audience: 'api', publicKey: '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----' }],
      apiTokens: { enabled: true, store: { type: 'postgres', url: 'postgres://db.invalid:5432/x' } },
    });
    const r = await restauth(['config', 'check', pem, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).issues[0].path).toMatch(/^providers\[0\]/);
  });

  it('uses ./restauth.config.json by default and warns about a gate that lets everything through', async () => {
    await writeJson(tmp.dir, 'restauth.config.json', { enabled: false });
    const r = await restauth(['config', 'check'], { cwd: tmp.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Gate\s+OFF: every request passes through untouched/);
    expect(r.stdout).toContain('warning: "enabled": false');
  });
});
