import { readFileSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, CLI, INDEX, restauth, tempDir, writeJson } from './cli-process.test-helper.js';

const COMMANDS = ['test-token', 'inspect', 'config check', 'tokens create', 'tokens list', 'tokens revoke', 'tokens roll', 'tokens usage', 'audit tail', 'audit query'];

describe('restauth --help', () => {
  it.each(COMMANDS)('%s --help prints usage, options and examples (exit 0)', async (name) => {
    const r = await restauth([...name.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Usage: restauth ${name} `));
    expect(r.stdout).toContain('Options:');
    expect(r.stdout).toContain('--config FILE');
    expect(r.stdout).toContain('--json');
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).not.toMatch(ANSI);
  });

  it('lists every command, and "help" works like --help', async () => {
    const r = await restauth(['--help']);
    expect(r.code).toBe(0);
    for (const name of COMMANDS) expect(r.stdout).toContain(`  ${name} `);
    expect(r.stdout).toContain('Exit codes: 0 success (allowed), 1 denied or failed, 2 wrong usage or invalid config.');
    expect((await restauth(['help', 'tokens', 'create'])).stdout).toMatch(/^Usage: restauth tokens create /);
    expect((await restauth(['-h'])).stdout).toBe(r.stdout);
  });

  it('prints the usage on stderr with exit 2 when no command is given', async () => {
    const r = await restauth([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: restauth <command>');
    const group = await restauth(['tokens']);
    expect(group.code).toBe(2);
    expect(group.stderr).toContain('Usage: restauth tokens <create|list|revoke|roll|usage>');
    expect((await restauth(['audit', '--help'])).code).toBe(0);
  });

  it('rejects unknown commands and options with exit 2', async () => {
    const r = await restauth(['tokens', 'delete', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "tokens delete"');
    expect(r.stderr).toContain('Run "restauth tokens --help" for usage.');
    const typo = await restauth(['test-tokens']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('did you mean "test-token"?');
    const json = await restauth(['audit', 'query', '--since'], {});
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/option '--since <value>' argument missing/i);
  });

  it('prints its version; dist/cli.js is an executable with a shebang, and only it', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect((await restauth(['--version'])).stdout.trim()).toBe(pkg.version);
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
    expect(readFileSync(INDEX, 'utf8').startsWith('#!')).toBe(false);
  });
});

describe('run() for programmatic use', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let config: string;
  beforeAll(async () => {
    tmp = await tempDir();
    config = await writeJson(tmp.dir, 'restauth.config.json', { providers: [], policy: { bypass: ['GET /health'] } });
  });
  afterAll(() => tmp?.remove());

  async function runWith(argv: string[], tty: boolean, env: Record<string, string | undefined> = {}) {
    const { run } = (await import(pathToFileURL(INDEX).href)) as typeof import('./index.js');
    let stdout = '';
    let stderr = '';
    const code = await run(argv, {
      stdout: { write: (s: string) => (stdout += s), isTTY: tty },
      stderr: { write: (s: string) => (stderr += s), isTTY: false },
      env: { ...env },
      cwd: tmp.dir,
    });
    return { code, stdout, stderr };
  }

  it('colours a terminal, and never a pipe or NO_COLOR', async () => {
    const tty = await runWith(['config', 'check'], true);
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(ANSI);
    expect(tty.stdout).toContain('\x1b[32m\x1b[1m✔');
    expect((await runWith(['config', 'check'], false)).stdout).not.toMatch(ANSI);
    expect((await runWith(['config', 'check'], true, { NO_COLOR: '1' })).stdout).not.toMatch(ANSI);
    expect((await runWith(['config', 'check', '--no-color'], true)).stdout).not.toMatch(ANSI);
    expect((await runWith(['config', 'check', '--json'], true)).stdout).not.toMatch(ANSI);
  });

  it('aligns tables by visible width, colour codes aside', async () => {
    const { stdout } = await runWith(['config', 'check'], true);
    // eslint-disable-next-line no-control-regex
    const plain = stdout.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
    // Where the value column starts on a section's line.
    const column = (label: string) => {
      const line = plain.find((l) => l.startsWith(label)) ?? '';
      return line.length - line.slice(label.length).trimStart().length;
    };
    expect(column('Gate')).toBeGreaterThan('API tokens'.length);
    expect(column('Gate')).toBe(column('Rate limit'));
    expect(column('Gate')).toBe(column('API tokens'));
  });

  it('resolves with the exit code and writes nothing to the real process', async () => {
    const r = await runWith(['test-token', 'x', '--path', '/health'], false);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/decided by\s+bypass/);
    expect((await runWith(['nope'], false)).code).toBe(2);
  });
});
