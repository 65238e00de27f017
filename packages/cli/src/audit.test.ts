import { randomUUID } from 'node:crypto';
import { appendFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEvent } from '@restauth/core';
import { createPostgresAuditSink } from '@restauth/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, interrupt, requireServer, restauth, spawnCli, tempDir, writeJson } from './cli-process.test-helper.js';

let tmp: { dir: string; remove: () => Promise<void> };
let config: string;
const NOW = Date.now();

/** An audit event as core's file sink writes it, `minutesAgo` before the test started. */
function event(minutesAgo: number, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    time: new Date(NOW - minutesAgo * 60_000).toISOString(), requestId: `r-${minutesAgo}`, method: 'GET', path: '/api/items',
    status: 200, decision: 'allow', reason: 'authenticated', username: 'alice', provider: 'corp', tokenType: 'jwt',
    clientId: 'web', ip: '203.0.113.7', userAgent: 'curl/8', latencyMs: 3, ...fields,
  });
}
const eveDenied = (minutesAgo: number) => event(minutesAgo, { username: 'eve', decision: 'deny', status: 403, reason: 'rule', path: '/api/admin/users' });

beforeAll(async () => {
  tmp = await tempDir();
  // The live file and one rotated file (older), as the file sink leaves them.
  await writeFile(join(tmp.dir, 'audit.log.1'), [event(300), eveDenied(290), event(280)].join('\n') + '\n');
  await writeFile(join(tmp.dir, 'audit.log'), [
    event(150), eveDenied(120), 'this line is not JSON', event(90, { username: 'bob' }), eveDenied(45),
    event(30, { decision: 'would-deny', reason: 'allowGroups' }), eveDenied(10), event(5),
  ].join('\n') + '\n');
  config = await writeJson(tmp.dir, 'restauth.config.json', {
    providers: [{ name: 'corp', type: 'jwt', issuer: 'https://idp.example', audience: 'api', jwksUri: 'https://idp.example/jwks' }],
    audit: { enabled: true, sink: { type: 'file', path: './audit.log' } },
  });
});

afterAll(async () => {
  await tmp?.remove();
});

describe('restauth audit tail', () => {
  it('shows the last events of the configured file sink as a table', async () => {
    const r = await restauth(['audit', 'tail', '-n', '3'], { cwd: tmp.dir });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+DECISION\s+STATUS\s+REQUEST\s+USER\s+REASON\s+IP\s+LATENCY$/);
    expect(lines.slice(1)).toHaveLength(3);
    expect(lines[1]).toMatch(/WOULD-DENY\s+200\s+GET \/api\/items\s+alice \(corp\)\s+allowGroups\s+203\.0\.113\.7\s+3ms/);
    expect(lines[2]).toMatch(/DENY\s+403\s+GET \/api\/admin\/users\s+eve \(corp\)\s+rule/);
    expect(lines[3]).toMatch(/ALLOW\s+200/);
    expect(r.stdout).not.toMatch(ANSI);
  });

  it('reaches into rotated files when the live one has fewer lines, and skips non-JSON lines', async () => {
    const r = await restauth(['audit', 'tail', '-n', '9', '--json', '--config', config], { cwd: tmp.dir });
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events).toHaveLength(9);
    expect(events[0].requestId).toBe('r-290');
    expect(events.at(-1).requestId).toBe('r-5');
    expect(r.stderr).toContain('1 line was not JSON');
  });

  it('filters by user and decision, and reads --file', async () => {
    const r = await restauth(['audit', 'tail', '--file', join(tmp.dir, 'audit.log'), '--user', 'eve', '--decision', 'deny', '--json']);
    expect(r.code).toBe(0);
    const ids = r.stdout.trim().split('\n').map((l) => JSON.parse(l).requestId);
    expect(ids).toEqual(['r-290', 'r-120', 'r-45', 'r-10']);
  });

  it('follows new events until interrupted, across a rotation', async () => {
    const { dir, remove } = await tempDir();
    const file = join(dir, 'audit.log');
    await writeFile(file, event(2) + '\n');
    const child = spawnCli(['audit', 'tail', '--file', file, '--follow', '-n', '1']);
    let out = '';
    const waiting = new Set<() => void>();
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      for (const check of waiting) check();
    });
    const seen = (text: string) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`"${text}" never appeared in:\n${out}`)), 10_000);
      const check = () => {
        if (!out.includes(text)) return;
        clearTimeout(timer);
        waiting.delete(check);
        resolve();
      };
      waiting.add(check);
      check();
    });
    try {
      await seen('alice');
      await appendFile(file, eveDenied(1) + '\n');
      await seen('eve');
      await rename(file, `${file}.1`);
      await writeFile(file, event(0, { requestId: 'after-rotation', username: 'carol' }) + '\n');
      await seen('carol');
      expect(await interrupt(child)).toBe(0);
      expect(out.split('\n')[0]).toMatch(/^TIME\s+DECISION/);
      expect(out).toMatch(/DENY\s+403\s+GET \/api\/admin\/users\s+eve/);
    } finally {
      child.kill();
      await remove();
    }
  });
});

describe('restauth audit query', () => {
  it('finds one user\'s denials in the last hour', async () => {
    const r = await restauth(['audit', 'query', '--user', 'eve', '--since', '1h', '--decision', 'deny'], { cwd: tmp.dir });
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^TIME\s+DECISION/);
    expect(rows.slice(1, -1)).toHaveLength(2);
    expect(rows.slice(1, -1).every((l) => /DENY\s+403\s+GET \/api\/admin\/users\s+eve/.test(l))).toBe(true);
    expect(rows.at(-1)).toContain('2 events (2 denied)');
  });

  it('searches rotated files too, prints JSON Lines, and keeps the latest --limit', async () => {
    const all = await restauth(['audit', 'query', '--user', 'eve', '--json', '--config', config], { cwd: tmp.dir });
    expect(all.stdout.trim().split('\n').map((l) => JSON.parse(l).requestId)).toEqual(['r-290', 'r-120', 'r-45', 'r-10']);

    const limited = await restauth(['audit', 'query', '--limit', '2', '--json'], { cwd: tmp.dir });
    expect(limited.stdout.trim().split('\n').map((l) => JSON.parse(l).requestId)).toEqual(['r-10', 'r-5']);

    const window = await restauth(['audit', 'query', '--since', new Date(NOW - 100 * 60_000).toISOString(), '--until', '20m', '--json'], { cwd: tmp.dir });
    expect(window.stdout.trim().split('\n').map((l) => JSON.parse(l).requestId)).toEqual(['r-90', 'r-45', 'r-30']);

    const reason = await restauth(['audit', 'query', '--reason', 'allowGroups', '--json'], { cwd: tmp.dir });
    expect(JSON.parse(reason.stdout)).toMatchObject({ decision: 'would-deny', requestId: 'r-30' });
  });

  it('says when nothing matches', async () => {
    const r = await restauth(['audit', 'query', '--user', 'nobody'], { cwd: tmp.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No matching events');
  });

  it('exits 2 for bad options and for sinks it cannot read', async () => {
    const since = await restauth(['audit', 'query', '--since', 'yesterday'], { cwd: tmp.dir });
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since must be a duration like 30m, 1h, 7d or an ISO 8601 time');

    const decision = await restauth(['audit', 'query', '--decision', 'maybe'], { cwd: tmp.dir });
    expect(decision.code).toBe(2);

    const stdoutSink = await writeJson(tmp.dir, 'stdout.json', { audit: { enabled: true, sink: { type: 'stdout' } } });
    const r = await restauth(['audit', 'tail', '--config', stdoutSink]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('audit.sink in');
    expect(r.stderr).toContain('is "stdout"');

    const missing = await restauth(['audit', 'tail', '--file', join(tmp.dir, 'missing.log')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file');
  });
});

const DATABASE_URL = process.env['DATABASE_URL'] || 'postgres://127.0.0.1:5432/test';
const AUDIT_TABLE = `restauth_cli_audit_${process.pid}_${randomUUID().slice(0, 8)}`.replace(/-/g, '_');

describe.skipIf(!(await requireServer('PostgreSQL', DATABASE_URL)))('restauth audit over the PostgreSQL sink', () => {
  let config: string;
  beforeAll(async () => {
    const sink = createPostgresAuditSink({ url: DATABASE_URL, table: AUDIT_TABLE, pruneIntervalMs: 0 });
    try {
      const lines = [event(300), eveDenied(120), event(90, { username: 'bob' }), eveDenied(45), eveDenied(10), event(5)];
      await sink.write(lines.map((l) => JSON.parse(l) as AuditEvent));
    } finally {
      await sink.close();
    }
    config = await writeJson(tmp.dir, 'pg.json', { audit: { enabled: true, sink: { type: 'postgres', url: DATABASE_URL, table: AUDIT_TABLE } } });
  });
  afterAll(async () => {
    const sink = createPostgresAuditSink({ url: DATABASE_URL, autoMigrate: false, pruneIntervalMs: 0 });
    try {
      await sink.pool.query(`DROP TABLE IF EXISTS "${AUDIT_TABLE}"`);
    } finally {
      await sink.close();
    }
  });

  it('queries by user, time and decision through @restauth/postgres', async () => {
    const r = await restauth(['audit', 'query', '--config', config, '--user', 'eve', '--since', '1h', '--decision', 'deny', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).requestId)).toEqual(['r-45', 'r-10']);

    const human = await restauth(['audit', 'query', '--config', config, '--user', 'eve']);
    expect(human.stdout).toMatch(/DENY\s+403\s+GET \/api\/admin\/users\s+eve \(corp\)\s+rule/);
    expect(human.stdout).toContain('3 events (3 denied) from PostgreSQL table');

    const window = await restauth(['audit', 'query', '--config', config, '--since', '100m', '--until', '20m', '--json']);
    expect(window.stdout.trim().split('\n').map((l) => JSON.parse(l).requestId)).toEqual(['r-90', 'r-45']);
  });

  it('tails the latest rows, oldest first, and refuses --follow', async () => {
    const r = await restauth(['audit', 'tail', '--config', config, '-n', '2', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).requestId)).toEqual(['r-10', 'r-5']);
    const follow = await restauth(['audit', 'tail', '--config', config, '--follow']);
    expect(follow.code).toBe(2);
    expect(follow.stderr).toContain('--follow needs a file sink');
  });

  it('says when the table does not exist, without creating it', async () => {
    const missing = await writeJson(tmp.dir, 'pg-missing.json', { audit: { enabled: true, sink: { type: 'postgres', url: DATABASE_URL, table: `${AUDIT_TABLE}_none` } } });
    const r = await restauth(['audit', 'query', '--config', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the audit table ${AUDIT_TABLE}_none does not exist yet`);
  });
});
