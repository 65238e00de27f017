import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './cli-process.test-helper.js';
import { CliError } from './errors.js';
import { EXIT_CODES } from './exit-codes.js';
import { loadPeer } from './plugins.js';

let tmp: { dir: string; remove: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp?.remove());

/** Imports a module in a folder without node_modules that imports `specifier`: Node's own resolution error. */
async function importing(specifier: string): Promise<unknown> {
  const file = join(tmp.dir, `imports-${specifier.replace(/\W/g, '_')}.mjs`);
  await writeFile(file, `export * from '${specifier}';\n`);
  return import(/* @vite-ignore */ pathToFileURL(file).href);
}

describe('loadPeer', () => {
  it('names the package to install when it is not installed (exit 2)', async () => {
    const err = await loadPeer('@restauth/redis', ['rateLimit.store', 'apiTokens.store'], () => importing('@restauth/redis')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err).toMatchObject({
      exitCode: EXIT_CODES.usage,
      code: 'config',
      message: 'rateLimit.store and apiTokens.store need @restauth/redis, which is not installed',
      hint: 'Install it beside @restauth/cli: npm install @restauth/redis',
    });
  });

  it('says the package is broken when something inside it is missing', async () => {
    const err = await loadPeer('@restauth/postgres', ['audit.sink'], () => importing('pg-that-is-not-there')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toMatch(/^@restauth\/postgres could not be loaded: Cannot find package 'pg-that-is-not-there'/);
    expect((err as CliError).hint).toBe('Reinstall it beside @restauth/cli: npm install @restauth/postgres');
    expect((err as CliError).exitCode).toBe(EXIT_CODES.usage);
  });

  it('returns the module when it loads', async () => {
    const mod = await loadPeer('@restauth/redis', ['rateLimit.store'], () => import('@restauth/redis'));
    expect(typeof mod.redisPlugin).toBe('function');
  });
});
