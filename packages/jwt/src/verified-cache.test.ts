import type { Principal } from '@restauth/core';
import { describe, expect, it } from 'vitest';
import { createVerifiedCache } from './verified-cache.js';

const p = (username: string): Principal => ({ subject: username, username, groups: [], scopes: [], provider: 'x', tokenType: 'jwt', claims: {} });

describe('createVerifiedCache', () => {
  it('serves an entry until its expiry, never at or after it', () => {
    const cache = createVerifiedCache(10);
    cache.set('t', p('a'), 1000);
    expect(cache.get('t', 999)?.username).toBe('a');
    expect(cache.get('t', 1000)).toBeUndefined();
    expect(cache.get('t', 0)).toBeUndefined(); // dropped on sight
  });

  it('evicts the least recently used entry when full', () => {
    const cache = createVerifiedCache(2);
    cache.set('a', p('a'), 1e12);
    cache.set('b', p('b'), 1e12);
    cache.get('a', 0);
    cache.set('c', p('c'), 1e12);
    expect(cache.get('b', 0)).toBeUndefined();
    expect(cache.get('a', 0)?.username).toBe('a');
    expect(cache.get('c', 0)?.username).toBe('c');
  });

  it('tokens that share a tail never answer for each other', () => {
    const tail = 'x'.repeat(40);
    const cache = createVerifiedCache(10);
    cache.set(`a.b.${tail}`, p('a'), 1e12);
    expect(cache.get(`c.d.${tail}`, 0)).toBeUndefined();
    expect(cache.get(`a.b.${tail}`, 0)?.username).toBe('a');
    cache.set(`c.d.${tail}`, p('c'), 1e12);
    expect(cache.get(`a.b.${tail}`, 0)).toBeUndefined();
    expect(cache.get(`c.d.${tail}`, 0)?.username).toBe('c');
    expect(cache.size).toBe(1);
  });

  it('stays at its size however many tokens pass, and keeps the ones in use', () => {
    const cache = createVerifiedCache(100);
    const hot = `hot.${'h'.repeat(40)}`;
    cache.set(hot, p('hot'), 1e12);
    for (let i = 0; i < 10_000; i++) {
      cache.set(`t${i}.${String(i).padStart(40, '0')}`, p(String(i)), 1e12);
      expect(cache.get(hot, 0)?.username).toBe('hot');
    }
    expect(cache.size).toBe(100);
  });

  it('size 0 keeps nothing', () => {
    const cache = createVerifiedCache(0);
    cache.set('a', p('a'), 1e12);
    expect(cache.get('a', 0)).toBeUndefined();
  });
});
