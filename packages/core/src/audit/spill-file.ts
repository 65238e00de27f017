import { readFileSync, statSync } from 'node:fs';
import { appendFile, mkdir, open, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditEvent } from './event.js';

/** The queue's overflow file: JSON Lines appended at the end, replayed from a saved offset. */
export interface SpillFile {
  /** Events wait in the file (or its write buffer); newer events must queue behind them there. */
  readonly active: boolean;
  /** Bytes written or buffered but not yet delivered. */
  readonly pendingBytes: number;
  /** Events that could not be spilled (disk error) or read back (damaged line). */
  readonly lost: number;
  append(event: AuditEvent): void;
  /** The next undelivered events (at most `max`) and the offset just after them; none when caught up. */
  read(max: number): Promise<{ events: AuditEvent[]; end: number } | undefined>;
  /** Everything before `end` has reached the sink; removes the file once nothing waits. */
  commit(end: number): Promise<void>;
  /** Resolves once every appended event is on disk. */
  settle(): Promise<void>;
}

const READ_CHUNK = 1024 * 1024;
const NEWLINE = 0x0a;

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Opens (or prepares) a spill file. An existing file (left by a crash, or by a close that could
 * not reach the sink) is picked up where its `<path>.offset` says delivery stopped.
 */
export function openSpillFile(path: string, onError: (error: unknown) => void): SpillFile {
  const offsetPath = path + '.offset';
  let size = 0;
  let offset = 0;
  try {
    size = statSync(path).size;
    const saved = Number.parseInt(readFileSync(offsetPath, 'utf8'), 10);
    if (Number.isSafeInteger(saved) && saved > 0 && saved <= size) offset = saved;
  } catch (err) {
    if (errno(err) !== 'ENOENT') onError(err);
  }
  let buffer: string[] = [];
  let bufferBytes = 0;
  let writeScheduled = false;
  // Bytes being appended right now: still waiting, though no longer in `buffer`.
  let writingBytes = 0;
  let brokenTail = false;
  let lost = 0;
  let chain: Promise<unknown> = Promise.resolve();
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  }

  async function writeBuffered(): Promise<void> {
    writeScheduled = false;
    const lines = buffer;
    const bytes = bufferBytes;
    buffer = [];
    bufferBytes = 0;
    if (!lines.length) return;
    writingBytes = bytes;
    // After a failed append the file may end mid-line: start the next record on a fresh line.
    const text = (brokenTail ? '\n' : '') + lines.join('');
    try {
      await mkdir(dirname(path), { recursive: true });
      await appendFile(path, text, { encoding: 'utf8', mode: 0o600 });
      size += bytes + (brokenTail ? 1 : 0);
      brokenTail = false;
    } catch (err) {
      lost += lines.length;
      onError(err);
      try {
        const now = statSync(path).size;
        brokenTail = now !== size;
        size = now;
      } catch {
        size = offset;
      }
    } finally {
      writingBytes = 0;
    }
  }

  async function readNext(max: number): Promise<{ events: AuditEvent[]; end: number } | undefined> {
    if (offset >= size) return undefined;
    const fh = await open(path, 'r');
    try {
      let want = READ_CHUNK;
      for (;;) {
        const len = Math.min(want, size - offset);
        const buf = Buffer.alloc(len);
        const { bytesRead } = await fh.read(buf, 0, len, offset);
        const data = buf.subarray(0, bytesRead);
        const atEnd = bytesRead < len || offset + bytesRead >= size;
        // Bytes that form whole records; a file left by a crash may end without a newline.
        let complete = data.lastIndexOf(NEWLINE) + 1;
        if (complete === 0 && !atEnd) {
          want *= 2; // one record longer than the chunk
          continue;
        }
        if (atEnd) complete = data.length;
        // Shorter than expected (cut by someone else): nothing more to deliver.
        if (complete === 0) return { events: [], end: size };
        const events: AuditEvent[] = [];
        let pos = 0;
        while (pos < complete && events.length < max) {
          let nl = data.indexOf(NEWLINE, pos);
          if (nl === -1 || nl > complete) nl = complete;
          const line = data.toString('utf8', pos, nl).trim();
          pos = nl + 1;
          if (!line) continue;
          try {
            const e = JSON.parse(line) as unknown;
            if (e && typeof e === 'object' && !Array.isArray(e)) events.push(e as AuditEvent);
            else lost++;
          } catch {
            lost++;
          }
        }
        if (bytesRead < len && pos >= complete) return { events, end: size };
        return { events, end: offset + Math.min(pos, complete) };
      }
    } finally {
      await fh.close();
    }
  }

  async function commitTo(end: number): Promise<void> {
    offset = Math.max(offset, end);
    if (offset >= size && !buffer.length && !writeScheduled) {
      try {
        await unlink(path);
        await unlink(offsetPath).catch(() => undefined);
        size = 0;
        offset = 0;
      } catch (err) {
        if (errno(err) === 'ENOENT') {
          size = 0;
          offset = 0;
        } else onError(err);
      }
      return;
    }
    // Saved so that a restart resumes here instead of replaying what the sink already has.
    try {
      await writeFile(offsetPath, String(offset), { mode: 0o600 });
    } catch (err) {
      onError(err);
    }
  }

  return {
    get active() {
      return size > offset || buffer.length > 0 || writingBytes > 0;
    },
    get pendingBytes() {
      return size - offset + bufferBytes + writingBytes;
    },
    get lost() {
      return lost;
    },
    append(event) {
      const line = JSON.stringify(event) + '\n';
      buffer.push(line);
      bufferBytes += Buffer.byteLength(line);
      if (!writeScheduled) {
        writeScheduled = true;
        void serial(writeBuffered);
      }
    },
    read(max) {
      return serial(() => readNext(max));
    },
    commit(end) {
      return serial(() => commitTo(end));
    },
    async settle() {
      await serial(async () => undefined);
    },
  };
}
