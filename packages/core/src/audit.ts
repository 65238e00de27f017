import { appendFile } from 'node:fs/promises';
import type { DecisionReason } from './decision.js';
import type { TokenType } from './principal.js';

/** One audit record per decision. Never holds a token or secret. */
export interface AuditEvent {
  readonly time: string;
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly decision: 'allow' | 'deny' | 'would-deny';
  readonly reason: DecisionReason;
  readonly username: string | null;
  readonly provider: string | null;
  readonly tokenType: TokenType | null;
  readonly clientId: string | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly latencyMs: number;
}

/**
 * Where audit events go. `write` receives batches; it may reject, and the queue retries.
 *
 * @example
 * const sink: AuditSink = { async write(events) { for (const e of events) console.log(e.username) } };
 */
export interface AuditSink {
  write(events: readonly AuditEvent[]): Promise<void>;
  close?(): Promise<void>;
}

/** An in-memory sink that keeps the latest events (for tests and `explain`). */
export interface MemoryAuditSink extends AuditSink {
  readonly events: readonly AuditEvent[];
}

/**
 * Keeps the latest `max` events in memory.
 *
 * @example
 * const sink = createMemoryAuditSink(); // sink.events
 */
export function createMemoryAuditSink(max = 10_000): MemoryAuditSink {
  const events: AuditEvent[] = [];
  return {
    events,
    async write(batch) {
      events.push(...batch);
      if (events.length > max) events.splice(0, events.length - max);
    },
  };
}

/**
 * Writes JSON Lines to standard output (for container log pipelines).
 *
 * @example
 * const sink = createStdoutAuditSink();
 */
export function createStdoutAuditSink(write: (text: string) => void = (t) => process.stdout.write(t)): AuditSink {
  return {
    async write(batch) {
      write(batch.map((e) => JSON.stringify(e)).join('\n') + '\n');
    },
  };
}

/**
 * Appends JSON Lines to a file.
 *
 * @example
 * const sink = createFileAuditSink('./audit.log');
 */
export function createFileAuditSink(path: string): AuditSink {
  return {
    async write(batch) {
      await appendFile(path, batch.map((e) => JSON.stringify(e)).join('\n') + '\n', 'utf8');
    },
  };
}

/** A bounded queue in front of a sink: `push` never waits, writes happen in batches. */
export interface AuditQueue {
  push(event: AuditEvent): void;
  /** Writes everything queued; resolves when the sink has it. */
  flush(): Promise<void>;
  /** Events dropped because the queue was full. */
  readonly dropped: number;
  close(): Promise<void>;
}

/**
 * Creates the queue that keeps audit writes off the response path. When full, the oldest events
 * are dropped and counted; a failed write is retried with back-off.
 *
 * @example
 * const queue = createAuditQueue(createMemoryAuditSink());
 */
export function createAuditQueue(sink: AuditSink, options: { maxQueue?: number; batchSize?: number; maxRetryMs?: number } = {}): AuditQueue {
  const maxQueue = options.maxQueue ?? 10_000;
  const batchSize = options.batchSize ?? 500;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  let queue: AuditEvent[] = [];
  let dropped = 0;
  let running: Promise<void> | undefined;
  let scheduled = false;
  let closed = false;

  async function drain(): Promise<void> {
    let delay = 100;
    while (queue.length) {
      const batch = queue.slice(0, batchSize);
      try {
        await sink.write(batch);
        queue = queue.slice(batch.length);
        delay = 100;
      } catch {
        if (closed) return;
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(delay * 2, maxRetryMs);
      }
    }
  }

  function run(): Promise<void> {
    if (!running) running = drain().finally(() => { running = undefined; });
    return running;
  }

  return {
    push(event) {
      if (closed) return;
      queue.push(event);
      if (queue.length > maxQueue) {
        queue.shift();
        dropped++;
      }
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          void run();
        });
      }
    },
    async flush() {
      while (queue.length) await run();
    },
    get dropped() {
      return dropped;
    },
    async close() {
      await this.flush();
      closed = true;
      await sink.close?.();
    },
  };
}
