import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restauth, tempDir, writeJson } from './cli-process.test-helper.js';

let tmp: { dir: string; remove: () => Promise<void> };
const files: Record<'old' | 'next' | 'broken', string> = { old: '', next: '', broken: '' };
const SECRET = 'diff-test-secret-of-at-least-32-bytes-long';
const provider = (name: string, audience = 'api') => ({ name, type: 'jwt', issuer: `https://${name}.example`, audience, secret: SECRET });

beforeAll(async () => {
  tmp = await tempDir();
  files.old = await writeJson(tmp.dir, 'old.json', {
    providers: [provider('corp'), provider('legacy'), provider('partner')],
    policy: { bypass: ['GET /health'], allowGroups: ['users'] },
    rateLimit: { enabled: true, limit: 100, store: { type: 'redis', url: 'redis://:hunter2@cache:6379' } },
  });
  files.next = await writeJson(tmp.dir, 'next.json', {
    providers: [provider('corp'), provider('partner', 'partner-api'), provider('new')],
    policy: { bypass: ['GET /health', 'GET /ready'], allowGroups: ['staff'] },
    rateLimit: { enabled: true, limit: 200, store: { type: 'redis', url: 'redis://:s3cret@cache:6379' } },
  });
  files.broken = await writeJson(tmp.dir, 'broken.json', { providers: [provider('corp')], polcy: {} });
});
afterAll(() => tmp.remove());

describe('restauth config check --diff OLD NEW', () => {
  it('prints providers added, removed and changed, policy lines, and other settings by path without values', async () => {
    const r = await restauth(['config', 'check', '--diff', files.old, files.next, '--no-color']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      '+ provider new',
      '- provider legacy',
      '~ provider partner',
      '+ policy allowGroups: staff',
      '+ policy bypass: GET /ready',
      '- policy allowGroups: users',
      '~ rateLimit.limit',
      '~ rateLimit.store.url',
    ]);
    expect(r.stdout).not.toMatch(/hunter2|s3cret/);
  });

  it('--json gives the diff as data; identical files say "no changes"', async () => {
    const r = await restauth(['config', 'check', '--diff', files.old, files.next, '--json']);
    expect(JSON.parse(r.stdout).diff.providers).toEqual({ added: ['new'], removed: ['legacy'], changed: ['partner'] });
    const same = await restauth(['config', 'check', '--diff', files.old, files.old]);
    expect(same.stdout.trim()).toBe('no changes');
  });

  it('an invalid NEW is what a reload would refuse: its problems with their paths, exit 2', async () => {
    const r = await restauth(['config', 'check', '--diff', files.old, files.broken, '--no-color']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('a reload to it would be refused');
    expect(r.stdout).toContain('polcy');
  });

  it('--diff needs exactly two files; two files need --diff', async () => {
    expect((await restauth(['config', 'check', '--diff', files.old])).code).toBe(2);
    expect((await restauth(['config', 'check', files.old, files.next])).code).toBe(2);
  });
});
