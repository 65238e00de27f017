import { describe, expect, it } from 'vitest';
import { createMemoryRateLimitStore } from './rate-limit.js';

describe('memory rate-limit store (GCRA)', () => {
  it('admits exactly `limit` at once, then one per interval', async () => {
    let t = 1_000_000;
    const store = createMemoryRateLimitStore({ now: () => t });
    const hit = { key: 'k', limit: 5, windowMs: 10_000, burst: 5 };
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await store.hit(hit));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(results[5]!.retryAfterMs).toBe(2000);
    t += 2000;
    expect((await store.hit(hit)).allowed).toBe(true);
    expect((await store.hit(hit)).allowed).toBe(false);
  });
  it('never admits more than limit + elapsed/interval across a window boundary', async () => {
    let t = 0;
    const store = createMemoryRateLimitStore({ now: () => t });
    const hit = { key: 'b', limit: 10, windowMs: 1000, burst: 10 };
    let admitted = 0;
    for (t = 900; t < 1100; t += 1) if ((await store.hit(hit)).allowed) admitted++;
    // 10 at once, plus one per 100 ms over the 200 ms that follow: never 2 x 10.
    expect(admitted).toBeLessThanOrEqual(12);
  });
  it('admits exactly `limit` at once at real epoch timestamps, whatever limit and window', async () => {
    // Unrounded, 1.7e12 + 166.666… drifts: 6 per second admitted 5, and `remaining` was off by one.
    const now = 1_763_900_000_123.456;
    for (const limit of [6, 7, 14, 97, 1000]) {
      for (const windowMs of [999, 1000, 60_000, 86_400_000]) {
        const store = createMemoryRateLimitStore({ now: () => now });
        const hit = { key: 'k', limit, windowMs, burst: limit };
        const remaining: number[] = [];
        for (let i = 0; i <= limit; i++) {
          const r = await store.hit(hit);
          if (r.allowed) remaining.push(r.remaining);
        }
        expect(remaining.length, `${limit} per ${windowMs} ms`).toBe(limit);
        expect(remaining.at(0)).toBe(limit - 1);
        expect(remaining.at(-1)).toBe(0);
      }
    }
  });
  it('keeps keys apart and stays bounded', async () => {
    const store = createMemoryRateLimitStore({ maxKeys: 3, now: () => 0 });
    for (const k of ['a', 'b', 'c', 'd', 'e']) await store.hit({ key: k, limit: 1, windowMs: 1000, burst: 1 });
    // 'a' was evicted, so it is admitted again; 'e' is still limited.
    expect((await store.hit({ key: 'a', limit: 1, windowMs: 1000, burst: 1 })).allowed).toBe(true);
    expect((await store.hit({ key: 'e', limit: 1, windowMs: 1000, burst: 1 })).allowed).toBe(false);
  });
});
