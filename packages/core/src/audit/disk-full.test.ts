import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mountTmpfs, type Tmpfs } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from './event.js';
import { createFileAuditSink } from './file-sink.js';
import { createAuditQueue } from './queue.js';

// The audit log and its spill file on a real 1 MiB file system that fills up, then frees.
let disk: Tmpfs;
beforeAll(() => { disk = mountTmpfs({ sizeKiB: 1024 }); });
afterAll(() => disk?.unmount());

const ev = (id: string): AuditEvent => ({
  time: new Date().toISOString(), requestId: id, method: 'GET', path: '/api/items', status: 200, decision: 'allow',
  reason: 'authenticated', username: 'alice', provider: 'corp', tokenType: 'jwt', clientId: 'web', ip: '203.0.113.7',
  userAgent: 'load/1.0', latencyMs: 1, gateStatus: 200, gateLatencyMs: 1,
});

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Every line of the live and rotated logs, each parsed (a torn line fails the test). */
function logLines(dir: string): AuditEvent[] {
  const files = readdirSync(dir).filter((n) => /^audit\.log(\.\d+)?$/.test(n));
  return files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== '').map((l, i) => {
    try {
      return JSON.parse(l) as AuditEvent;
    } catch {
      throw new Error(`${f} line ${i + 1} is not whole JSON: ${l.slice(0, 80)}`);
    }
  }));
}

describe('audit file sink and spill file on a full disk (tmpfs)', () => {
  it('fill, send, free, drain: every event lands exactly once and every line is whole JSON', async () => {
    const dir = join(disk.dir, 'run1');
    const path = join(dir, 'audit.log');
    const errors: string[] = [];
    const queue = createAuditQueue(createFileAuditSink({ path, pruneIntervalMs: 0 }), {
      maxEvents: 100, batchSize: 40, onFull: 'spill', spillPath: `${path}.spill`, minRetryMs: 5, maxRetryMs: 40,
      onError: (e) => errors.push((e as NodeJS.ErrnoException).code ?? String(e)),
    });
    const sent: string[] = [];
    const send = (n: number) => {
      for (let i = 0; i < n; i++) {
        const id = `req-${sent.length}`;
        sent.push(id);
        queue.push(ev(id));
      }
    };
    send(50);
    await queue.flush();
    expect(logLines(dir)).toHaveLength(50);

    const filler = disk.fill();
    // Under load while the disk is full: writes fail part-way (a page's slack), the queue
    // overflows into the spill file on the same full disk.
    // 20 bursts: after the space comes back, the log and the spill file being drained must both
    // fit on the 1 MiB disk (an event line is about 330 bytes).
    for (let burst = 0; burst < 20; burst++) {
      send(60);
      await new Promise((r) => setTimeout(r, 10));
    }
    await until(() => errors.filter((c) => c === 'ENOSPC').length >= 5);
    expect(queue.stats().written).toBeLessThan(sent.length);
    expect(queue.stats().spilled).toBeGreaterThan(0); // the spill file, on the same full disk, was needed too

    disk.free(filler);
    send(20); // and some more after the space came back
    await queue.flush();
    await queue.close();

    const lines = logLines(dir);
    const ids = lines.map((e) => e.requestId);
    expect(new Set(ids).size).toBe(sent.length); // nothing lost
    expect(ids).toHaveLength(sent.length); // nothing doubled
    expect(ids).toEqual(sent); // and in order
    expect(queue.stats().dropped).toBe(0);
    expect(existsSync(`${path}.spill`)).toBe(false);
  }, 60_000);
});
