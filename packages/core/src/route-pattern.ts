import type { ConfigIssue } from './errors.js';

/** HTTP methods a pattern may name. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const ANY = 0; // one segment
const SEGMENT = /^[A-Za-z0-9._~!$&'+,=:@-]+$/;

/** A route pattern compiled once at start-up. */
export interface RoutePattern {
  readonly source: string;
  readonly method: string | undefined;
  /** Segments as written: strings, or 0 for `*` / `:param`. */
  readonly segments: readonly (string | typeof ANY)[];
  readonly lowerSegments: readonly (string | typeof ANY)[];
  /** Ends in `/**`: any suffix, including none. */
  readonly rest: boolean;
}

/**
 * Compiles `"[METHOD ]/path"`: `*` or `:name` is one segment, a final `/**` any suffix. Returns
 * the pattern, or pushes an issue naming `path` and returns undefined.
 *
 * @example
 * compilePattern('DELETE /api/items/:id', 'policy.rules[0].match', issues)
 */
export function compilePattern(source: string, path: string, issues: ConfigIssue[]): RoutePattern | undefined {
  const fail = (message: string): undefined => {
    issues.push({ path, message: `${message} in pattern "${source}"` });
    return undefined;
  };
  const m = /^(?:([A-Za-z]+) +)?(\S*)$/.exec(source.trim());
  if (!m) return fail('expected "[METHOD ]/path"');
  const method = m[1]?.toUpperCase();
  const p = m[2] ?? '';
  if (method !== undefined && !(HTTP_METHODS as readonly string[]).includes(method)) {
    return fail(`unknown method "${m[1]}" (use one of ${HTTP_METHODS.join(', ')})`);
  }
  if (!p.startsWith('/')) return fail('the path must start with "/"');
  const parts = p === '/' ? [] : p.slice(1).replace(/\/$/, '').split('/');
  const segments: (string | typeof ANY)[] = [];
  let rest = false;
  for (let i = 0; i < parts.length; i++) {
    const s = parts[i] as string;
    if (s === '**') {
      if (i !== parts.length - 1) return fail('"**" is only allowed as the last segment');
      rest = true;
    } else if (s === '*' || /^:[A-Za-z_][A-Za-z0-9_]*$/.test(s)) {
      segments.push(ANY);
    } else if (s === '') {
      return fail('empty segment ("//")');
    } else if (s === '.' || s === '..') {
      return fail('dot segments are not allowed');
    } else if (!SEGMENT.test(s.replace(/\*/g, ''))) {
      return fail(`unsupported characters in segment "${s}" (no regular expressions, "%", ";", "?" or braces)`);
    } else if (s.includes('*')) {
      return fail('"*" must be a whole segment');
    } else if (!SEGMENT.test(s)) {
      return fail(`unsupported characters in segment "${s}" (no regular expressions, "%", ";", "?" or braces)`);
    } else {
      segments.push(s);
    }
  }
  return {
    source,
    method,
    segments,
    lowerSegments: segments.map((s) => (typeof s === 'string' ? s.toLowerCase() : s)),
    rest,
  };
}

function matchSegments(pattern: readonly (string | typeof ANY)[], rest: boolean, path: readonly string[]): boolean {
  if (rest ? path.length < pattern.length : path.length !== pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const s = pattern[i];
    if (s !== ANY && s !== path[i]) return false;
  }
  return true;
}

/**
 * Matching for rules that tighten: against the loose path, and a GET pattern also covers HEAD
 * (every framework routes HEAD to GET handlers).
 */
export function matchesLoosely(p: RoutePattern, method: string, loose: readonly string[]): boolean {
  if (p.method !== undefined && p.method !== method && !(p.method === 'GET' && method === 'HEAD')) return false;
  return matchSegments(p.lowerSegments, p.rest, loose);
}

/**
 * Matching for rules that loosen: the strict (canonical, case-sensitive) path only. A GET
 * pattern covers HEAD too: every framework sends HEAD to the GET handler, so this reaches
 * nothing GET could not, and keeps frameworks alike.
 */
export function matchesStrictly(p: RoutePattern, method: string, strict: readonly string[] | undefined): boolean {
  if (strict === undefined) return false;
  if (p.method !== undefined && p.method !== method && !(p.method === 'GET' && method === 'HEAD')) return false;
  return matchSegments(p.segments, p.rest, strict);
}
