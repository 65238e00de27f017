/**
 * Every ```json and ```jsonc block in README.md and docs/ is a whole `restauth.config.json` that
 * passes the checks of `restauth config check` (core's validateConfig, then createRestAuth with
 * the JWT plugin and offline stand-ins for Redis and PostgreSQL), so a reader can paste it as is.
 *
 * Two markers, an HTML comment on the line just before the block, say otherwise:
 * - `<!-- fragment: providers[] -->`: one part of a config, checked inside the smallest config
 *   that holds it (here `{"providers": [block]}`; `policy` would be `{"policy": block}`).
 * - `<!-- not-config: what it is -->`: an HTTP body, an audit event, a command's output; it
 *   must still parse.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRestAuth, isRestAuthError, validateConfig, type ConfigIssue, type RestAuthPlugin } from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Block { page: string; line: number; lang: string; marker: string | undefined; text: string }

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}

function jsonBlocks(page: string, source: string): Block[] {
  const lines = source.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(json|jsonc)\s*$/.exec(lines[i] as string);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    let before = i - 1;
    while (before >= 0 && (lines[before] as string).trim() === '') before--;
    const marker = /^<!--\s*((?:fragment|not-config):[^>]*?)\s*-->$/.exec((lines[before] ?? '').trim())?.[1];
    blocks.push({ page, line: i + 1, lang: open[1] as string, marker, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** JSON with `//` and `/* *\/` comments and trailing commas (jsonc), strings left alone. */
function parseJsonc(text: string): unknown {
  const bare = text.replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (m, str: string | undefined) => str ?? '');
  return JSON.parse(bare.replace(/,(\s*[}\]])/g, '$1'));
}

/** `providers[]` + entry → `{"providers": [entry]}`; `policy.rules[]` → `{"policy": {"rules": [...]}}`. */
function inSmallestConfig(path: string, value: unknown): unknown {
  return path.split('.').reduceRight<unknown>((inner, key) => {
    const name = key.replace(/\[\]$/, '');
    return { [name]: key.endsWith('[]') ? [inner] : inner };
  }, value);
}

// `config check` reads {"env": "NAME"} secrets from the environment: give every name a value.
const env = new Proxy<Record<string, string>>({}, {
  get: (_, name) => (typeof name !== 'string' ? undefined
    : name.includes('REDIS') ? 'redis://127.0.0.1:6379'
    : name.includes('DATABASE') || name.includes('PG') ? 'postgres://127.0.0.1:5432/test'
    : `${name.toLowerCase()}-from-the-environment`),
  has: () => true,
});

// Stores that are never used: the check builds the gate and closes it without a request.
const unused = (): never => { throw new Error('docs-json: a store was used'); };
const storesOffline: RestAuthPlugin = {
  name: 'docs-json-offline',
  rateLimitStores: { redis: () => ({ hit: unused }) },
  replayStores: { redis: () => ({ claim: unused }) },
  auditSinks: { postgres: () => ({ write: unused }) },
  apiTokenStores: Object.fromEntries(['redis', 'postgres'].map((type) => [type, () => ({
    create: unused, get: unused, list: unused, revoke: unused, touch: unused, roll: unused, spend: unused, addUsage: unused, usage: unused,
  })])),
};

/** The problems `restauth config check` would print for this config; [] when it is valid. */
async function configIssues(raw: unknown): Promise<string[]> {
  try {
    validateConfig(raw, { env });
    await createRestAuth(raw as Parameters<typeof createRestAuth>[0], { plugins: [jwtPlugin(), storesOffline], env }).close();
    return [];
  } catch (err) {
    if (isRestAuthError(err) && err.code === 'config_error') {
      return (err as unknown as { issues: ConfigIssue[] }).issues.map((i) => `${i.path || '(file)'}: ${i.message}`);
    }
    return [String(err)];
  }
}

/** What is wrong with one block, as lines naming its page and line; [] when nothing is. */
async function blockProblems(b: Block): Promise<string[]> {
  const where = `${b.page}:${b.line}`;
  let value: unknown;
  try {
    value = b.lang === 'jsonc' ? parseJsonc(b.text) : JSON.parse(b.text);
  } catch (err) {
    return [`${where}: not ${b.lang.toUpperCase()} (${(err as Error).message})`];
  }
  if (b.marker?.startsWith('not-config:')) return [];
  const config = b.marker ? inSmallestConfig(b.marker.slice('fragment:'.length).trim(), value) : value;
  return (await configIssues(config)).map((issue) => `${where}${b.marker ? ` (${b.marker})` : ''}: ${issue}`);
}

describe('JSON in the documentation', () => {
  const pages = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];
  const blocks = pages.flatMap((p) => jsonBlocks(relative(root, p), readFileSync(p, 'utf8')));

  it('finds the blocks, most of them whole configs', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(20);
    expect(blocks.filter((b) => b.marker === undefined).length).toBeGreaterThanOrEqual(15);
  });

  it('every block is a valid config, a marked fragment inside one, or marked as no config', async () => {
    const problems = (await Promise.all(blocks.map(blockProblems))).flat();
    expect(problems).toEqual([]);
  });

  it('the check fails on what config check rejects', async () => {
    const page = 'example.md';
    const bad = (text: string, marker?: string) => blockProblems({ page, line: 1, lang: 'json', marker, text });
    expect(await bad('{ "name": "okta", "preset": "okta", "domain": "dev-123456.okta.com" }')).not.toEqual([]);
    expect(await bad('{ "name": "okta", "preset": "okta", "domain": "dev-123456.okta.com" }', 'fragment: providers[]')).toEqual([]);
    expect(await bad('{ "providers": [], "rateLimit": { "limit": "many" } }')).toEqual([expect.stringContaining('rateLimit.limit')]);
    expect(await bad('{ "providers": [{ "name": "x", "type": "jwt", "issuer": "https://x", "audience": "a" }] }')).not.toEqual([]);
    expect(await bad('{ "allowGroups": ["a"] }', 'fragment: policy')).toEqual([]);
    expect(await bad('{ "status": 401, }', 'not-config: a response')).toEqual([expect.stringContaining('not JSON')]);
    expect(parseJsonc('{ "a": "http://x", // note\n "b": [1,], /* c */ }')).toEqual({ a: 'http://x', b: [1] });
  });
});
