import { describe, expect, it } from 'vitest';
import { redactConfig } from './redact.js';

describe('redactConfig', () => {
  it('hides secret values, URL credentials and private keys, and keeps the rest', () => {
    const config = {
      providers: [{ name: 'corp', clientSecret: 'hunter2', secret: 'hs256-key', issuer: 'https://idp' }],
      rateLimit: { store: { type: 'redis', url: 'redis://:pw@cache:6379/0' } },
      console: { login: { clientSecret: 'c' }, sessionSecret: 's'.repeat(32) },
      other: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
      limit: 100,
    };
    const text = JSON.stringify(redactConfig(config));
    for (const secret of ['hunter2', 'hs256-key', ':pw@', 'sss', 'BEGIN PRIVATE']) expect(text).not.toContain(secret);
    expect(redactConfig(config)).toMatchObject({ providers: [{ issuer: 'https://idp', clientSecret: '[redacted]' }], rateLimit: { store: { url: 'redis://[redacted]@cache:6379/0' } }, limit: 100 });
    expect(config.providers[0]?.clientSecret).toBe('hunter2');
  });
});
