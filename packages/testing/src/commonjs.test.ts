/**
 * A CommonJS test project can `require('@restauth/testing')`: the package's `require` entry is
 * the built dist/index.cjs, and that build still loads the ESM-only oidc-provider with a real
 * `import()` (a bundler that rewrote it to `require()` would break on Node without require(esm)).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../', import.meta.url));
const cjsEntry = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));

// Run in a child process, as a CommonJS test file would: require by package name, start the
// IdP, issue a token and check its signature key against the JWKS, close, and let node exit.
const script = `
const assert = require('node:assert/strict');
const testing = require('@restauth/testing');
(async () => {
  const idp = await testing.startIdp();
  const token = await idp.userToken('alice');
  const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
  const jwks = await (await fetch(idp.jwksUri)).json();
  assert.ok(jwks.keys.some((k) => k.kid === header.kid));
  await idp.close();
  console.log(JSON.stringify({ resolved: require.resolve('@restauth/testing'), issuer: idp.issuer, typ: header.typ }));
})().catch((e) => { console.error(e); process.exitCode = 1; });
`;

describe('CommonJS', () => {
  it('the CJS build keeps import() for the ESM-only oidc-provider and jose', () => {
    const code = readFileSync(cjsEntry, 'utf8');
    expect(code).toMatch(/import\(\s*["']oidc-provider["']\s*\)/);
    expect(code).not.toMatch(/require\(\s*["']oidc-provider["']\s*\)/);
    expect(code).not.toMatch(/require\(\s*["']jose["']\s*\)/);
  });

  it('require() starts the IdP, issues a token and stops it', async () => {
    // Where node can turn require(esm) off, do: only a kept import() can load oidc-provider then.
    const flags = process.allowedNodeEnvironmentFlags.has('--experimental-require-module') ? ['--no-experimental-require-module'] : [];
    const { stdout } = await promisify(execFile)(process.execPath, [...flags, '-e', script], { cwd: packageDir, timeout: 20_000 });
    const out = JSON.parse(stdout) as { resolved: string; issuer: string; typ: string };
    expect(out.resolved).toBe(cjsEntry);
    expect(out.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out.typ).toBe('at+jwt');
  }, 30_000);
});
