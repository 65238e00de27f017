import type { AuditQueue } from './audit.js';
import type { AuditSink } from './audit/sink.js';
import type { ResolvedConfig } from './config/types.js';
import { ConfigError } from './errors.js';
import type { Gate } from './gate/compile.js';
import type { PartsUse } from './gate/parts.js';
import { healthError, type AuditHealth, type HealthReport, type HealthStatus, type ProviderHealth, type Readiness, type StoreHealth } from './health.js';
import type { ApiTokenStore } from './api-tokens/store.js';

/** One compiled config in service, with what it holds and the requests running through it. */
export interface Generation {
  readonly config: ResolvedConfig;
  readonly gate: Gate;
  readonly use: PartsUse | undefined;
  readonly audit: AuditQueue | undefined;
  readonly auditSink: AuditSink | undefined;
  /** `stableJson(config.audit)`: an equal one keeps the queue on reload. */
  readonly auditKey: string;
  readonly apiTokenStore: ApiTokenStore | undefined;
  /** Requests between their start and their decision. */
  inflight: number;
  idle: (() => void) | undefined;
}

/** How long a retired generation waits for its last requests before closing anyway. */
const DRAIN_TIMEOUT_MS = 10_000;

/** Resolves once no request is deciding under `g` (at most 10 s). */
export function drained(g: Generation): Promise<void> {
  if (g.inflight === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
    timer.unref?.();
    g.idle = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

/** Default wait for a new store to answer before a reload gives up on it. */
export const OPEN_TIMEOUT_MS = 2000;

/**
 * Opens the parts a reload built (not reused): each store or sink that can say whether it is
 * reachable (`open()`) must answer within `timeoutMs`. Rejects with a {@link ConfigError} naming
 * the config path of every part that did not.
 */
export async function openFresh(use: PartsUse, timeoutMs: number): Promise<void> {
  const failures = await Promise.all(use.fresh.map(async ({ path, part }) => {
    if (!part.open) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        part.open({ timeoutMs }),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs); }),
      ]);
      return undefined;
    } catch (err) {
      return { path, message: `cannot be reached: ${healthError(err)}` };
    } finally {
      clearTimeout(timer);
    }
  }));
  const issues = failures.filter((f): f is { path: string; message: string } => f !== undefined);
  if (issues.length) throw new ConfigError(issues);
}

const UNREPORTED: ProviderHealth = Object.freeze({ status: 'ok', keysLoaded: null, needsKeys: false, lastSuccessAt: null, lastError: null });
const MEMORY_STORE: StoreHealth = Object.freeze({ status: 'ok', reachable: true, lastError: null });

async function storeHealth(store: { health?(): StoreHealth | Promise<StoreHealth> } | undefined): Promise<StoreHealth | undefined> {
  if (!store) return undefined;
  try {
    return store.health ? await store.health() : MEMORY_STORE;
  } catch (err) {
    return { status: 'degraded', reachable: null, lastError: healthError(err) };
  }
}

function auditHealth(queue: AuditQueue, sink: StoreHealth | undefined): AuditHealth {
  const s = queue.stats();
  const status: HealthStatus = s.retrying || s.spillBytes > 0 || sink?.status !== undefined && sink.status !== 'ok' ? 'degraded' : 'ok';
  return { status, queueDepth: s.queued, spillInUse: s.spillBytes > 0, spillBytes: s.spillBytes, sinkErrors: s.failures, dropped: s.dropped, sink: sink ?? null };
}

/**
 * The health of one generation: every provider (as its strategy reports it), the rate-limit and
 * API-token stores, the audit queue and sink, and the overall status.
 */
export async function generationHealth(g: Generation, readiness: Readiness): Promise<HealthReport> {
  const loadKeys = readiness === 'keys-loaded';
  const reported: Record<string, ProviderHealth> = {};
  await Promise.all(g.gate.strategies.map(async (s) => {
    if (!s.health) return;
    try {
      Object.assign(reported, await s.health({ loadKeys }));
    } catch {
      // A strategy that cannot report leaves its providers as unreported.
    }
  }));
  const providers: Record<string, ProviderHealth> = {};
  for (const p of g.config.providers) providers[p.name] = reported[p.name] ?? UNREPORTED;

  const stores: Record<string, StoreHealth> = {};
  const [rateLimit, apiTokens, sink] = await Promise.all([storeHealth(g.gate.rateLimitStore), storeHealth(g.apiTokenStore), storeHealth(g.auditSink)]);
  if (rateLimit) stores['rateLimit'] = rateLimit;
  if (apiTokens) stores['apiTokens'] = apiTokens;
  const audit = g.audit ? auditHealth(g.audit, sink) : null;

  const list = Object.values(providers);
  const ready = !loadKeys || list.every((p) => !p.needsKeys || p.keysLoaded === true);
  const allProvidersDown = list.length > 0 && list.every((p) => p.status === 'down');
  const rateLimitDown = rateLimit?.status !== undefined && rateLimit.status !== 'ok' && rateLimit.reachable === false && g.config.rateLimit.onStoreError === 'deny';
  const parts = [...list.map((p) => p.status), ...Object.values(stores).map((s) => s.status), audit?.status ?? 'ok'];
  const status: HealthStatus = g.config.enabled && (!ready || allProvidersDown || rateLimitDown) ? 'down' : parts.every((s) => s === 'ok') ? 'ok' : 'degraded';
  return { status, checks: { providers, stores, audit, ...(loadKeys ? { ready } : {}) } };
}

/**
 * The `complete` of a request whose gate writes no audit event (audit off, or a bypassed
 * route): calling it does nothing, and {@link onResponseDone} attaches no listener for it.
 */
export const NOTHING_TO_COMPLETE: (status: number) => void = () => {};

/** A Node `ServerResponse` as {@link onResponseDone} uses it. */
export interface FinishingResponse {
  readonly statusCode: number;
  readonly writableFinished?: boolean;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

/**
 * Calls `complete` once when a Node response is done: with its status when it was sent in full
 * (`finish`), or 499 when the connection closed first (the client went away). The adapters use
 * it with `auth.begin()`'s `complete`.
 *
 * @example
 * const { decision, complete } = await auth.begin(requestLike);
 * onResponseDone(res, complete);
 */
export function onResponseDone(res: FinishingResponse, complete: (status: number) => void): void {
  if (complete === NOTHING_TO_COMPLETE) return; // audit is off: no listener per response
  let done = false;
  const finish = (status: number) => {
    if (done) return;
    done = true;
    complete(status);
  };
  res.once('finish', () => finish(res.statusCode));
  res.once('close', () => finish(res.writableFinished ? res.statusCode : CLIENT_CLOSED));
}

/** The status an audit event records when the client closed the connection before the response was sent (nginx's 499). */
export const CLIENT_CLOSED = 499;
