import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mountTmpfs, type Tmpfs } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hs256Token } from './hs256.js';
import { startApp, writeConfig, type RunningApp } from './process.js';
import { TARGETS } from './targets.js';

// Issue 20, point 1, in every example app: the audit log and its spill file on a real small
// tmpfs that fills up under load, then frees. Every answered request has exactly one audit event,
// every line of the live and rotated logs is whole JSON, and the spill file is gone at the end.
const SECRET = 'disk-full-test-secret-of-at-least-32-bytes';
const ISSUER = 'https://idp.example.test';

const now = Math.floor(Date.now() / 1000);
const alice = hs256Token(SECRET, { iss: ISSUER, aud: 'api', sub: 'alice', preferred_username: 'alice', groups: ['users'], iat: now, exp: now + 3600 });

// Per app: 40 events before the fill, 600 while the disk is full, 30 after the free, 20 just
// before the stop. An event line is about 330 bytes, so after the free the log (~230 KB) and the
// spill file being drained (< 200 KB) both fit on the app's own 1 MiB disk.
const BEFORE = 40;
const WHILE_FULL = 600;
const AFTER_FREE = 30;
const BEFORE_STOP = 20;
const WORKERS = 8;
const PROBE = 'probe-';

// One disk per app: a shared one would fill (and free) for all of them at once.
const disks = new Map<string, Tmpfs>();
beforeAll(() => {
  for (const t of TARGETS) disks.set(t.name, mountTmpfs({ sizeKiB: 1024 }));
});
afterAll(() => {
  for (const d of disks.values()) d.unmount();
});

interface AuditHealth { queueDepth: number; spillInUse: boolean; sinkErrors: number; dropped: number }

async function auditHealth(app: RunningApp): Promise<AuditHealth> {
  const res = await fetch(`${app.url}/health/restauth`, { headers: { 'x-request-id': `${PROBE}${Math.random()}` }, signal: AbortSignal.timeout(30_000) });
  const report = JSON.parse(await res.text()) as { checks: { audit: AuditHealth } };
  return report.checks.audit;
}

async function until(what: string, app: RunningApp, check: (h: AuditHealth) => boolean, ms: number): Promise<AuditHealth> {
  const deadline = Date.now() + ms;
  for (;;) {
    const h = await auditHealth(app);
    if (check(h)) return h;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000} s: ${JSON.stringify(h)}\n${app.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every line of the live and rotated logs, each parsed (a torn line fails the test). */
function logLines(dir: string): { requestId: string; path: string; status: number }[] {
  const files = readdirSync(dir).filter((n) => /^audit\.log(\.\d+)?$/.test(n));
  return files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== '').map((l, i) => {
    try {
      return JSON.parse(l) as { requestId: string; path: string; status: number };
    } catch {
      throw new Error(`${f} line ${i + 1} is not whole JSON: ${l.slice(0, 80)}`);
    }
  }));
}

describe('audit file sink and spill file on a full disk (tmpfs), in every example app', () => {
  it.concurrent.each(TARGETS.map((t) => [t.name, t] as const))('%s: fill under load, free, stop: every answered request has exactly one whole audit line', async (name, target) => {
    const disk = disks.get(name) as Tmpfs;
    const log = join(disk.dir, 'audit.log');
    const spill = join(disk.dir, 'audit.spill');
    const config = writeConfig(`disk-full-${name}`, {
      realm: 'disk-full',
      providers: [{ name: 'corp', type: 'jwt', issuer: ISSUER, audience: 'api', secret: SECRET }],
      policy: { bypass: ['GET /health'] },
      // 64 KiB files: the run also rotates, on the full disk too.
      audit: { enabled: true, sink: { type: 'file', path: log, maxFileBytes: 64 * 1024 }, queue: { onFull: 'spill', maxEvents: 50, spillPath: spill } },
    });
    const app = await startApp(target, config);
    const answered = new Map<string, number>();
    let sent = 0;
    const send = async (count: number) => {
      const end = sent + count;
      const worker = async () => {
        while (sent < end) {
          const id = `${name}-${sent++}`;
          const res = await fetch(`${app.url}/api/items`, { headers: { authorization: `Bearer ${alice}`, 'x-request-id': id }, signal: AbortSignal.timeout(30_000) });
          await res.arrayBuffer();
          answered.set(id, res.status);
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, worker));
    };
    try {
      await send(BEFORE);
      await until('the first events on disk', app, (h) => h.queueDepth === 0, 30_000);

      const filler = disk.fill();
      await send(WHILE_FULL);
      // The sink failed on the full disk and the queue overflowed into the spill file (on the same disk).
      const full = await until('a failed write', app, (h) => h.sinkErrors > 0, 30_000);
      expect(full.spillInUse, JSON.stringify(full)).toBe(true);
      disk.free(filler);
      await send(AFTER_FREE);
      // Recovery without a restart: memory and the spill file drain into the log (after at most
      // one retry back-off, which grows while the disk is full: hence the generous wait).
      const drained = await until('the drain', app, (h) => h.queueDepth === 0 && !h.spillInUse, 60_000);
      expect(drained.dropped).toBe(0);
      await send(BEFORE_STOP); // then SIGTERM at once: the close flushes these
    } finally {
      await app.stop();
    }

    expect(answered.size).toBe(BEFORE + WHILE_FULL + AFTER_FREE + BEFORE_STOP);
    for (const [id, status] of answered) expect(status, id).toBe(200);
    const events = logLines(disk.dir).filter((e) => !e.requestId.startsWith(PROBE));
    const ids = events.map((e) => e.requestId);
    const logged = new Set(ids);
    const missing = [...answered.keys()].filter((id) => !logged.has(id));
    expect(missing, app.output().slice(-2000)).toEqual([]);
    expect(logged.size).toBe(ids.length); // none twice
    expect(ids.length).toBe(answered.size); // none that was not answered
    expect(readdirSync(disk.dir).filter((n) => /^audit\.log\.\d+$/.test(n)).length).toBeGreaterThan(0); // it rotated
    // Nothing else is left on the disk: no spill file, no offset file, no temporary file.
    expect(readdirSync(disk.dir).filter((n) => !/^audit\.log(\.\d+)?$/.test(n))).toEqual([]);
  }, 150_000); // five apps start side by side on a shared machine
});
