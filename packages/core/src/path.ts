/**
 * Request-path normalisation. Two views of one path:
 * - `loose`: what rules that tighten access match against. It is at least as loose as any
 *   framework's router: percent-decoded (repeatedly), `;` parameters and dot segments removed,
 *   duplicate and trailing slashes folded, backslashes read as slashes, lower-cased.
 * - `strict`: what rules that loosen access (bypass, public) match against: the raw path, only
 *   when it is already canonical; otherwise `undefined`, and nothing loosens.
 */
export interface NormalizedPath {
  readonly loose: readonly string[];
  readonly strict: readonly string[] | undefined;
}

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;
// Canonical segment characters (RFC 3986 pchar without `%` and `;`).
const CLEAN_PATH = /^(?:\/[A-Za-z0-9._~!$&'()*+,=:@-]+)+$/;
const MAX_DECODE_ROUNDS = 3;
const ROOT: NormalizedPath = Object.freeze({ loose: Object.freeze([]), strict: Object.freeze([]) });

// The same URLs come again and again: normalised paths are remembered (bounded, short URLs
// only), frozen because every caller of the same URL gets the same object.
const MAX_REMEMBERED = 2048;
const MAX_REMEMBERED_URL = 256;
const remembered = new Map<string, NormalizedPath>();

/** Splits a request target into its path, dropping query, fragment and absolute-form authority. */
export function rawPath(url: string): string {
  let path = url;
  // Origin-form (`/...`, nearly every request) can never be absolute-form.
  if (path.charCodeAt(0) !== 0x2f) {
    const abs = ABSOLUTE_FORM.exec(path);
    if (abs) path = path.slice(abs[0].length);
  }
  let q = path.indexOf('?');
  const hash = path.indexOf('#');
  if (hash !== -1 && (q === -1 || hash < q)) q = hash;
  if (q !== -1) path = path.slice(0, q);
  if (path === '' || path[0] !== '/') path = '/' + path;
  return path;
}

function decodeOnce(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    // Invalid or overlong UTF-8: decode byte by byte; invalid sequences become U+FFFD.
    const bytes: number[] = [];
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
        bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        for (const b of Buffer.from(s[i] as string, 'utf8')) bytes.push(b);
      }
    }
    return Buffer.from(bytes).toString('utf8');
  }
}

function looseSegments(path: string): string[] {
  let decoded = path;
  for (let i = 0; i < MAX_DECODE_ROUNDS; i++) {
    const next = decodeOnce(decoded);
    if (next === decoded) break;
    decoded = next;
  }
  const out: string[] = [];
  for (let seg of decoded.replace(/\\/g, '/').split('/')) {
    const semi = seg.indexOf(';');
    if (semi !== -1) seg = seg.slice(0, semi);
    seg = seg.replace(/[\s\u0000-\u001f]+$/g, '');
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      out.pop();
      continue;
    }
    out.push(seg.toLowerCase());
  }
  return out;
}

/**
 * Normalises a request target.
 *
 * @example
 * normalizePath('/API//items/%2e%2e/admin;x=1?q').loose // ['admin']
 */
export function normalizePath(url: string): NormalizedPath {
  if (url.length > MAX_REMEMBERED_URL) return normalize(url);
  let path = remembered.get(url);
  if (path === undefined) {
    path = normalize(url);
    if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value as string);
    remembered.set(url, path);
  }
  return path;
}

function normalize(url: string): NormalizedPath {
  const raw = rawPath(url);
  if (raw === '/') return ROOT;
  if (CLEAN_PATH.test(raw)) {
    const segs = raw.slice(1).split('/');
    if (!segs.some((s) => s === '.' || s === '..')) {
      // A canonical path has nothing to decode, strip or fold: its loose view is the same
      // segments lower-cased (the same array when already lower-case).
      const lower = raw.toLowerCase();
      Object.freeze(segs);
      return Object.freeze({ loose: lower === raw ? segs : Object.freeze(lower.slice(1).split('/')), strict: segs });
    }
  }
  return Object.freeze({ loose: Object.freeze(looseSegments(raw)), strict: undefined });
}
