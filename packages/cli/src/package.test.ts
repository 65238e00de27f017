import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeJson } from './cli-process.test-helper.js';

const run = promisify(execFile);
const PACKAGES = fileURLToPath(new URL('../..', import.meta.url));
// What a user gets from the registry, without the registry: the tarballs of this tree, and jose
// (the one third-party dependency) packed from the workspace's own install.
const JOSE = dirname(createRequire(join(PACKAGES, 'jwt', 'package.json')).resolve('jose/package.json'));

let tmp: { dir: string; remove: () => Promise<void> };
let project: string;

/** npm's settings for every call: a private cache, nothing from the registry, none of an outer `npm run`'s. */
function npmEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  const settings = { offline: 'true', cache: join(tmp.dir, 'cache'), audit: 'false', fund: 'false', ignore_scripts: 'true', update_notifier: 'false' };
  return { ...env, ...Object.fromEntries(Object.entries(settings).map(([k, v]) => [`npm_config_${k}`, v])), NO_COLOR: '1' };
}

/**
 * Runs the installed command: `npx --no-install restauth ...` as a user types it, or (quicker,
 * what npx ends up running) the bin npm linked.
 */
async function restauthIn(args: readonly string[], via: 'npx' | 'bin' = 'bin'): Promise<{ code: number; stdout: string; stderr: string }> {
  const [file, pre] = via === 'npx' ? ['npx', ['--no-install', 'restauth']] : [process.execPath, [join(project, 'node_modules', '.bin', 'restauth')]];
  try {
    const { stdout, stderr } = await run(file, [...pre, ...args], { cwd: project, env: npmEnv() });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  tmp = await tempDir();
  const pack = async (cwd: string, args: readonly string[] = []) => {
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', tmp.dir, ...args], { cwd, env: npmEnv() });
    return stdout.trim().split('\n').map((name) => join(tmp.dir, name));
  };
  // One npm for the three workspaces (npm's start-up is most of the time), one for jose.
  const packed = await Promise.all([pack(join(PACKAGES, '..'), ['-w', '@restauth/core', '-w', '@restauth/jwt', '-w', '@restauth/cli']), pack(JOSE)]);
  const tarballs = packed.flat();
  expect(tarballs.map((t) => t.slice(tmp.dir.length + 1))).toEqual(['core', 'jwt', 'cli', 'jose'].map((name) => expect.stringMatching(new RegExp(`^(restauth-)?${name}-\\d+\\.\\d+\\.\\d+\\.tgz$`))));
  project = join(tmp.dir, 'project');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'uses-restauth-cli', private: true }));
  await run('npm', ['install', ...tarballs], { cwd: project, env: npmEnv() });
});
afterAll(() => tmp?.remove());

describe('@restauth/cli installed from its tarball', () => {
  it('installs neither ioredis nor pg, nor the store plugins', () => {
    const top = readdirSync(join(project, 'node_modules'));
    expect(readdirSync(join(project, 'node_modules', '@restauth')).sort()).toEqual(['cli', 'core', 'jwt']);
    expect(top).toContain('jose');
    for (const name of ['ioredis', 'pg']) expect(top).not.toContain(name);
    expect(existsSync(join(project, 'node_modules', '.bin', 'restauth'))).toBe(true);
  });

  it('runs: npx restauth --help', async () => {
    const r = await restauthIn(['--help'], 'npx');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: restauth <command> [options]');
  });

  it('names the package to install when a config needs Redis or PostgreSQL (exit 2)', async () => {
    const redis = await writeJson(project, 'redis.json', { apiTokens: { enabled: true, store: { type: 'redis', url: 'redis://127.0.0.1:6379' } } });
    const r = await restauthIn(['tokens', 'list', '--config', redis]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: apiTokens.store needs @restauth/redis, which is not installed');
    expect(r.stderr).toContain('Install it beside @restauth/cli: npm install @restauth/redis');

    const postgres = await writeJson(project, 'postgres.json', { audit: { enabled: true, sink: { type: 'postgres', url: 'postgres://127.0.0.1:5432/test' } } });
    const json = await restauthIn(['audit', 'tail', '--config', postgres, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: 'config', message: 'audit.sink needs @restauth/postgres, which is not installed', hint: 'Install it beside @restauth/cli: npm install @restauth/postgres' },
    });

    // config check does not connect to stores, so it needs neither package.
    const check = await restauthIn(['config', 'check', redis]);
    expect(check.code).toBe(0);
  });
});
