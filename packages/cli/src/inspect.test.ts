import { startIdp, TEST_CLIENTS, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restauth, tempDir, writeJson } from './cli-process.test-helper.js';

let idp: TestIdp;
let tmp: { dir: string; remove: () => Promise<void> };
let jwtConfig: string;
let opaqueConfig: string;

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  tmp = await tempDir();
  jwtConfig = await writeJson(tmp.dir, 'jwt.json', {
    providers: [{ name: 'local', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri, usernameClaim: 'email' }],
  });
  opaqueConfig = await writeJson(tmp.dir, 'opaque.json', {
    providers: [
      { name: 'intro', type: 'introspection', introspectionEndpoint: idp.introspectionEndpoint, clientId: 'restauth-test', clientSecret: { env: 'TEST_INTROSPECTION_SECRET' } },
      { name: 'ui', type: 'userinfo', userinfoEndpoint: idp.userinfoEndpoint, usernameClaim: 'preferred_username' },
    ],
  });
});

afterAll(async () => {
  await idp?.close();
  await tmp?.remove();
});

const secretEnv = () => ({ TEST_INTROSPECTION_SECRET: TEST_CLIENTS['restauth-test']?.clientSecret as string });

describe('restauth inspect', () => {
  it('decodes a JWT without a config and lists the username candidates, best first', async () => {
    const r = await restauth(['inspect', await idp.userToken('alice')], { cwd: tmp.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('decoded, NOT verified');
    expect(r.stdout).toMatch(/alg\s+RS256/);
    expect(r.stdout).toMatch(/iss\s+http:\/\/127\.0\.0\.1/);
    const candidates = r.stdout.slice(r.stdout.indexOf('Username candidates'));
    const order = ['preferred_username', 'email', 'sub', 'name'].map((c) => candidates.search(new RegExp(`^  ${c}\\s`, 'm')));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(candidates).not.toMatch(/^ {2}(iss|aud|jti|client_id|scope)\s/m);
  });

  it('matches the issuer to the configured provider and marks its usernameClaim', async () => {
    const r = await restauth(['inspect', '--config', jwtConfig, await idp.userToken('carol'), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ kind: 'jwt', verified: false, provider: 'local', usernameClaim: 'email', username: 'carol@example.com', warnings: [] });
    expect(out.header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(out.claims).toMatchObject({ preferred_username: 'carol', groups: ['users', 'auditors'] });
    expect(out.candidates[0]).toMatchObject({ claim: 'email', value: 'carol@example.com', configured: true });
    expect(out.candidates.map((c: { claim: string }) => c.claim)).toEqual(expect.arrayContaining(['preferred_username', 'sub', 'name']));
  });

  it('warns about what restauth would reject, and finds unusual username claims', async () => {
    const token = await idp.signJwt({ iss: 'https://elsewhere.example', aud: 'api', sub: '6f1c0e7a', upn: 'dave@corp.example', unique_name: 'CORP\\dave', exp: 1000 });
    const r = await restauth(['inspect', '--config', jwtConfig, token]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}upn\s+dave@corp\.example\s+user principal name/m);
    expect(r.stdout).toMatch(/^ {2}unique_name\s+CORP\\dave/m);
    expect(r.stdout).toContain('Suggested: "usernameClaim": "upn"');
    expect(r.stdout).toMatch(/warning: expired/);
    expect(r.stdout).toMatch(/warning: no JWT provider in \S*jwt\.json has issuer "https:\/\/elsewhere\.example"/);
  });

  it('asks the introspection endpoint about an opaque token', async () => {
    const r = await restauth(['inspect', '--config', opaqueConfig, await idp.opaqueUserToken('bob')], { env: secretEnv() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Opaque token\s+accepted by intro \(introspection at /);
    expect(r.stdout).toMatch(/active\s+true/);
    expect(r.stdout).toMatch(/Username\s+bob from "username"/);
    expect(r.stdout).toMatch(/^ {2}username\s+bob\s+.*← configured/m);
  });

  it('asks the userinfo endpoint with --provider, as JSON', async () => {
    const r = await restauth(['inspect', '--config', opaqueConfig, '--provider', 'ui', '--json', await idp.opaqueUserToken('alice')], { env: secretEnv() });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ kind: 'opaque', accepted: true, source: { provider: 'ui', type: 'userinfo' }, username: 'alice', usernameClaim: 'preferred_username' });
    expect(out.claims).toMatchObject({ sub: 'alice', email: 'alice@example.com' });
    expect(out.candidates.map((c: { claim: string }) => c.claim)).toEqual(['preferred_username', 'email', 'sub']);
  });

  it('exits 1 when no endpoint accepts the token, with each reason', async () => {
    const r = await restauth(['inspect', '--config', opaqueConfig, 'not-a-real-token'], { env: secretEnv() });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/intro\s+introspection\s+the token is not active/);
    expect(r.stdout).toMatch(/ui\s+userinfo\s+token not accepted \(HTTP 401\)/);
  });

  it('takes opaque tokens that start with "-" (random tokens do)', async () => {
    const dash = '-Qx3_vL9kTz0aB7mNc2YpR8wE';
    const r = await restauth(['inspect', '--config', opaqueConfig, dash, '--json'], { env: secretEnv() });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'opaque', accepted: false });
    expect((await restauth(['inspect', '--config', opaqueConfig, '--json', '--', '-x'], { env: secretEnv() })).code).toBe(1);
    const short = await restauth(['inspect', '--config', opaqueConfig, '-x']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('a token that starts with "-" goes after "--"');
  });

  it('says when the client credentials are wrong', async () => {
    const r = await restauth(['inspect', '--config', opaqueConfig, '--provider', 'intro', '--json', 'x'], { env: { TEST_INTROSPECTION_SECRET: 'wrong' } });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).attempts[0].reason).toMatch(/refused client "restauth-test"/);
  });

  it('authenticates to the endpoint the way the gate does (client_secret_post here)', async () => {
    const post = await writeJson(tmp.dir, 'post.json', {
      providers: [{ name: 'intro', type: 'introspection', introspectionEndpoint: idp.introspectionEndpoint, clientId: 'restauth-test', clientSecret: { env: 'TEST_INTROSPECTION_SECRET' }, clientAuth: 'client_secret_post' }],
    });
    const r = await restauth(['inspect', '--config', post, '--json', await idp.opaqueUserToken('bob')], { env: secretEnv() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'opaque', accepted: true });
    const wrong = await restauth(['inspect', '--config', post, '--json', await idp.opaqueUserToken('bob')], { env: { TEST_INTROSPECTION_SECRET: 'wrong' } });
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).attempts[0].reason).toMatch(/refused client "restauth-test"/);
  });

  it('exits 2 for an opaque token without any endpoint to ask', async () => {
    const r = await restauth(['inspect', '--config', jwtConfig, 'opaque-token']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no introspection or userinfo provider');
    const unknown = await restauth(['inspect', '--config', opaqueConfig, '--provider', 'nope', 'x'], { env: secretEnv() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no provider named "nope"');
  });
});
