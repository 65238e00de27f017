import type { StoreHealth } from '../health.js';
import type { AuditEvent } from './event.js';

/**
 * Where audit events go. `write` receives batches in order and may reject: the queue in front
 * of it keeps the batch and retries with back-off. A write should be all-or-nothing; a sink that
 * fails half-way through a batch gets the whole batch again (at-least-once).
 *
 * @example
 * const sink: AuditSink = { async write(events) { for (const e of events) console.log(e.username) } };
 * const auth = createRestAuth({ audit: { enabled: true } }, { auditSink: sink });
 */
export interface AuditSink {
  write(events: readonly AuditEvent[]): Promise<void>;
  close?(): Promise<void>;
  /** How it is doing (reachable, last error, circuit) for `auth.health()`. */
  health?(): StoreHealth | Promise<StoreHealth>;
  /**
   * Resolves once it can serve (connected, answered a ping), or rejects with why, within
   * `timeoutMs`. `auth.reload` awaits it before putting a new sink in service.
   */
  open?(options: { readonly timeoutMs: number }): Promise<void>;
}

/**
 * Options of {@link createFunctionAuditSink}.
 *
 * @example
 * const sink = createFunctionAuditSink(send, { close: () => client.end() } satisfies FunctionAuditSinkOptions);
 */
export interface FunctionAuditSinkOptions {
  /** Called once by `close()` after the last write (release a connection, say). */
  readonly close?: () => void | Promise<void>;
}

/**
 * A sink from a function that receives each batch (oldest event first). Throw or reject to have
 * the batch retried.
 *
 * @example
 * const sink = createFunctionAuditSink(async (events) => {
 *   await fetch('https://siem.example/ingest', { method: 'POST', body: JSON.stringify(events) });
 * });
 * const auth = createRestAuth({ audit: { enabled: true } }, { auditSink: sink });
 */
export function createFunctionAuditSink(
  write: (events: readonly AuditEvent[]) => void | Promise<void>,
  options: FunctionAuditSinkOptions = {},
): AuditSink {
  const close = options.close;
  return {
    async write(events) {
      await write(events);
    },
    ...(close ? { async close() { await close(); } } : {}),
  };
}
