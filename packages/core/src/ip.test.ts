import { describe, expect, it } from 'vitest';
import { resolveClientIp } from './client-ip.js';
import { cidrContains, formatIp, parseCidr, parseIp } from './ip.js';

const inRange = (cidr: string, ip: string) => cidrContains(parseCidr(cidr)!, parseIp(ip)!);

describe('ip', () => {
  it('parses and formats IPv4, IPv6 and IPv4-mapped IPv6', () => {
    expect(formatIp(parseIp('192.0.2.1')!)).toBe('192.0.2.1');
    expect(formatIp(parseIp('::ffff:192.0.2.1')!)).toBe('192.0.2.1');
    expect(formatIp(parseIp('2001:0db8:0000:0000:0000:0000:0000:0001')!)).toBe('2001:db8::1');
    expect(formatIp(parseIp('[::1]')!)).toBe('::1');
    expect(formatIp(parseIp('fe80::1%eth0')!)).toBe('fe80::1');
  });
  it('refuses invalid addresses', () => {
    for (const bad of ['', '1.2.3', '1.2.3.256', '01.2.3.4', '1:2:3:4:5:6:7:8:9', '::1::', 'g::1', 'localhost', '1.2.3.4/']) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });
  it('matches CIDR ranges, IPv4-mapped peers against IPv4 ranges', () => {
    expect(inRange('10.0.0.0/8', '10.1.2.3')).toBe(true);
    expect(inRange('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(inRange('10.0.0.0/8', '::ffff:10.9.9.9')).toBe(true);
    expect(inRange('192.0.2.7', '192.0.2.7')).toBe(true);
    expect(inRange('192.0.2.7', '192.0.2.8')).toBe(false);
    expect(inRange('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(inRange('2001:db8::/32', '2001:db9::1')).toBe(false);
    expect(inRange('0.0.0.0/0', '8.8.8.8')).toBe(true);
    expect(inRange('0.0.0.0/0', '2001:db8::1')).toBe(false);
    expect(inRange('::/0', '2001:db8::1')).toBe(true);
    expect(inRange('10.0.0.0/12', '10.15.255.255')).toBe(true);
    expect(inRange('10.0.0.0/12', '10.16.0.0')).toBe(false);
  });
  it('refuses invalid CIDRs', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/a', '::/129', 'x/8', '10.0.0.0/08']) expect(parseCidr(bad), bad).toBeUndefined();
  });
});

describe('resolveClientIp', () => {
  const cidrs = (...c: string[]) => ({ cidrs: c.map((x) => parseCidr(x)!) });
  const xff = (v: string) => ({ 'x-forwarded-for': v });

  it('uses the peer when no proxy is trusted, whatever the header says', () => {
    expect(resolveClientIp(xff('1.1.1.1'), '203.0.113.9', { trustProxy: cidrs(), header: 'x-forwarded-for' }).text).toBe('203.0.113.9');
  });
  it('ignores the header when the peer is not a trusted proxy', () => {
    expect(resolveClientIp(xff('1.1.1.1'), '203.0.113.9', { trustProxy: cidrs('10.0.0.0/8'), header: 'x-forwarded-for' }).text).toBe('203.0.113.9');
  });
  it('walks from the right past trusted proxies', () => {
    const o = { trustProxy: cidrs('10.0.0.0/8'), header: 'x-forwarded-for' };
    expect(resolveClientIp(xff('6.6.6.6, 198.51.100.4, 10.0.0.3'), '10.0.0.2', o).text).toBe('198.51.100.4');
    expect(resolveClientIp(xff('10.0.0.5'), '::ffff:10.0.0.2', o).text).toBe('10.0.0.5');
  });
  it('treats an unparseable entry as an unknown client', () => {
    const o = { trustProxy: cidrs('10.0.0.0/8'), header: 'x-forwarded-for' };
    expect(resolveClientIp(xff('1.1.1.1, garbage'), '10.0.0.2', o).text).toBeUndefined();
  });
  it('counts hops: the peer is the first', () => {
    expect(resolveClientIp(xff('6.6.6.6, 198.51.100.4'), '10.0.0.2', { trustProxy: { hops: 1 }, header: 'x-forwarded-for' }).text).toBe('198.51.100.4');
    expect(resolveClientIp(xff('6.6.6.6, 198.51.100.4'), '10.0.0.2', { trustProxy: { hops: 2 }, header: 'x-forwarded-for' }).text).toBe('6.6.6.6');
    expect(resolveClientIp(xff('6.6.6.6'), '10.0.0.2', { trustProxy: { hops: 0 }, header: 'x-forwarded-for' }).text).toBe('10.0.0.2');
  });
  it('reads X-Real-IP and RFC 7239 Forwarded', () => {
    const o = (header: string) => ({ trustProxy: cidrs('10.0.0.0/8'), header });
    expect(resolveClientIp({ 'x-real-ip': '198.51.100.7' }, '10.0.0.1', o('x-real-ip')).text).toBe('198.51.100.7');
    expect(resolveClientIp({ forwarded: 'for=192.0.2.60;proto=http;by=10.0.0.1, for="[2001:db8::1]:4711"' }, '10.0.0.1', o('forwarded')).text).toBe('2001:db8::1');
    expect(resolveClientIp({ forwarded: 'for=192.0.2.60:8080' }, '10.0.0.1', o('forwarded')).text).toBe('192.0.2.60');
  });
  it('is unknown without a peer address', () => {
    expect(resolveClientIp({}, undefined, { trustProxy: cidrs(), header: 'x-forwarded-for' }).text).toBeUndefined();
  });
});
