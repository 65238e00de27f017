import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditEvent } from './event.js';
import { createFileAuditSink } from './file-sink.js';

const ev = (i: number): AuditEvent => ({
  time: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(), requestId: `r${i}`, method: 'GET', path: '/api/items', status: 200,
  decision: 'allow', reason: 'authenticated', username: 'alice', provider: 'corp', tokenType: 'jwt', clientId: null, ip: '203.0.113.7', userAgent: null, latencyMs: 1, gateStatus: 200, gateLatencyMs: 1,
});
const LINE = Buffer.byteLength(JSON.stringify(ev(10)) + '\n');
const DAY = 86_400_000;

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'restauth-audit-'));
  path = join(dir, 'audit.log');
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

const linesOf = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as AuditEvent).requestId) : []);
/** Every kept event, oldest first: `.N` ... `.1`, then the live file. */
function allKept(): string[] {
  const rotated = readdirSync(dir).filter((n) => /^audit\.log\.\d+$/.test(n)).map((n) => Number(n.split('.').pop())).sort((a, b) => b - a);
  return [...rotated.flatMap((i) => linesOf(`${path}.${i}`)), ...linesOf(path)];
}

describe('file audit sink', () => {
  it('writes one JSON object per line', async () => {
    const sink = createFileAuditSink(path);
    await sink.write([ev(10), ev(11)]);
    await sink.write([ev(12)]);
    await sink.close();
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trim().split('\n').map((l) => JSON.parse(l))).toEqual([ev(10), ev(11), ev(12)]);
  });

  it('rotates by size to .1, .2, ... and never lets a file exceed maxFileBytes', async () => {
    const sink = createFileAuditSink({ path, maxFileBytes: LINE * 3, pruneIntervalMs: 0 });
    await sink.write([10, 11, 12, 13, 14].map(ev)); // 3 fill the file, 2 start a new one
    for (let i = 15; i < 21; i++) await sink.write([ev(i)]);
    await sink.close();
    expect(linesOf(`${path}.3`)).toEqual(['r10', 'r11', 'r12']);
    expect(linesOf(`${path}.2`)).toEqual(['r13', 'r14', 'r15']);
    expect(linesOf(`${path}.1`)).toEqual(['r16', 'r17', 'r18']);
    expect(linesOf(path)).toEqual(['r19', 'r20']);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(LINE * 3);
  });

  it('continues an existing file and cuts a torn last line (never acknowledged), so every line is whole JSON', async () => {
    writeFileSync(path, JSON.stringify(ev(10)) + '\n{"torn');
    const sink = createFileAuditSink({ path, pruneIntervalMs: 0 });
    await sink.write([ev(11)]);
    await sink.close();
    expect(readFileSync(path, 'utf8')).toBe(JSON.stringify(ev(10)) + '\n' + JSON.stringify(ev(11)) + '\n');
  });

  it('retention by count keeps exactly the newest maxEntries events', async () => {
    const sink = createFileAuditSink({ path, maxFileBytes: LINE * 4, retention: { maxEntries: 7, maxAgeDays: 0 }, pruneIntervalMs: 0 });
    for (let i = 10; i < 30; i++) await sink.write([ev(i)]);
    await sink.prune();
    await sink.close();
    expect(allKept()).toEqual(Array.from({ length: 7 }, (_, k) => `r${23 + k}`));
  });

  it('retention by count also runs after each rotation', async () => {
    const sink = createFileAuditSink({ path, maxFileBytes: LINE * 2, retention: { maxEntries: 3 }, pruneIntervalMs: 0 });
    for (let i = 10; i < 19; i++) await sink.write([ev(i)]); // the last write rotates
    await sink.close(); // waits for the retention run queued by that rotation
    expect(allKept()).toEqual(['r16', 'r17', 'r18']);
  });

  it('retention by age deletes rotated files last written before maxAgeDays, and reports them', async () => {
    let now = Date.UTC(2025, 5, 1);
    const sink = createFileAuditSink({ path, maxFileBytes: LINE * 2, retention: { maxAgeDays: 30 }, pruneIntervalMs: 0, now: () => now });
    for (let i = 10; i < 17; i++) await sink.write([ev(i)]); // .3 [10,11] .2 [12,13] .1 [14,15] live [16]
    await sink.prune(); // after the run queued by the last rotation
    const at = (days: number) => new Date(now - days * DAY);
    utimesSync(`${path}.3`, at(45), at(45));
    utimesSync(`${path}.2`, at(31), at(31));
    utimesSync(`${path}.1`, at(29), at(29));
    const result = await sink.prune();
    expect([...result.deletedFiles].sort()).toEqual([`${path}.2`, `${path}.3`]);
    expect(allKept()).toEqual(['r14', 'r15', 'r16']);
    now += 2 * DAY;
    expect((await sink.prune()).deletedFiles).toEqual([`${path}.1`]);
    expect(readFileSync(path, 'utf8')).toContain('"r16"'); // the live file is never deleted
    await sink.close();
  });

  it('a trimmed file keeps its age', async () => {
    const now = Date.UTC(2025, 5, 1);
    const sink = createFileAuditSink({ path, maxFileBytes: LINE * 3, retention: { maxEntries: 4, maxAgeDays: 30 }, pruneIntervalMs: 0, now: () => now });
    await sink.write([10, 11, 12].map(ev));
    utimesSync(path, new Date(now - 10 * DAY), new Date(now - 10 * DAY));
    await sink.write([13, 14].map(ev)); // rotates: .1 [10,11,12], live [13,14]
    await sink.prune();
    expect(linesOf(`${path}.1`)).toEqual(['r11', 'r12']);
    expect(statSync(`${path}.1`).mtimeMs).toBe(now - 10 * DAY);
    await sink.close();
  });

  it('a scheduler (an unref\'d interval) applies retention', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const now = Date.now();
    const sink = createFileAuditSink({ path, maxFileBytes: LINE, retention: { maxAgeDays: 1, maxEntries: 1000 }, pruneIntervalMs: 60_000 });
    await sink.write([ev(10), ev(11)]); // .1 [10], live [11]
    await sink.prune();
    utimesSync(`${path}.1`, new Date(now - 2 * DAY), new Date(now - 2 * DAY));
    vi.advanceTimersByTime(60_000);
    const end = Date.now() + 2000;
    while (existsSync(`${path}.1`) && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(existsSync(`${path}.1`)).toBe(false);
    await sink.close();
  });
});
