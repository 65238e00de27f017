import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sign, verify } from './session.js';

describe('signed cookies', () => {
  const key = randomBytes(32);
  const now = 1_000_000;

  it('round-trips a payload until it expires', () => {
    const value = sign(key, 'restauth_console', { exp: now + 10, who: 'alice' });
    expect(verify(key, 'restauth_console', value, now)).toEqual({ exp: now + 10, who: 'alice' });
    expect(verify(key, 'restauth_console', value, now + 10)).toBe('expired');
  });

  it('refuses an edited payload, another key, and a cookie signed under another name', () => {
    const value = sign(key, 'restauth_console_flow', { exp: now + 10 });
    expect(verify(key, 'restauth_console', value, now)).toBe('invalid');
    expect(verify(randomBytes(32), 'restauth_console_flow', value, now)).toBe('invalid');
    const [, mac] = value.split('.');
    const edited = `${Buffer.from(JSON.stringify({ exp: now + 99_999 })).toString('base64url')}.${mac}`;
    expect(verify(key, 'restauth_console_flow', edited, now)).toBe('invalid');
    expect(verify(key, 'restauth_console_flow', 'garbage', now)).toBe('invalid');
    expect(verify(key, 'restauth_console_flow', undefined, now)).toBe('missing');
  });
});
