import { createReadStream } from 'node:fs';
import { appendFile, mkdir, open, readdir, readFile, rename, stat, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Stats } from 'node:fs';
import type { AuditEvent } from './event.js';
import type { AuditSink } from './sink.js';

/**
 * Options of {@link createFileAuditSink}.
 *
 * @example
 * const options: FileAuditSinkOptions = { path: './logs/audit.log', maxFileBytes: 5 * 1024 * 1024, retention: { maxAgeDays: 7 } };
 */
export interface FileAuditSinkOptions {
  /** The live file; rotated files are `<path>.1` (newest), `<path>.2`, ... */
  readonly path: string;
  /** Rotate before the live file would exceed this size. Default 10 MiB. */
  readonly maxFileBytes?: number;
  readonly retention?: {
    /** Delete rotated files last written longer ago than this. Default 30; 0: no age limit. */
    readonly maxAgeDays?: number;
    /** Keep at most this many events across the live and rotated files. Default 100 000. */
    readonly maxEntries?: number;
  };
  /** How often retention runs (an unref'd timer), ms. Default 3 600 000; 0: only on rotation and `prune()`. */
  readonly pruneIntervalMs?: number;
  /** Clock for retention by age; default `Date.now`. */
  readonly now?: () => number;
  /** Told about failures of scheduled retention runs (writes report theirs by rejecting). */
  readonly onError?: (error: unknown) => void;
}

/**
 * What one retention run removed.
 *
 * @example
 * const { deletedFiles, trimmedEntries }: AuditPruneResult = await sink.prune();
 */
export interface AuditPruneResult {
  /** Rotated files deleted (too old, or wholly beyond `maxEntries`). */
  readonly deletedFiles: readonly string[];
  /** Events cut from the oldest kept file so that at most `maxEntries` remain. */
  readonly trimmedEntries: number;
}

/**
 * A JSON Lines file sink with rotation by size and retention by age and count.
 *
 * @example
 * const sink: FileAuditSink = createFileAuditSink({ path: './audit.log' });
 * await sink.prune();
 * await sink.close();
 */
export interface FileAuditSink extends AuditSink {
  readonly path: string;
  /** Applies retention now (it also runs on a timer and after each rotation). */
  prune(): Promise<AuditPruneResult>;
  /** Stops the retention timer and waits for pending writes. */
  close(): Promise<void>;
}

const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
const DEFAULT_MAX_AGE_DAYS = 30;
const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_PRUNE_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;
const NEWLINE = 0x0a;

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Where the last whole line of a file ends (0 when there is none). */
async function endOfLastLine(file: string, size: number): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - buf.length);
      const { bytesRead } = await fh.read(buf, 0, end - start, start);
      const nl = buf.subarray(0, bytesRead).lastIndexOf(NEWLINE);
      if (nl !== -1) return start + nl + 1;
      end = start;
    }
    return 0;
  } finally {
    await fh.close();
  }
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file)) {
    const buf = chunk as Buffer;
    for (let i = buf.indexOf(NEWLINE); i !== -1; i = buf.indexOf(NEWLINE, i + 1)) n++;
  }
  return n;
}

/**
 * Appends JSON Lines to a file, one event per line. Before the file would grow past
 * `maxFileBytes` (or hold more than `maxEntries` events) it is renamed to `<path>.1`, older ones
 * shifting to `.2`, `.3`, ... Retention deletes rotated files older than `maxAgeDays` and trims
 * the oldest so that at most `maxEntries` events are kept in all; it runs on an unref'd timer,
 * after each rotation, and when `prune()` is called. One process should own a file.
 * A write that fails part-way (a full disk) cuts the file back to its last whole line, and the
 * queue's retry of the same batch continues where it stopped: each event lands once, no line is
 * torn. A torn last line left by a crash is cut when the file is opened.
 *
 * @example
 * const sink = createFileAuditSink({ path: './logs/audit.log', maxFileBytes: 10 * 1024 * 1024, retention: { maxAgeDays: 30, maxEntries: 100_000 } });
 * await sink.prune(); // { deletedFiles: [...], trimmedEntries: 0 }
 */
export function createFileAuditSink(pathOrOptions: string | FileAuditSinkOptions): FileAuditSink {
  const options: FileAuditSinkOptions = typeof pathOrOptions === 'string' ? { path: pathOrOptions } : pathOrOptions;
  const path = options.path;
  const dir = dirname(path);
  const base = basename(path);
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxAgeDays = options.retention?.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS;
  const maxEntries = options.retention?.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const now = options.now ?? Date.now;
  const report = (err: unknown) => options.onError?.(err);
  // Line counts of rotated files, by identity: rotated files only change when trimmed.
  let lineCache = new Map<string, number>();
  let size = 0;
  let lines = 0;
  let initialised = false;
  let closed = false;
  // A batch that failed after some of its events were appended (and maybe rotated away): the
  // queue retries the same batch, whose first `done` events must not be written again.
  let partial: { events: readonly AuditEvent[]; done: number } | undefined;
  // Every file operation runs in order: rotation renames must not race appends or retention.
  let chain: Promise<unknown> = Promise.resolve();
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  }

  async function init(scheduleRetention: boolean): Promise<void> {
    if (initialised) return;
    await mkdir(dir, { recursive: true });
    try {
      const st = await stat(path);
      size = st.size;
      if (size) {
        // A crash mid-line leaves a torn record that was never acknowledged (the queue delivers
        // it again): cut it, so that every line stays whole JSON.
        const whole = await endOfLastLine(path, size);
        if (whole !== size) {
          await truncate(path, whole);
          size = whole;
        }
      }
      lines = size ? await countLines(path) : 0;
    } catch (err) {
      if (!isMissing(err)) throw err;
      size = 0;
      lines = 0;
    }
    initialised = true;
    // Apps that restart often may never see the timer fire: apply retention once per start.
    if (scheduleRetention) void serial(applyRetention).catch(report);
  }

  async function rotatedIndices(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const prefix = base + '.';
    const out: number[] = [];
    for (const n of names) {
      if (!n.startsWith(prefix)) continue;
      const suffix = n.slice(prefix.length);
      if (/^[1-9][0-9]{0,8}$/.test(suffix)) out.push(Number(suffix));
    }
    return out.sort((a, b) => a - b);
  }

  const rotatedPath = (i: number) => join(dir, `${base}.${i}`);

  async function rotate(): Promise<void> {
    const indices = await rotatedIndices();
    for (let k = indices.length - 1; k >= 0; k--) {
      const i = indices[k] as number;
      await rename(rotatedPath(i), rotatedPath(i + 1));
    }
    await rename(path, rotatedPath(1));
    size = 0;
    lines = 0;
  }

  async function append(text: string, bytes: number, count: number): Promise<void> {
    try {
      await appendFile(path, text, { encoding: 'utf8', mode: 0o600 });
    } catch (err) {
      // A full disk (ENOSPC) or a failing device can leave part of the text written: cut the
      // file back to its last whole line, so the retry writes each event once and no torn line stays.
      await truncate(path, size).catch((cutErr: unknown) => {
        if (!isMissing(cutErr)) initialised = false; // re-read the file's true end before the next write
      });
      throw err;
    }
    size += bytes;
    lines += count;
  }

  async function linesOf(file: string, st: Stats, seen: Map<string, number>): Promise<number> {
    const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    const n = lineCache.get(key) ?? (await countLines(file));
    seen.set(key, n);
    return n;
  }

  async function keepNewest(file: string, keep: number, st: Stats): Promise<void> {
    const text = await readFile(file, 'utf8');
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    const tmp = `${file}.tmp`;
    await writeFile(tmp, all.slice(all.length - keep).map((l) => l + '\n').join(''), { encoding: 'utf8', mode: 0o600 });
    // Keep the age: retention by age reads the modification time.
    await utimes(tmp, st.atime, st.mtime);
    await rename(tmp, file);
  }

  async function applyRetention(): Promise<AuditPruneResult> {
    const cutoff = maxAgeDays > 0 ? now() - maxAgeDays * DAY_MS : -Infinity;
    let remaining = maxEntries - lines;
    const deletedFiles: string[] = [];
    let trimmedEntries = 0;
    const seen = new Map<string, number>();
    for (const i of await rotatedIndices()) {
      const file = rotatedPath(i);
      let st: Stats;
      try {
        st = await stat(file);
      } catch (err) {
        if (isMissing(err)) continue;
        throw err;
      }
      if (st.mtimeMs < cutoff || remaining <= 0) {
        await unlink(file);
        deletedFiles.push(file);
        continue;
      }
      const n = await linesOf(file, st, seen);
      if (n > remaining) {
        await keepNewest(file, remaining, st);
        trimmedEntries += n - remaining;
        remaining = 0;
      } else remaining -= n;
    }
    lineCache = seen;
    return { deletedFiles, trimmedEntries };
  }

  const timer = (options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS) > 0
    ? setInterval(() => { void serial(applyRetention).catch(report); }, options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS)
    : undefined;
  timer?.unref();

  return {
    path,
    write(events: readonly AuditEvent[]) {
      return serial(async () => {
        if (closed) throw new Error('audit file sink is closed');
        await init(true);
        const skip = partial?.events === events ? partial.done : 0;
        partial = undefined;
        let done = skip;
        let chunk = '';
        let bytes = 0;
        let count = 0;
        let rotated = false;
        try {
          for (let i = skip; i < events.length; i++) {
            const line = JSON.stringify(events[i]) + '\n';
            const n = Buffer.byteLength(line);
            if (size + bytes > 0 && (size + bytes + n > maxFileBytes || lines + count >= maxEntries)) {
              if (count) await append(chunk, bytes, count);
              done += count;
              chunk = '';
              bytes = 0;
              count = 0;
              await rotate();
              rotated = true;
            }
            chunk += line;
            bytes += n;
            count++;
          }
          if (count) await append(chunk, bytes, count);
        } catch (err) {
          if (done > 0) partial = { events, done };
          throw err;
        } finally {
          if (rotated) void serial(applyRetention).catch(report);
        }
      });
    },
    prune() {
      return serial(async () => {
        await init(false);
        return applyRetention();
      });
    },
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      await serial(async () => undefined);
    },
  };
}
