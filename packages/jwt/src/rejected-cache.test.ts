import { RestAuthError } from '@restauth/core';
import { describe, expect, it, vi } from 'vitest';
import * as signature from './jws-signature.js';
import { createRejectedCache, REJECTED_TTL_MS } from './rejected-cache.js';
import { call, claims, clock, gate, nowSec, provider, rsaKey, sign } from './test-fixtures.js';

const err = (m: string) => new RestAuthError('invalid_token', m);

describe('createRejectedCache', () => {
  it('remembers a verdict for the TTL only', () => {
    const cache = createRejectedCache(10);
    const e = err('x');
    cache.set('t', e, 0);
    expect(cache.get('t', REJECTED_TTL_MS - 1)).toBe(e);
    expect(cache.get('t', REJECTED_TTL_MS)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most `size` entries and size × 2048 characters, oldest out first', () => {
    const cache = createRejectedCache(3);
    for (let i = 0; i < 1000; i++) cache.set(`junk-${i}`, err('x'), 0);
    expect(cache.size).toBe(3);
    expect(cache.get('junk-999', 0)).toBeDefined();
    expect(cache.get('junk-0', 0)).toBeUndefined();
    cache.set('a'.repeat(4000), err('big'), 0);
    cache.set('b'.repeat(4000), err('big'), 0);
    expect(cache.size).toBe(1); // 8000 characters would exceed 3 × 2048
    cache.set('c'.repeat(7000), err('too big'), 0);
    expect(cache.get('c'.repeat(7000), 0)).toBeUndefined();
  });

  it('size 0 keeps nothing', () => {
    const cache = createRejectedCache(0);
    cache.set('t', err('x'), 0);
    expect(cache.get('t', 0)).toBeUndefined();
  });
});

describe('the strategy with the rejected-token cache', () => {
  const ISS = 'https://a.example.com';

  it('a replayed bad token fails the same way without a second signature check', async () => {
    const key = await rsaKey('k');
    const other = await rsaKey('o');
    const auth = gate([provider({ issuer: ISS, publicKey: key.publicPem })]);
    const forged = await sign(other, claims(ISS));
    const spy = vi.spyOn(signature, 'verifyJwsSignature');
    try {
      for (let i = 0; i < 3; i++) expect((await call(auth, forged)).json?.message).toBe('Token signature is invalid');
      expect(spy).toHaveBeenCalledTimes(1);
      const expired = await sign(key, claims(ISS, { exp: nowSec() - 3600 }));
      for (let i = 0; i < 3; i++) expect((await call(auth, expired)).json?.message).toBe('Token expired');
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('"not yet valid" is never remembered: the token passes once its nbf comes', async () => {
    const c = clock();
    const key = await rsaKey('k');
    const auth = gate([provider({ issuer: ISS, publicKey: key.publicPem, clockToleranceSec: 0 })], { now: c.now });
    const token = await sign(key, claims(ISS, { nbf: Math.floor(c.now() / 1000) + 10 }));
    expect((await call(auth, token)).json?.message).toBe('Token not yet valid');
    c.advance(11_000);
    expect((await call(auth, token)).status).toBe(200);
  });

  it('a refusal is forgotten after the TTL', async () => {
    const c = clock();
    const key = await rsaKey('k');
    const other = await rsaKey('o');
    const auth = gate([provider({ issuer: ISS, publicKey: key.publicPem })], { now: c.now });
    const forged = await sign(other, claims(ISS, { exp: Math.floor(c.now() / 1000) + 7200 }));
    const spy = vi.spyOn(signature, 'verifyJwsSignature');
    try {
      await call(auth, forged);
      c.advance(REJECTED_TTL_MS);
      await call(auth, forged);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('rejectedCacheSize: 0 checks every time', async () => {
    const key = await rsaKey('k');
    const other = await rsaKey('o');
    const auth = gate([provider({ issuer: ISS, publicKey: key.publicPem })], { rejectedCacheSize: 0 });
    const forged = await sign(other, claims(ISS));
    const spy = vi.spyOn(signature, 'verifyJwsSignature');
    try {
      await call(auth, forged);
      await call(auth, forged);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });
});
