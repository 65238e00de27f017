import { describe, expect, it } from 'vitest';
import { normalizePath, rawPath } from './path.js';

describe('normalizePath', () => {
  const loose: [string, string][] = [
    ['/api/items', '/api/items'],
    ['/API/Items', '/api/items'],
    ['/api/items/', '/api/items'],
    ['//api///items', '/api/items'],
    ['/api/./items', '/api/items'],
    ['/public/../api/items', '/api/items'],
    ['/public/%2e%2e/api/items', '/api/items'],
    ['/public%2f..%2fapi/items', '/api/items'],
    ['/api%2Fitems', '/api/items'],
    ['/%61pi/items', '/api/items'],
    ['/api/items;jsessionid=1', '/api/items'],
    ['/api;x/items', '/api/items'],
    ['/api/items?x=1#f', '/api/items'],
    ['/api/items#frag', '/api/items'],
    ['http://host:8080/api/items?x', '/api/items'],
    ['HTTPS://host/api/items', '/api/items'],
    ['/api\\items', '/api/items'],
    ['/api/%252e%252e/admin', '/admin'],
    ['/api/items%20', '/api/items'],
    ['/%c0%ae%c0%ae/api', '/\ufffd\ufffd\ufffd\ufffd/api'],
    ['/../../api', '/api'],
    ['', '/'],
    ['*', '/*'],
  ];
  it.each(loose)('loose form of %j is %j', (url, expected) => {
    expect('/' + normalizePath(url).loose.join('/')).toBe(expected);
  });

  const notStrict = ['/api/items/', '//api', '/api/./x', '/api/../x', '/a%2fb', '/api;x', '/a\\b', '/a b'];
  it.each(notStrict)('%j has no strict form (nothing loosens)', (url) => {
    expect(normalizePath(url).strict).toBeUndefined();
  });

  it('keeps the case of the strict form', () => {
    expect(normalizePath('/Public/Info?x').strict).toEqual(['Public', 'Info']);
    expect(normalizePath('/').strict).toEqual([]);
    expect(normalizePath('http://h/health').strict).toEqual(['health']);
  });

  it('rawPath drops query, fragment and authority', () => {
    expect(rawPath('/a/b?token=x')).toBe('/a/b');
    expect(rawPath('http://x/y#z')).toBe('/y');
  });
});
