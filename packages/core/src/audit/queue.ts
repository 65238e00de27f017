import type { AuditEvent } from './event.js';
import type { AuditSink } from './sink.js';
import { openSpillFile, type SpillFile } from './spill-file.js';

/**
 * What a full queue does with one more event: drop the oldest waiting event (counted), or
 * append events to a local JSON Lines file that is replayed into the sink once it recovers.
 *
 * @example
 * const policy: AuditQueueOverflow = 'spill';
 */
export type AuditQueueOverflow = 'drop-oldest' | 'spill';

/**
 * Options of {@link createAuditQueue}.
 *
 * @example
 * const options: AuditQueueOptions = { maxEvents: 50_000, onFull: 'spill', spillPath: '/var/lib/app/audit.spill' };
 */
export interface AuditQueueOptions {
  /** Events that may wait in memory (besides the one batch being written). Default 10 000. */
  readonly maxEvents?: number;
  /** Events per `sink.write`. Default 500. */
  readonly batchSize?: number;
  /** Default `drop-oldest`. */
  readonly onFull?: AuditQueueOverflow;
  /** The spill file, required with `onFull: 'spill'`. */
  readonly spillPath?: string;
  /** First delay after a failed write, ms; doubled after each further failure. Default 100. */
  readonly minRetryMs?: number;
  /** Longest delay between retries, ms. Default 30 000. */
  readonly maxRetryMs?: number;
  /** How long `close()` keeps trying to deliver before it gives up, ms. Default 10 000. */
  readonly closeTimeoutMs?: number;
  /** Told about each failed sink write and spill-file error (the queue itself never throws). */
  readonly onError?: (error: unknown) => void;
}

/**
 * Counters of an audit queue since it was created.
 *
 * @example
 * const stats: AuditQueueStats | undefined = auth.auditStats();
 * if (stats && stats.dropped > 0) console.warn(`audit: ${stats.dropped} events dropped`);
 */
export interface AuditQueueStats {
  /** Events waiting in memory, including the batch being written. */
  readonly queued: number;
  /** Bytes of events waiting in the spill file. */
  readonly spillBytes: number;
  /** Events the sink accepted. */
  readonly written: number;
  /** Events lost: dropped by `drop-oldest`, pushed after `close()`, or not spillable. */
  readonly dropped: number;
  /** Events sent to the spill file. */
  readonly spilled: number;
  /** Events delivered from the spill file. */
  readonly replayed: number;
  /** Failed sink writes (each retry counts). */
  readonly failures: number;
  /** True while the last write failed and a retry is pending. */
  readonly retrying: boolean;
}

/**
 * A bounded queue in front of a sink: `push` never waits, writes happen in batches, in order.
 *
 * @example
 * const queue = createAuditQueue(createMemoryAuditSink(), { maxEvents: 1000 });
 * queue.push(event);
 * queue.stats().dropped;
 */
export interface AuditQueue {
  /** Queues one event; returns at once, whatever the sink is doing. */
  push(event: AuditEvent): void;
  /** Resolves once everything queued (and spilled) has reached the sink. */
  flush(): Promise<void>;
  stats(): AuditQueueStats;
  /** Events dropped (same as `stats().dropped`). */
  readonly dropped: number;
  /**
   * Delivers what is queued (for at most `closeTimeoutMs`), then closes the sink. Events still
   * undelivered go to the spill file when there is one (replayed at the next start), else they
   * count as dropped. Never rejects.
   */
  close(): Promise<void>;
}

const COMPACT_AT = 1024;

/**
 * Creates the queue that keeps audit writes off the response path. A failed write keeps its
 * batch and is retried after 100 ms, 200 ms, ... up to `maxRetryMs`, so no event is lost or
 * reordered across an outage the queue can hold. When the queue is full, `onFull` decides.
 *
 * @example
 * const queue = createAuditQueue(createFileAuditSink('./audit.log'), { maxEvents: 10_000, onFull: 'spill', spillPath: './audit.spill' });
 * process.on('SIGTERM', () => { void queue.close(); });
 */
export function createAuditQueue(sink: AuditSink, options: AuditQueueOptions = {}): AuditQueue {
  const maxEvents = options.maxEvents ?? 10_000;
  if (!Number.isInteger(maxEvents) || maxEvents < 1) throw new TypeError('createAuditQueue: maxEvents must be a positive integer');
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 500, maxEvents));
  const minRetryMs = Math.max(1, options.minRetryMs ?? 100);
  const maxRetryMs = Math.max(minRetryMs, options.maxRetryMs ?? 30_000);
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  const report = (err: unknown) => {
    try {
      options.onError?.(err);
    } catch {
      // A throwing error handler must not stop delivery.
    }
  };
  if ((options.onFull ?? 'drop-oldest') === 'spill' && !options.spillPath) throw new TypeError('createAuditQueue: onFull "spill" needs spillPath');
  const spill: SpillFile | undefined = options.onFull === 'spill' ? openSpillFile(options.spillPath as string, report) : undefined;

  // A deque: an array read from `head`, compacted now and then (shift() on a full array is O(n)).
  let items: (AuditEvent | undefined)[] = [];
  let head = 0;
  let inflight: { events: AuditEvent[]; spillEnd: number | undefined } | undefined;
  let written = 0;
  let dropped = 0;
  let spilled = 0;
  let replayed = 0;
  let failures = 0;
  let retrying = false;
  let scheduled = false;
  let running: Promise<void> | undefined;
  let closing = false;
  let closed = false;
  let deadline = Infinity;
  let wake: (() => void) | undefined;
  let closePromise: Promise<void> | undefined;

  const waiting = () => items.length - head;

  function take(n: number): AuditEvent[] {
    const out = items.slice(head, head + n) as AuditEvent[];
    for (let i = 0; i < out.length; i++) items[head + i] = undefined;
    head += out.length;
    compact();
    return out;
  }

  function compact(): void {
    if (head === items.length) {
      items = [];
      head = 0;
    } else if (head >= COMPACT_AT && head * 2 >= items.length) {
      items = items.slice(head);
      head = 0;
    }
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void run();
    });
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      // An app whose sink is down can still exit; while closing, the retry keeps it alive.
      if (!closing) timer.unref();
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  async function next(): Promise<boolean> {
    if (waiting()) {
      inflight = { events: take(batchSize), spillEnd: undefined };
      return true;
    }
    // Spilled events are newer than any in memory, so the file is read only once memory is empty.
    while (spill?.active && !closed) {
      const r = await spill.read(batchSize);
      if (r) {
        inflight = { events: r.events, spillEnd: r.end };
        return true;
      }
    }
    return false;
  }

  async function drain(): Promise<void> {
    let delay = minRetryMs;
    while (!closed) {
      if (!inflight && !(await next())) return;
      const batch = inflight as { events: AuditEvent[]; spillEnd: number | undefined };
      if (batch.events.length) {
        try {
          await sink.write(batch.events);
        } catch (err) {
          failures++;
          retrying = true;
          report(err);
          if (closed) return;
          if (closing) {
            const left = deadline - Date.now();
            if (left <= 0) return;
            await sleep(Math.min(delay, left));
          } else await sleep(delay);
          delay = Math.min(delay * 2, maxRetryMs);
          continue;
        }
      }
      if (closed) return;
      written += batch.events.length;
      if (batch.spillEnd !== undefined) {
        replayed += batch.events.length;
        await spill?.commit(batch.spillEnd);
      }
      inflight = undefined;
      retrying = false;
      delay = minRetryMs;
    }
  }

  function run(): Promise<void> {
    running ??= drain().finally(() => {
      running = undefined;
    });
    return running;
  }

  const pending = () => waiting() > 0 || inflight !== undefined || spill?.active === true;

  async function flush(): Promise<void> {
    while (pending() && !closed) {
      await run();
      if (closing && Date.now() >= deadline) return;
    }
  }

  // A spill file left by the last run is delivered as soon as the sink takes it.
  if (spill?.active) schedule();

  return {
    push(event) {
      if (closed) {
        dropped++;
        return;
      }
      if (spill && (spill.active || waiting() >= maxEvents)) {
        spill.append(event);
        spilled++;
      } else {
        if (waiting() >= maxEvents) {
          take(1);
          dropped++;
        }
        items.push(event);
      }
      schedule();
    },
    flush,
    stats() {
      return {
        queued: waiting() + (inflight && inflight.spillEnd === undefined ? inflight.events.length : 0),
        spillBytes: spill?.pendingBytes ?? 0,
        written,
        dropped: dropped + (spill?.lost ?? 0),
        spilled,
        replayed,
        failures,
        retrying,
      };
    },
    get dropped() {
      return dropped + (spill?.lost ?? 0);
    },
    close() {
      closePromise ??= (async () => {
        closing = true;
        deadline = Date.now() + closeTimeoutMs;
        wake?.(); // retry at once rather than at the end of a long back-off
        let timer: NodeJS.Timeout | undefined;
        const timeUp = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, closeTimeoutMs);
        });
        try {
          await Promise.race([flush(), timeUp]);
        } catch (err) {
          report(err);
        } finally {
          clearTimeout(timer);
        }
        closed = true;
        wake?.();
        // Whatever did not make it: the in-flight batch first, so the spill file stays in order.
        const left: AuditEvent[] = [];
        if (inflight && inflight.spillEnd === undefined) left.push(...inflight.events);
        left.push(...take(waiting()));
        inflight = undefined;
        if (left.length) {
          if (spill) {
            for (const e of left) spill.append(e);
            spilled += left.length;
          } else dropped += left.length;
        }
        try {
          await spill?.settle();
          await sink.close?.();
        } catch (err) {
          report(err);
        }
      })();
      return closePromise;
    },
  };
}
