import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './cli-process.test-helper.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
const LAUNCHER = join(PACKAGE_DIR, pkg.bin['restauth'] as string);

let tmp: { dir: string; remove: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp?.remove());

describe('the restauth bin', () => {
  it('is a committed file outside dist/, shipped in the package, executable with a shebang', () => {
    const target = pkg.bin['restauth'] as string;
    expect(target).toBe('./bin/restauth.mjs');
    expect(existsSync(LAUNCHER)).toBe(true);
    expect(pkg.files).toContain('bin');
    // npm links bins when it installs the workspace, before any build: the target must be in git.
    const tracked = execFileSync('git', ['ls-files', '--', target], { cwd: PACKAGE_DIR, encoding: 'utf8' });
    expect(tracked.trim()).toBe('bin/restauth.mjs');
    expect(readFileSync(LAUNCHER, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(LAUNCHER).mode & 0o111).not.toBe(0);
  });

  it('starts the built CLI with its arguments', () => {
    const r = spawnSync(process.execPath, [LAUNCHER, '--help'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: restauth <command> [options]');
    const unknown = spawnSync(process.execPath, [LAUNCHER, 'nope'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "nope"');
  });

  it('says to build first (exit 2) when dist/cli.js is missing', () => {
    mkdirSync(join(tmp.dir, 'bin'));
    const copy = join(tmp.dir, 'bin', 'restauth.mjs');
    copyFileSync(LAUNCHER, copy);
    const r = spawnSync(process.execPath, [copy, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`restauth: ${join(tmp.dir, 'dist', 'cli.js')} is missing: run "npm run build" first.\n`);
  });
});
