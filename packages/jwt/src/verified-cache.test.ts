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

  it('size 0 keeps nothing', () => {
    const cache = createVerifiedCache(0);
    cache.set('a', p('a'), 1e12);
    expect(cache.get('a', 0)).toBeUndefined();
  });
});
