import { existsSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { auditEventMatches as matches, auditTrailFiles as trailFiles, eachAuditLine as eachLine, parseAuditLine as parseLine } from '@restauth/core';
import type { AuditEvent, AuditFilter as Filter, AuditTrailPosition as FollowStart } from '@restauth/core';
import { intValue, stringValue, type Command, type CommandContext } from '../command.js';
import { loadConfigFile } from '../config-file.js';
import { CliError, messageOf, UsageError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { padEnd, shortTime, table, type Output } from '../output.js';
import { importPostgres } from '../plugins.js';

const TAIL = 'audit tail';
/** The most rows one query of @restauth/postgres returns. */
const POSTGRES_MAX_LIMIT = 10_000;
const QUERY = 'audit query';
const DECISIONS = ['allow', 'deny', 'would-deny'] as const;
type Decision = (typeof DECISIONS)[number];

/** Where the events are: a JSON Lines file, or the PostgreSQL sink. */
type Source =
  | { readonly kind: 'file'; readonly path: string; readonly display: string }
  | { readonly kind: 'postgres'; readonly url: string | undefined; readonly table: string | undefined; readonly display: string };

/** The last n items (none for 0, where `slice(-0)` would give all). */
const lastN = <T>(items: readonly T[], n: number): T[] => (n > 0 ? items.slice(-n) : []);

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `15m`, `1h`, `7d`, `2w` ago, or an ISO 8601 date/time. */
export function parseSince(text: string, option: string, command: string, now = Date.now()): Date {
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (m) return new Date(now - Number(m[1]) * (UNIT_MS[m[2] as string] as number));
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new UsageError(`--${option} must be a duration like 30m, 1h, 7d or an ISO 8601 time, got "${text}"`, command);
}

function decisionValue(value: string | undefined, command: string): Decision | undefined {
  if (value === undefined) return undefined;
  if (!(DECISIONS as readonly string[]).includes(value)) throw new UsageError(`--decision must be one of ${DECISIONS.join(', ')}, got "${value}"`, command);
  return value as Decision;
}

async function auditSource(ctx: CommandContext, command: string): Promise<Source> {
  const file = stringValue(ctx.values['file']);
  if (file !== undefined) return { kind: 'file', path: resolve(ctx.io.cwd, file), display: file };
  const loaded = loadConfigFile(ctx);
  const { audit } = loaded.resolved;
  const sink = audit.sink;
  if (!audit.enabled) ctx.out.note(`${ctx.out.errStyle.yellow('note:')} audit is off in ${loaded.location.display}; reading its configured sink anyway`);
  if (sink.type === 'file' && sink.path) {
    // The app resolves the path against its working directory; from elsewhere, the config's folder is the better guess.
    const fromCwd = resolve(ctx.io.cwd, sink.path);
    const fromConfig = resolve(dirname(loaded.location.path), sink.path);
    const path = existsSync(fromCwd) || !existsSync(fromConfig) ? fromCwd : fromConfig;
    return { kind: 'file', path, display: sink.path };
  }
  if (sink.type === 'postgres') return { kind: 'postgres', url: sink.url, table: sink.table, display: `PostgreSQL${sink.table ? ` table ${sink.table}` : ''}` };
  throw new CliError(`audit.sink in ${loaded.location.display} is "${sink.type}": its events are not kept where the CLI can read them`, {
    exitCode: EXIT_CODES.usage, code: 'config',
    hint: sink.type === 'stdout' ? 'Read them in your log pipeline, or pass --file with a JSON Lines copy.' : `"restauth ${command}" reads a "file" or "postgres" sink, or --file FILE.`,
  });
}

function eventCells(e: Partial<AuditEvent>, out: Output): string[] {
  const s = out.style;
  const d = String(e.decision ?? '?');
  const decision = d === 'allow' ? s.green('ALLOW') : d === 'deny' ? s.red('DENY') : d === 'would-deny' ? s.yellow('WOULD-DENY') : d.toUpperCase();
  const who = e.username ? `${e.username}${e.provider ? s.dim(` (${e.provider})`) : ''}` : s.dim('anonymous');
  return [shortTime(e.time), decision, String(e.status ?? '-'), `${e.method ?? '-'} ${e.path ?? '-'}`, who, e.reason ?? '-', e.ip ?? '-', `${e.latencyMs ?? '-'}ms`];
}

const HEADER = ['TIME', 'DECISION', 'STATUS', 'REQUEST', 'USER', 'REASON', 'IP', 'LATENCY'];
// Fixed widths for streamed lines, which cannot be aligned as a whole.
const WIDTHS = [20, 10, 6, 28, 16, 13, 15];

function streamedLine(cells: readonly string[]): string {
  return cells.map((c, i) => (i < WIDTHS.length ? padEnd(c, WIDTHS[i] as number) : c)).join('  ');
}

function printEvents(out: Output, events: readonly Partial<AuditEvent>[], raw: readonly string[]): void {
  if (out.json) {
    for (const line of raw) out.write(line + '\n');
    return;
  }
  if (events.length) out.write(table(events.map((e) => eventCells(e, out)), { header: HEADER, style: out.style }));
}

function printStreamed(out: Output, event: Partial<AuditEvent>, raw: string): void {
  if (out.json) {
    out.write(raw + '\n');
    return;
  }
  out.line(streamedLine(eventCells(event, out)));
}

/** Lines of one file from its end, read backwards in chunks (audit files grow large), until `n` are found. */
async function lastLinesOf(path: string, n: number): Promise<{ lines: string[]; start: FollowStart }> {
  const handle = await open(path, 'r');
  try {
    const { size, ino } = await handle.stat();
    let pos = size;
    let text = '';
    while (pos > 0 && text.split('\n').filter((l) => l.trim()).length <= n) {
      const len = Math.min(64 * 1024, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await handle.read(buf, 0, len, pos);
      text = buf.toString('utf8') + text;
    }
    // Stopped mid-file: the first line may be cut, and then more than n were read anyway.
    return { lines: text.split('\n').map((l) => l.trim()).filter(Boolean), start: { ino, size } };
  } finally {
    await handle.close();
  }
}

/** The last `n` lines of the trail: the live file, then rotated ones while more are needed. */
async function lastLines(path: string, n: number): Promise<{ lines: string[]; start: FollowStart }> {
  const live = await lastLinesOf(path, n);
  let lines = live.lines;
  for (const file of (await trailFiles(path)).reverse().slice(1)) {
    if (lines.length >= n) break;
    try {
      lines = [...(await lastLinesOf(file, n - lines.length)).lines, ...lines];
    } catch {
      // a rotated file may vanish under retention: skip it
    }
  }
  return { lines: lastN(lines, n), start: live.start };
}

function fileError(err: unknown, display: string): CliError {
  const code = (err as NodeJS.ErrnoException).code;
  return new CliError(`cannot read audit file ${display}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, {
    hint: code === 'ENOENT' ? 'Is audit on, and is this where the app runs? Pass --file to point at the file.' : undefined,
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((done) => {
    const t = setTimeout(finish, ms);
    function finish() {
      clearTimeout(t);
      signal?.removeEventListener('abort', finish);
      done();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });
}

/**
 * Prints lines appended to the live file until the signal aborts. The open handle follows the
 * file through a rotation (a rename), so its last lines are read before switching to the new file.
 */
async function follow(ctx: CommandContext, path: string, start: FollowStart, filter: Filter): Promise<void> {
  const signal = ctx.io.signal;
  let handle: FileHandle | undefined = await open(path, 'r').catch(() => undefined);
  let ino = start.ino;
  let offset = start.size;
  if (handle && (await handle.stat()).ino !== ino) offset = 0; // rotated between the read and now
  let partial = '';
  const emit = (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines.map((l) => l.trim()).filter(Boolean)) {
      const e = parseLine(line);
      if (e && matches(e, filter)) printStreamed(ctx.out, e, line);
      else if (!e && !ctx.out.json) ctx.out.line(ctx.out.style.dim(line));
    }
  };
  const drain = async () => {
    if (!handle) return;
    const { size } = await handle.stat();
    if (size < offset) { // truncated in place
      offset = 0;
      partial = '';
    }
    if (size === offset) return;
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
    offset += bytesRead;
    emit(buf.subarray(0, bytesRead).toString('utf8'));
  };
  try {
    while (!signal?.aborted) {
      await sleep(250, signal);
      if (signal?.aborted) break;
      await drain();
      const now = await stat(path).catch(() => undefined);
      if (now && (!handle || now.ino !== ino)) {
        await drain(); // the rest of the rotated file
        await handle?.close();
        handle = await open(path, 'r').catch(() => undefined);
        ino = now.ino;
        offset = 0;
        partial = '';
        await drain();
      }
    }
  } finally {
    await handle?.close();
  }
}

const SOURCE_OPTIONS = {
  file: { type: 'string', value: 'FILE', description: 'Read this JSON Lines file instead of the configured audit.sink' },
} as const;

const FILTER_OPTIONS = {
  user: { type: 'string', short: 'u', value: 'USER', description: 'Only events of this username' },
  decision: { type: 'string', value: 'D', description: 'Only allow, deny or would-deny' },
} as const;

export const auditTailCommand: Command = {
  name: TAIL,
  summary: 'Show the latest audit events, and follow new ones',
  usage: '[--file FILE] [-n N] [--follow] [--user U] [--decision D]',
  description: [
    'Prints the last N events of the audit trail: the JSON Lines file of a "file" sink (or --file),',
    'or the latest rows of a "postgres" sink. --follow keeps printing events as the app appends them',
    '(file only; it survives rotation) until Ctrl-C. With --json, events are printed as JSON Lines.',
  ].join('\n'),
  options: {
    ...SOURCE_OPTIONS,
    lines: { type: 'string', short: 'n', value: 'N', description: 'How many events. Default 10' },
    follow: { type: 'boolean', short: 'f', description: 'Keep printing new events (file sink only), like tail -f' },
    ...FILTER_OPTIONS,
  },
  positionals: { min: 0, max: 0 },
  examples: ['restauth audit tail', 'restauth audit tail -n 50 --follow --decision deny', 'restauth audit tail --file /var/log/restauth/audit.log --json | jq .path'],
  async run(ctx) {
    const { values, out } = ctx;
    const n = intValue(values['lines'], 'lines', TAIL, 0, 100_000) ?? 10;
    const filter: Filter = { user: stringValue(values['user']), decision: decisionValue(stringValue(values['decision']), TAIL) };
    const source = await auditSource(ctx, TAIL);
    if (source.kind === 'postgres') {
      if (values['follow']) throw new UsageError('--follow needs a file sink (or --file); for PostgreSQL use "restauth audit query --since 5m"', TAIL);
      return n === 0 ? EXIT_CODES.ok : queryPostgres(ctx, source, filter, Math.min(n, POSTGRES_MAX_LIMIT));
    }
    const filtering = filter.user !== undefined || filter.decision !== undefined;
    let events: Partial<AuditEvent>[] = [];
    let raw: string[] = [];
    let bad = 0;
    const take = (line: string) => {
      const e = parseLine(line);
      if (!e) bad++;
      else if (matches(e, filter)) {
        events.push(e);
        raw.push(line);
        if (events.length > n) {
          events.shift();
          raw.shift();
        }
      }
    };
    let start: FollowStart;
    try {
      if (filtering) {
        // With a filter, the last n matching events may lie anywhere: read the whole trail.
        start = await eachLine(source.path, take);
      } else {
        // -n counts events: read further back for as many lines as were not JSON.
        for (let want = n; ; want = n + bad) {
          events = [];
          raw = [];
          bad = 0;
          const last = await lastLines(source.path, want);
          last.lines.forEach(take);
          start = last.start;
          if (events.length >= n || bad === 0 || last.lines.length < want) break;
        }
      }
    } catch (err) {
      throw fileError(err, source.display);
    }
    if (values['follow'] && !out.json) {
      // Streamed events cannot be aligned as a whole: fixed widths from the first line on.
      out.line(streamedLine(HEADER.map((h) => out.style.bold(h))));
      lastN(events, n).forEach((e, i) => printStreamed(out, e, lastN(raw, n)[i] as string));
    } else {
      printEvents(out, lastN(events, n), lastN(raw, n));
    }
    if (bad) out.note(out.errStyle.yellow(`note: ${bad} line${bad === 1 ? ' was' : 's were'} not JSON and ${bad === 1 ? 'was' : 'were'} skipped`));
    if (!values['follow']) {
      if (!events.length && !out.json) out.line(out.style.dim(`No events in ${source.display}${filtering ? ' match' : ''}.`));
      return EXIT_CODES.ok;
    }
    if (!out.json) out.note(out.errStyle.dim(`Following ${source.display} (Ctrl-C to stop)…`));
    await follow(ctx, source.path, start, filter);
    return EXIT_CODES.ok;
  },
};

async function queryFile(ctx: CommandContext, source: Extract<Source, { kind: 'file' }>, filter: Filter, limit: number): Promise<number> {
  const kept: { event: Partial<AuditEvent>; line: string }[] = [];
  let bad = 0;
  try {
    await eachLine(source.path, (line) => {
      const e = parseLine(line);
      if (!e) bad++;
      else if (matches(e, filter)) {
        kept.push({ event: e, line });
        if (kept.length > limit) kept.shift();
      }
    });
  } catch (err) {
    throw fileError(err, source.display);
  }
  finish(ctx.out, kept.map((k) => k.event), kept.map((k) => k.line), source.display, limit);
  if (bad) ctx.out.note(ctx.out.errStyle.yellow(`note: ${bad} line${bad === 1 ? ' was' : 's were'} not JSON and ${bad === 1 ? 'was' : 'were'} skipped`));
  return EXIT_CODES.ok;
}

async function queryPostgres(ctx: CommandContext, source: Extract<Source, { kind: 'postgres' }>, filter: Filter, limit: number): Promise<number> {
  const { createPostgresAuditSink } = await importPostgres(['audit.sink']);
  // Reading never creates the table (autoMigrate) and never prunes.
  const sink = createPostgresAuditSink({ url: source.url, table: source.table, autoMigrate: false, pruneIntervalMs: 0 });
  let rows: readonly AuditEvent[];
  try {
    rows = await ctx.out.progress('Querying the audit table…', () =>
      sink.query({ user: filter.user, since: filter.since, until: filter.until, decision: filter.decision, reason: filter.reason, limit: Math.min(limit, POSTGRES_MAX_LIMIT) }),
    );
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    throw new CliError(
      code === '42P01' ? `the audit table ${sink.table} does not exist yet (the app creates it with its first event)` : `cannot query the audit table ${sink.table}: ${messageOf(cause)}`,
      { cause },
    );
  } finally {
    await sink.close();
  }
  // Newest last, like a file.
  const events = [...rows].filter((e) => matches(e, filter)).sort((a, b) => Date.parse(a.time) - Date.parse(b.time)).slice(-limit);
  finish(ctx.out, events, events.map((e) => JSON.stringify(e)), source.display, limit);
  return EXIT_CODES.ok;
}

function finish(out: Output, events: readonly Partial<AuditEvent>[], raw: readonly string[], display: string, limit: number): void {
  printEvents(out, events, raw);
  if (out.json) return;
  const denies = events.filter((e) => e.decision === 'deny').length;
  out.line(out.style.dim(events.length
    ? `${events.length} event${events.length === 1 ? '' : 's'} (${denies} denied) from ${display}${events.length === limit ? `; --limit ${limit} reached, older ones not shown` : ''}`
    : `No matching events in ${display}.`));
}

export const auditQueryCommand: Command = {
  name: QUERY,
  summary: 'Search the audit trail by user, time and decision',
  usage: '[--user U] [--since 1h] [--until T] [--decision D] [--reason R] [--limit N] [--file FILE]',
  description: [
    'Filters the audit trail of the configured audit.sink: a JSON Lines file (scanned line by line)',
    'or PostgreSQL (queried through @restauth/postgres). Prints the latest --limit matches, oldest',
    'first. --since and --until take a duration back from now (90s, 15m, 1h, 7d, 2w) or an ISO 8601',
    'time. With --json, events are printed as JSON Lines.',
  ].join('\n'),
  options: {
    ...FILTER_OPTIONS,
    since: { type: 'string', value: 'WHEN', description: 'Only events at or after: 15m, 1h, 7d, or 2026-05-01T00:00:00Z' },
    until: { type: 'string', value: 'WHEN', description: 'Only events at or before (same forms)' },
    reason: { type: 'string', value: 'CHECK', description: 'Only events decided by this check (verify, rule, rateLimit...)' },
    limit: { type: 'string', short: 'l', value: 'N', description: 'At most N events, the latest. Default 100' },
    ...SOURCE_OPTIONS,
  },
  positionals: { min: 0, max: 0 },
  examples: ['restauth audit query --user alice --since 1h --decision deny', 'restauth audit query --since 2026-05-01 --until 2026-05-02 --reason rateLimit --json'],
  async run(ctx) {
    const { values } = ctx;
    const since = stringValue(values['since']);
    const until = stringValue(values['until']);
    const filter: Filter = {
      user: stringValue(values['user']),
      decision: decisionValue(stringValue(values['decision']), QUERY),
      reason: stringValue(values['reason']),
      since: since !== undefined ? parseSince(since, 'since', QUERY) : undefined,
      until: until !== undefined ? parseSince(until, 'until', QUERY) : undefined,
    };
    const limit = intValue(values['limit'], 'limit', QUERY, 1, 100_000) ?? 100;
    const source = await auditSource(ctx, QUERY);
    if (source.kind === 'postgres' && limit > POSTGRES_MAX_LIMIT) throw new UsageError(`--limit is at most ${POSTGRES_MAX_LIMIT} with a PostgreSQL sink`, QUERY);
    return source.kind === 'file' ? queryFile(ctx, source, filter, limit) : queryPostgres(ctx, source, filter, limit);
  },
};
