import { toJsonLines } from './event.js';
import type { AuditSink } from './sink.js';

/**
 * Writes JSON Lines to standard output (for container log pipelines).
 *
 * @example
 * const sink = createStdoutAuditSink();
 */
export function createStdoutAuditSink(write: (text: string) => void = (t) => process.stdout.write(t)): AuditSink {
  return {
    async write(batch) {
      if (batch.length) write(toJsonLines(batch));
    },
  };
}
