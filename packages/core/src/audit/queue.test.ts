import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditEvent } from './event.js';
import { createAuditQueue } from './queue.js';
import type { AuditSink } from './sink.js';

const ev = (i: number): AuditEvent => ({
  time: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(), requestId: `r${i}`, method: 'GET', path: '/api/items', status: 200,
  decision: 'allow', reason: 'authenticated', username: 'alice', provider: 'corp', tokenType: 'jwt', clientId: null, ip: '203.0.113.7', userAgent: null, latencyMs: 1, gateStatus: 200, gateLatencyMs: 1,
});
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => `r${from + k}`);

/** A sink that is down while `down` is true (or for the next `failNext` writes), and records what it gets. */
function flakySink() {
  const s = {
    down: false,
    failNext: 0,
    calls: [] as { at: number; ids: string[] }[],
    got: [] as string[],
    sink: undefined as unknown as AuditSink,
  };
  s.sink = {
    async write(events) {
      s.calls.push({ at: Date.now(), ids: events.map((e) => e.requestId) });
      if (s.down || s.failNext > 0) {
        s.failNext--;
        throw new Error('sink down');
      }
      s.got.push(...events.map((e) => e.requestId));
    },
  };
  return s;
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('audit queue: outages and back-off (fake timers)', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('loses no event across an outage shorter than the queue: each arrives once, in order', async () => {
    const s = flakySink();
    s.failNext = 4;
    const q = createAuditQueue(s.sink, { maxEvents: 100, batchSize: 8 });
    for (let i = 0; i < 60; i++) {
      q.push(ev(i));
      if (i % 7 === 0) await vi.advanceTimersByTimeAsync(40);
    }
    await vi.advanceTimersByTimeAsync(5000);
    expect(s.got).toEqual(ids(0, 60));
    expect(q.stats()).toMatchObject({ written: 60, dropped: 0, failures: 4, queued: 0, retrying: false });
    // The failed batch was retried as it was, not re-cut or skipped.
    expect(s.calls.slice(0, 5).map((c) => c.ids)).toEqual(Array(5).fill(['r0']));
  });

  it('backs off exponentially up to maxRetryMs and never spins', async () => {
    const s = flakySink();
    s.down = true;
    const q = createAuditQueue(s.sink, { minRetryMs: 100, maxRetryMs: 1600 });
    q.push(ev(0));
    await vi.advanceTimersByTimeAsync(10_000);
    const gaps = s.calls.slice(1).map((c, i) => c.at - (s.calls[i] as { at: number }).at);
    expect(gaps.slice(0, 6)).toEqual([100, 200, 400, 800, 1600, 1600]);
    expect(s.calls.length).toBeLessThan(12);
    expect(q.stats()).toMatchObject({ retrying: true, queued: 1, written: 0 });
    s.down = false;
    await vi.advanceTimersByTimeAsync(1600);
    expect(s.got).toEqual(['r0']);
  });

  it('drop-oldest: a full queue drops the oldest waiting events and counts them', async () => {
    const s = flakySink();
    s.down = true;
    const q = createAuditQueue(s.sink, { maxEvents: 5, batchSize: 5 });
    for (let i = 0; i < 20; i++) q.push(ev(i));
    expect(q.stats()).toMatchObject({ dropped: 15, queued: 5 });
    expect(q.dropped).toBe(15);
    await vi.advanceTimersByTimeAsync(1000); // r15..r19 are now the batch being retried
    for (let i = 20; i < 28; i++) q.push(ev(i)); // 8 more: 5 wait, 3 oldest of them dropped
    expect(q.stats()).toMatchObject({ dropped: 18, queued: 10 });
    s.down = false;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(s.got).toEqual([...ids(15, 20), ...ids(23, 28)]);
    expect(q.stats()).toMatchObject({ dropped: 18, written: 10, queued: 0 });
  });

  it('close() flushes everything queued, then drops (and counts) later pushes', async () => {
    const s = flakySink();
    const closed = vi.fn();
    const q = createAuditQueue({ ...s.sink, close: async () => closed() }, { batchSize: 3 });
    for (let i = 0; i < 10; i++) q.push(ev(i));
    await q.close();
    expect(s.got).toEqual(ids(0, 10));
    expect(closed).toHaveBeenCalledOnce();
    q.push(ev(10));
    expect(q.stats()).toMatchObject({ written: 10, dropped: 1 });
  });

  it('close() retries a failing sink at once, and gives up after closeTimeoutMs (counted)', async () => {
    const s = flakySink();
    s.down = true;
    const q = createAuditQueue(s.sink, { closeTimeoutMs: 2000, maxRetryMs: 30_000 });
    q.push(ev(0));
    q.push(ev(1));
    await vi.advanceTimersByTimeAsync(20_000); // deep into back-off
    const before = s.calls.length;
    let done = false;
    void q.close().then(() => { done = true; });
    await vi.advanceTimersByTimeAsync(0);
    expect(s.calls.length).toBe(before + 1); // woken, not waiting out the 30 s delay
    await vi.advanceTimersByTimeAsync(2000);
    expect(done).toBe(true);
    expect(q.stats()).toMatchObject({ dropped: 2, written: 0 });
  });

  it('close() does not hang on a write that never settles', async () => {
    const q = createAuditQueue({ write: () => new Promise<void>(() => undefined) }, { closeTimeoutMs: 500 });
    q.push(ev(0));
    await vi.advanceTimersByTimeAsync(10);
    let done = false;
    void q.close().then(() => { done = true; });
    await vi.advanceTimersByTimeAsync(500);
    expect(done).toBe(true);
    expect(q.dropped).toBe(1);
  });

  it('push never waits for the sink and a throwing onError changes nothing', async () => {
    const s = flakySink();
    s.failNext = 1;
    const q = createAuditQueue(s.sink, { onError: () => { throw new Error('bad handler'); } });
    q.push(ev(0));
    expect(s.calls).toHaveLength(0); // written later, in a batch
    await vi.advanceTimersByTimeAsync(200);
    expect(s.got).toEqual(['r0']);
  });

  it('rejects a spill policy without a file', () => {
    expect(() => createAuditQueue(flakySink().sink, { onFull: 'spill' })).toThrow(/spillPath/);
    expect(() => createAuditQueue(flakySink().sink, { maxEvents: 0 })).toThrow(/maxEvents/);
  });
});

describe('audit queue: spill to a local file (real files)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'restauth-spill-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const fast = { minRetryMs: 2, maxRetryMs: 10 };
  const spillLines = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : []);

  it('spills beyond maxEvents and replays the file, in order, once the sink recovers', async () => {
    const spillPath = join(dir, 'audit.spill');
    const s = flakySink();
    s.down = true;
    const q = createAuditQueue(s.sink, { maxEvents: 5, batchSize: 2, onFull: 'spill', spillPath, ...fast });
    for (let i = 0; i < 20; i++) q.push(ev(i));
    await until(() => spillLines(spillPath).length === 15);
    expect(spillLines(spillPath).map((l) => (JSON.parse(l) as AuditEvent).requestId)).toEqual(ids(5, 20));
    expect(JSON.parse(spillLines(spillPath)[0] as string)).toEqual(ev(5));
    expect(q.stats()).toMatchObject({ queued: 5, spilled: 15, dropped: 0 });

    s.down = false;
    // Events arriving during the replay queue behind the spilled ones.
    for (let i = 20; i < 25; i++) {
      q.push(ev(i));
      await new Promise((r) => setTimeout(r, 1));
    }
    await q.flush();
    expect(s.got).toEqual(ids(0, 25));
    expect(existsSync(spillPath)).toBe(false);
    expect(q.stats()).toMatchObject({ written: 25, replayed: s.got.length - 5, dropped: 0, spillBytes: 0, queued: 0 });
    // Back to memory once the file is drained.
    q.push(ev(25));
    expect(existsSync(spillPath)).toBe(false);
    await q.close();
    expect(s.got.at(-1)).toBe('r25');
  });

  it('close() with the sink down saves the rest to the spill file; the next start delivers it exactly once', async () => {
    const spillPath = join(dir, 'audit.spill');
    const a = flakySink();
    a.down = true;
    const q1 = createAuditQueue(a.sink, { maxEvents: 4, batchSize: 2, onFull: 'spill', spillPath, closeTimeoutMs: 50, ...fast });
    for (let i = 0; i < 10; i++) q1.push(ev(i));
    await q1.close();
    expect(a.got).toEqual([]);
    expect(q1.stats().dropped).toBe(0);
    expect(spillLines(spillPath)).toHaveLength(10);

    const b = flakySink();
    const q2 = createAuditQueue(b.sink, { onFull: 'spill', spillPath, ...fast });
    await until(() => b.got.length === 10);
    expect([...b.got].sort()).toEqual(ids(0, 10).sort());
    await q2.close();
    expect(existsSync(spillPath)).toBe(false);
  });

  it('resumes a replay where it stopped (the offset survives a restart)', async () => {
    const spillPath = join(dir, 'audit.spill');
    const a = flakySink();
    a.down = true;
    const q1 = createAuditQueue(a.sink, { maxEvents: 2, batchSize: 2, onFull: 'spill', spillPath, closeTimeoutMs: 100, ...fast });
    for (let i = 0; i < 7; i++) q1.push(ev(i)); // r0, r1 in memory, r2..r6 spilled
    await until(() => spillLines(spillPath).length === 5);
    // Recover for two writes ([r0, r1] from memory, [r2, r3] from the file), then fail again.
    let budget = 2;
    a.sink.write = async (events) => {
      if (budget-- <= 0) throw new Error('down again');
      a.got.push(...events.map((e) => e.requestId));
    };
    await until(() => a.got.length === 4);
    await q1.close();
    expect(a.got).toEqual(ids(0, 4));

    const b = flakySink();
    const q2 = createAuditQueue(b.sink, { onFull: 'spill', spillPath, ...fast });
    await until(() => b.got.length >= 3);
    await q2.close();
    expect(b.got).toEqual(ids(4, 7));
    expect(existsSync(spillPath)).toBe(false);
    expect(existsSync(spillPath + '.offset')).toBe(false);
  });

  it('skips a damaged line (counted) and keeps going', async () => {
    const spillPath = join(dir, 'audit.spill');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(spillPath, JSON.stringify(ev(0)) + '\n{"broken\n' + JSON.stringify(ev(2)));
    const s = flakySink();
    const q = createAuditQueue(s.sink, { onFull: 'spill', spillPath, ...fast });
    await until(() => s.got.length === 2);
    await q.close();
    expect(s.got).toEqual(['r0', 'r2']);
    expect(q.stats().dropped).toBe(1);
  });
});
