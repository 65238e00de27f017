import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from './errors.js';
import { normalizePath } from './path.js';
import { compilePattern, matchesLoosely, matchesStrictly } from './route-pattern.js';

function compile(s: string) {
  const issues: ConfigIssue[] = [];
  const p = compilePattern(s, 'x', issues);
  expect(issues).toEqual([]);
  return p!;
}
const loose = (p: string, m: string, url: string) => matchesLoosely(compile(p), m, normalizePath(url).loose);
const strict = (p: string, m: string, url: string) => matchesStrictly(compile(p), m, normalizePath(url).strict);

describe('route patterns', () => {
  it('match a method and a path', () => {
    expect(strict('GET /health', 'GET', '/health')).toBe(true);
    expect(strict('GET /health', 'POST', '/health')).toBe(false);
    expect(strict('/health', 'POST', '/health')).toBe(true);
  });
  it('* and :param are one segment; /** is any suffix including none', () => {
    expect(strict('DELETE /api/items/:id', 'DELETE', '/api/items/7')).toBe(true);
    expect(strict('DELETE /api/items/*', 'DELETE', '/api/items/7/x')).toBe(false);
    expect(strict('/public/**', 'GET', '/public')).toBe(true);
    expect(strict('/public/**', 'GET', '/public/a/b/c')).toBe(true);
    expect(strict('/public/**', 'GET', '/publicity')).toBe(false);
    expect(strict('/**', 'GET', '/')).toBe(true);
  });
  it('strict matching is case-sensitive and refuses non-canonical paths', () => {
    expect(strict('GET /health', 'GET', '/Health')).toBe(false);
    expect(strict('GET /health', 'GET', '/health/')).toBe(false);
    expect(strict('GET /health', 'OPTIONS', '/health')).toBe(false);
    expect(strict('/public/**', 'GET', '/public/../api/items')).toBe(false);
    expect(strict('/public/**', 'GET', '/public/%2e%2e/api')).toBe(false);
    expect(strict('GET /health', 'HEAD', '/health')).toBe(true);
    expect(strict('HEAD /health', 'GET', '/health')).toBe(false);
  });
  it('loose matching folds case, slashes, encodings and covers HEAD with GET', () => {
    expect(loose('POST /api/admin/**', 'POST', '/API//Admin/x/')).toBe(true);
    expect(loose('POST /api/admin/**', 'POST', '/public/..%2fapi/admin')).toBe(true);
    expect(loose('GET /api/items', 'HEAD', '/api/items')).toBe(true);
    expect(loose('POST /api/items', 'GET', '/api/items')).toBe(false);
  });
  it('reports unsupported syntax', () => {
    for (const bad of ['api/x', 'GET  ', '/a/**/b', '/a/*b', '/a/{id}', '/a/(x)', '/a//b', '/a/../b', 'BREW /x', '/a?b', '/a%2fb']) {
      const issues: ConfigIssue[] = [];
      expect(compilePattern(bad, 'p', issues), bad).toBeUndefined();
      expect(issues[0]?.path).toBe('p');
    }
  });
});
