import type { ResolvedConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { createAuditQueue, type AuditQueue } from './queue.js';
import type { AuditSink } from './sink.js';

/**
 * The queue `createRestAuth` puts in front of its sink, from the `audit.queue` section. The
 * spill file defaults to `<path>.spill` beside a configured file sink.
 */
export function createConfiguredAuditQueue(config: ResolvedConfig, sink: AuditSink, fromConfig: boolean): AuditQueue {
  const q = config.audit.queue;
  const s = config.audit.sink;
  const spillPath = q.spillPath ?? (fromConfig && s.type === 'file' && s.path ? `${s.path}.spill` : undefined);
  if (q.onFull === 'spill' && !spillPath) {
    throw new ConfigError([{ path: 'audit.queue.spillPath', message: 'is required with onFull "spill" unless the sink is a configured file sink' }]);
  }
  return createAuditQueue(sink, { maxEvents: q.maxEvents, onFull: q.onFull, ...(spillPath ? { spillPath } : {}) });
}
