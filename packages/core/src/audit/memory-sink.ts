import type { AuditEvent } from './event.js';
import type { AuditSink } from './sink.js';

/**
 * An in-memory sink that keeps the latest events (for tests and `explain`).
 *
 * @example
 * const sink: MemoryAuditSink = createMemoryAuditSink();
 * await auth.close();
 * sink.events.filter((e) => e.decision === 'deny');
 */
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
