import { readFileSync, statSync } from 'node:fs';
import { appendFile, mkdir, open, truncate, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditEvent } from './event.js';

/** The queue's overflow file: JSON Lines appended at the end, replayed from a saved offset. */
export interface SpillFile {
  /** Events wait in the file (or its write buffer); newer events must queue behind them there. */
  readonly active: boolean;
  /** Bytes written or buffered but not yet delivered. */
  readonly pendingBytes: number;
  /** Events that could not be kept (the memory buffer over its cap while the disk fails) or read back (damaged line). */
  readonly lost: number;
  append(event: AuditEvent): void;
  /**
   * The next undelivered events (at most `max`) and the offset just after them; none when caught
   * up. Once the file is read to its end, events the disk refused (still in memory) come next,
   * with no `end`: they are in no file, and must be spilled again if they cannot be delivered.
   */
  read(max: number): Promise<{ events: AuditEvent[]; end: number | undefined } | undefined>;
  /** Everything before `end` has reached the sink; removes the file once nothing waits. */
  commit(end: number): Promise<void>;
  /** Makes one last attempt to write what waits in memory; resolves once it is on disk or counted lost. */
  settle(): Promise<void>;
}

const READ_CHUNK = 1024 * 1024;
/** Bytes of events kept in memory while the disk refuses them (full, failing); more are lost. */
const MAX_UNWRITTEN_BYTES = 64 * 1024 * 1024;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;
/** The offset file holds a fixed-width number, rewritten in place: no new block is needed on a full disk. */
const OFFSET_WIDTH = 20;
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
  let retryMs = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  }

  function scheduleWrite(): void {
    if (writeScheduled || retryTimer) return;
    writeScheduled = true;
    void serial(writeBuffered);
  }

  async function writeBuffered(): Promise<void> {
    writeScheduled = false;
    const lines = buffer;
    const bytes = bufferBytes;
    buffer = [];
    bufferBytes = 0;
    if (!lines.length) return;
    writingBytes = bytes;
    // After a failed append that could not be cut back the file may end mid-line: start the next record on a fresh line.
    const text = (brokenTail ? '\n' : '') + lines.join('');
    try {
      await mkdir(dirname(path), { recursive: true });
      await appendFile(path, text, { encoding: 'utf8', mode: 0o600 });
      size += bytes + (brokenTail ? 1 : 0);
      brokenTail = false;
      retryMs = 0;
    } catch (err) {
      onError(err);
      // Part of the text may be on disk: cut back to the last whole record, so that the retry
      // writes each event once and no torn line stays.
      try {
        await truncate(path, size);
      } catch {
        try {
          const now = statSync(path).size;
          brokenTail = now !== size;
          size = now;
        } catch {
          size = offset;
        }
      }
      // The events stay in memory, ahead of newer ones, and are tried again after a back-off.
      buffer = lines.concat(buffer);
      bufferBytes += bytes;
      while (bufferBytes > MAX_UNWRITTEN_BYTES && buffer.length) {
        bufferBytes -= Buffer.byteLength(buffer.pop() as string);
        lost++;
      }
      retryMs = retryMs ? Math.min(retryMs * 2, RETRY_MAX_MS) : RETRY_MIN_MS;
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        if (buffer.length) scheduleWrite();
      }, retryMs);
      retryTimer.unref();
    } finally {
      writingBytes = 0;
    }
  }

  /** Events the disk has not taken yet, delivered straight from memory once the file is caught up. */
  function fromMemory(max: number): { events: AuditEvent[]; end: undefined } | undefined {
    if (!buffer.length) return undefined;
    const lines = buffer.splice(0, max);
    const events: AuditEvent[] = [];
    for (const line of lines) {
      bufferBytes -= Buffer.byteLength(line);
      events.push(JSON.parse(line) as AuditEvent);
    }
    return { events, end: undefined };
  }

  async function readNext(max: number): Promise<{ events: AuditEvent[]; end: number | undefined } | undefined> {
    if (offset >= size) {
      const r = fromMemory(max);
      // Nothing waits any more: remove the (delivered or cut back) file, as a replay's commit does.
      if (r && !buffer.length) await commitTo(offset);
      return r;
    }
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
    // Saved so that a restart resumes here instead of replaying what the sink already has;
    // written in place at a fixed width, so that it needs no new space on a full disk.
    try {
      const text = String(offset).padStart(OFFSET_WIDTH, '0');
      let fh;
      try {
        fh = await open(offsetPath, 'r+');
      } catch (err) {
        if (errno(err) !== 'ENOENT') throw err;
        await writeFile(offsetPath, text, { mode: 0o600 });
        return;
      }
      try {
        await fh.write(text, 0, 'utf8');
        await fh.truncate(OFFSET_WIDTH);
      } finally {
        await fh.close();
      }
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
      scheduleWrite();
    },
    read(max) {
      return serial(() => readNext(max));
    },
    commit(end) {
      return serial(() => commitTo(end));
    },
    async settle() {
      // A close: one last try for what the disk refused so far.
      if (retryTimer) {
        clearTimeout(retryTimer);
        retryTimer = undefined;
        if (buffer.length) scheduleWrite();
      }
      await serial(async () => undefined);
      if (retryTimer) {
        // The disk still refuses them and the process is going away: they are lost, and counted.
        clearTimeout(retryTimer);
        retryTimer = undefined;
        lost += buffer.length;
        buffer = [];
        bufferBytes = 0;
      }
    },
  };
}
