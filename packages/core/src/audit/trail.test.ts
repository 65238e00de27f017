import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditEventMatches, readAuditFile } from './trail.js';

const event = (i: number, decision: string, path: string) =>
  JSON.stringify({ time: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), decision, path, username: i % 2 ? 'alice' : 'bob' });

describe('audit trail reading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'restauth-trail-'));
  const path = join(dir, 'audit.log');
  // rotated file .1 holds the older events; the live file the newer ones and a line that is not JSON
  writeFileSync(`${path}.1`, [0, 1, 2].map((i) => event(i, 'deny', '/api/a')).join('\n') + '\n');
  writeFileSync(path, [3, 4, 5].map((i) => event(i, i === 4 ? 'allow' : 'deny', '/admin/x')).join('\n') + '\nnot json\n');

  it('pages newest first across rotated files and counts skipped lines', async () => {
    const first = await readAuditFile(path, { limit: 2 });
    expect(first.events.map((e) => e.time?.slice(14, 16))).toEqual(['05', '04']);
    expect(first).toMatchObject({ more: true, skipped: 1 });
    const last = await readAuditFile(path, { limit: 2, offset: 4 });
    expect(last.events.map((e) => e.time?.slice(14, 16))).toEqual(['01', '00']);
    expect(last.more).toBe(false);
  });

  it('filters by decision, user, path prefix and time', async () => {
    const { events } = await readAuditFile(path, { limit: 10, filter: { decision: 'deny', pathPrefix: '/admin/', user: 'alice' } });
    expect(events.map((e) => e.time?.slice(14, 16))).toEqual(['05', '03']);
    expect(auditEventMatches({ time: '2026-01-01T00:03:00.000Z' }, { since: new Date('2026-01-01T00:04:00Z') })).toBe(false);
    expect(auditEventMatches({ time: 'garbage' }, { until: new Date() })).toBe(false);
  });

  it('rejects when the live file is missing', async () => {
    await expect(readAuditFile(join(dir, 'none.log'), { limit: 1 })).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
