import { describe, expect, it } from 'vitest';
import type { RateLimitConfig } from './config/types.js';
import type { RateLimitHit } from './rate-limit.js';
import { createRestAuth } from './rest-auth.js';
import { staticStrategy } from './test-strategy.test-helper.js';

/** A gate whose rate-limit store only records the bucket keys it is asked for. */
function keyedGate(rateLimit: RateLimitConfig = {}, policy: { trustProxy?: string[]; public?: string[] } = {}) {
  const keys: string[] = [];
  const auth = createRestAuth({ rateLimit: { enabled: true, by: 'ip', ...rateLimit }, policy }, {
    strategies: [staticStrategy()],
    plugins: [{
      name: 'spy',
      rateLimitStores: {
        memory: () => ({
          async hit(h: RateLimitHit) {
            keys.push(h.key);
            return { allowed: true, limit: h.limit, remaining: h.limit - 1, resetMs: 0, retryAfterMs: 0 };
          },
        }),
      },
    }],
  });
  const keyFor = async (remoteAddress: string | undefined, headers: Record<string, string> = {}) => {
    await auth.authenticate({ method: 'GET', url: '/x', headers: { authorization: 'Bearer bob', ...headers }, remoteAddress });
    return keys.at(-1);
  };
  return { auth, keyFor };
}

describe('rate-limit keys for IP addresses', () => {
  it('buckets IPv6 clients by /64 by default', async () => {
    const { keyFor } = keyedGate();
    expect(await keyFor('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('ip:2001:db8:1:2::/64');
    expect(await keyFor('2001:db8:1:2::1')).toBe('ip:2001:db8:1:2::/64');
    expect(await keyFor('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('ip:2001:db8:1:2::/64');
    expect(await keyFor('2001:db8:1:3::1')).toBe('ip:2001:db8:1:3::/64');
  });

  it('honours rateLimit.ipv6Prefix, also when it is not a multiple of 8', async () => {
    const p48 = keyedGate({ ipv6Prefix: 48 });
    expect(await p48.keyFor('2001:db8:1:ffff::1')).toBe('ip:2001:db8:1::/48');
    const p60 = keyedGate({ ipv6Prefix: 60 });
    expect(await p60.keyFor('2001:db8:1:2a3f::1')).toBe('ip:2001:db8:1:2a30::/60');
    expect(await p60.keyFor('2001:db8:1:2a30::1')).toBe('ip:2001:db8:1:2a30::/60');
    const p1 = keyedGate({ ipv6Prefix: 1 });
    expect(await p1.keyFor('ffff::1')).toBe('ip:8000::/1');
  });

  it('keeps every address apart with a /128 prefix', async () => {
    const { keyFor } = keyedGate({ ipv6Prefix: 128 });
    expect(await keyFor('2001:db8::1')).toBe('ip:2001:db8::1');
    expect(await keyFor('2001:db8::2')).toBe('ip:2001:db8::2');
  });

  it('counts an IPv4-mapped IPv6 peer as its IPv4 address', async () => {
    const { keyFor } = keyedGate();
    expect(await keyFor('192.0.2.7')).toBe('ip:192.0.2.7');
    expect(await keyFor('::ffff:192.0.2.7')).toBe('ip:192.0.2.7');
    expect(await keyFor('::ffff:c000:207')).toBe('ip:192.0.2.7');
  });

  it('never lumps IPv4 clients together under an IPv6 prefix', async () => {
    // Mapped addresses share their first 96 bits; prefix bucketing must not apply to them.
    const { keyFor } = keyedGate({ ipv6Prefix: 32 });
    expect(await keyFor('::ffff:192.0.2.7')).toBe('ip:192.0.2.7');
    expect(await keyFor('::ffff:198.51.100.1')).toBe('ip:198.51.100.1');
  });

  it('uses the client address resolved through trusted proxies', async () => {
    const { keyFor } = keyedGate({}, { trustProxy: ['10.0.0.0/8', 'fd00::/8'] });
    expect(await keyFor('10.0.0.1', { 'x-forwarded-for': '2001:db8:5:6::9' })).toBe('ip:2001:db8:5:6::/64');
    expect(await keyFor('fd00::1', { 'x-forwarded-for': '::ffff:203.0.113.9' })).toBe('ip:203.0.113.9');
    // An untrusted peer's header is ignored: the peer itself is the client.
    expect(await keyFor('2001:db8:9:9::1', { 'x-forwarded-for': '203.0.113.9' })).toBe('ip:2001:db8:9:9::/64');
  });

  it('keys an unknown address as unknown', async () => {
    const { keyFor } = keyedGate();
    expect(await keyFor(undefined)).toBe('ip:unknown');
    expect(await keyFor('not-an-ip')).toBe('ip:unknown');
  });

  it('applies to anonymous callers of public routes whatever `by` is', async () => {
    const keys: string[] = [];
    const auth = createRestAuth({ rateLimit: { enabled: true, by: 'principal' }, policy: { public: ['GET /pub'] } }, {
      strategies: [staticStrategy()],
      plugins: [{ name: 'spy', rateLimitStores: { memory: () => ({ async hit(h: RateLimitHit) { keys.push(h.key); return { allowed: true, limit: 1, remaining: 0, resetMs: 0, retryAfterMs: 0 }; } }) } }],
    });
    await auth.authenticate({ method: 'GET', url: '/pub', headers: {}, remoteAddress: '2001:db8:7:8:1:2:3:4' });
    await auth.authenticate({ method: 'GET', url: '/pub', headers: { authorization: 'Bearer bob' }, remoteAddress: '2001:db8:7:8:1:2:3:4' });
    expect(keys).toEqual(['ip:2001:db8:7:8::/64', 'p:static:sub-bob']);
  });
});

describe('IPv6 prefix buckets with the memory store', () => {
  const run = (auth: ReturnType<typeof createRestAuth>, remoteAddress: string) =>
    auth.authenticate({ method: 'GET', url: '/x', headers: { authorization: 'Bearer bob' }, remoteAddress });

  it('one /64 shares one limit; the next /64 has its own', async () => {
    const auth = createRestAuth({ rateLimit: { enabled: true, by: 'ip', limit: 2, windowSec: 60 } }, { strategies: [staticStrategy()] });
    expect((await run(auth, '2001:db8:0:1::1')).status).toBe(200);
    expect((await run(auth, '2001:db8:0:1::2')).status).toBe(200);
    const third = await run(auth, '2001:db8:0:1:ffff:ffff:ffff:fffe');
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toBe('30');
    expect((await run(auth, '2001:db8:0:2::1')).status).toBe(200);
  });

  it('IPv4 and its mapped form drain one bucket; other IPv4 clients are untouched', async () => {
    const auth = createRestAuth({ rateLimit: { enabled: true, by: 'ip', limit: 2, windowSec: 60 } }, { strategies: [staticStrategy()] });
    expect((await run(auth, '192.0.2.1')).status).toBe(200);
    expect((await run(auth, '::ffff:192.0.2.1')).status).toBe(200);
    expect((await run(auth, '::ffff:192.0.2.1')).status).toBe(429);
    expect((await run(auth, '192.0.2.2')).status).toBe(200);
    expect((await run(auth, '::ffff:192.0.2.3')).status).toBe(200);
  });
});
