import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AuditDecision, AuditEvent } from './event.js';

/**
 * Which audit events to keep when reading a trail back (every field optional; all must match).
 *
 * @example
 * const filter: AuditFilter = { decision: 'deny', since: new Date(Date.now() - 3_600_000), pathPrefix: '/api/' };
 */
export interface AuditFilter {
  readonly user?: string | undefined;
  readonly decision?: AuditDecision | undefined;
  /** The deciding check (`verify`, `rule`, `rateLimit`...). */
  readonly reason?: string | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
  /** Only paths that start with this. */
  readonly pathPrefix?: string | undefined;
}

/**
 * True when an event (as read back, so possibly partial) passes every part of the filter.
 *
 * @example
 * auditEventMatches({ username: 'alice', decision: 'deny' }, { decision: 'deny' }) // true
 */
export function auditEventMatches(e: Partial<AuditEvent>, f: AuditFilter): boolean {
  if (f.user !== undefined && e.username !== f.user) return false;
  if (f.decision !== undefined && e.decision !== f.decision) return false;
  if (f.reason !== undefined && e.reason !== f.reason) return false;
  if (f.pathPrefix !== undefined && !(typeof e.path === 'string' && e.path.startsWith(f.pathPrefix))) return false;
  if (f.since || f.until) {
    const t = typeof e.time === 'string' ? Date.parse(e.time) : NaN;
    if (Number.isNaN(t)) return false;
    if (f.since && t < f.since.getTime()) return false;
    if (f.until && t > f.until.getTime()) return false;
  }
  return true;
}

/**
 * One line of a JSON Lines trail as an event, or undefined when it is not a JSON object.
 *
 * @example
 * parseAuditLine('{"decision":"allow"}') // { decision: 'allow' }
 */
export function parseAuditLine(line: string): Partial<AuditEvent> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Partial<AuditEvent>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The files of a file sink's trail, oldest first: the sink rotates `<path>` to `<path>.1`
 * (newest rotated), `.2`, ... Only files that exist, the live one last (listed even if missing).
 *
 * @example
 * await auditTrailFiles('/var/log/restauth/audit.log') // ['/var/log/restauth/audit.log.2', '.../audit.log.1', '.../audit.log']
 */
export async function auditTrailFiles(path: string): Promise<string[]> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    // the live file's own error is reported by whoever reads it
  }
  const rotated = names
    .filter((n) => n.startsWith(base + '.') && /^[1-9]\d{0,8}$/.test(n.slice(base.length + 1)))
    .map((n) => Number(n.slice(base.length + 1)))
    .sort((a, b) => b - a)
    .map((i) => join(dir, `${base}.${i}`));
  return [...rotated, path];
}

/**
 * Where following a live trail file starts: its identity and size when it was read.
 *
 * @example
 * const start: AuditTrailPosition = await eachAuditLine(path, (line) => console.log(line));
 */
export interface AuditTrailPosition {
  readonly ino: number;
  readonly size: number;
}

/**
 * Every non-empty line of the trail (rotated files, then the live file up to its size now),
 * oldest first, to `visit`. Rejects when the live file cannot be read; a rotated file that
 * vanishes meanwhile (retention) is skipped.
 *
 * @example
 * let denies = 0;
 * await eachAuditLine('./audit.log', (line) => { if (parseAuditLine(line)?.decision === 'deny') denies++; });
 */
export async function eachAuditLine(path: string, visit: (line: string) => void): Promise<AuditTrailPosition> {
  const st = await stat(path);
  for (const file of await auditTrailFiles(path)) {
    const isLive = file === path;
    try {
      // The live file only up to the size seen now: following goes on from there.
      if (isLive && st.size === 0) continue;
      const input = createReadStream(file, { encoding: 'utf8', ...(isLive ? { end: st.size - 1 } : {}) });
      for await (const l of createInterface({ input, crlfDelay: Infinity })) {
        const line = l.trim();
        if (line) visit(line);
      }
    } catch (err) {
      if (isLive) throw err;
    }
  }
  return { ino: st.ino, size: st.size };
}

/**
 * One page of a file trail, newest first: the events matching `filter`, skipping the newest
 * `offset` matches, at most `limit`; `more` tells whether older matches exist; `skipped` counts
 * lines that were not JSON.
 *
 * @example
 * const { events, more } = await readAuditFile('./audit.log', { filter: { decision: 'deny' }, limit: 50, offset: 0 });
 */
export async function readAuditFile(
  path: string,
  options: { filter?: AuditFilter; limit: number; offset?: number },
): Promise<{ events: Partial<AuditEvent>[]; more: boolean; skipped: number }> {
  const filter = options.filter ?? {};
  const keep = (options.offset ?? 0) + options.limit + 1; // one more tells whether there are older ones
  const kept: Partial<AuditEvent>[] = [];
  let skipped = 0;
  await eachAuditLine(path, (line) => {
    const e = parseAuditLine(line);
    if (!e) skipped++;
    else if (auditEventMatches(e, filter)) {
      kept.push(e);
      if (kept.length > keep) kept.shift();
    }
  });
  const newestFirst = kept.reverse();
  const page = newestFirst.slice(options.offset ?? 0, (options.offset ?? 0) + options.limit);
  return { events: page, more: newestFirst.length > (options.offset ?? 0) + options.limit, skipped };
}
