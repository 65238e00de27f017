/**
 * How well a part (or the whole gate) works: `ok`; `degraded` (it answers, but something is
 * failing: a refresh, a sink, a circuit); `down` (it would refuse every request it decides).
 *
 * @example
 * const ready = (await auth.health()).status !== ('down' satisfies HealthStatus);
 */
export type HealthStatus = 'ok' | 'degraded' | 'down';

/**
 * State of a circuit breaker in front of a store or provider.
 *
 * @example
 * const open = (health.circuit satisfies CircuitHealth | undefined) === 'open';
 */
export type CircuitHealth = 'closed' | 'open' | 'half-open';

/**
 * One provider, as its strategy reports it. Times are ISO 8601; errors are short, redacted
 * messages (never a token, secret or URL credential).
 *
 * @example
 * const corp: ProviderHealth = { status: 'ok', keysLoaded: true, needsKeys: true, lastSuccessAt: '2025-01-01T00:00:00.000Z', lastError: null };
 */
export interface ProviderHealth {
  readonly status: HealthStatus;
  /** Keys held to verify with; `null` when the provider uses none (introspection, userinfo). */
  readonly keysLoaded: boolean | null;
  /** True when the keys come from a JWKS or discovery (what `readiness: 'keys-loaded'` waits for). */
  readonly needsKeys: boolean;
  /** Last successful fetch or call. */
  readonly lastSuccessAt: string | null;
  readonly lastError: string | null;
  readonly circuit?: CircuitHealth;
}

/**
 * A store or an audit sink, as it reports itself.
 *
 * @example
 * const redis: StoreHealth = { status: 'degraded', reachable: false, lastError: 'Redis connection is reconnecting', circuit: 'open' };
 */
export interface StoreHealth {
  readonly status: HealthStatus;
  /** Whether it answered lately; `null` when unknown (in-memory stores are always `true`). */
  readonly reachable: boolean | null;
  readonly lastError: string | null;
  readonly circuit?: CircuitHealth;
}

/**
 * The audit queue in front of the sink.
 *
 * @example
 * if (report.checks.audit?.spillInUse) console.warn('audit sink behind: events wait in the spill file');
 */
export interface AuditHealth {
  readonly status: HealthStatus;
  /** Events waiting in memory. */
  readonly queueDepth: number;
  /** True while events wait in the spill file. */
  readonly spillInUse: boolean;
  readonly spillBytes: number;
  /** Failed sink writes since start (each retry counts). */
  readonly sinkErrors: number;
  /** Events lost since start. */
  readonly dropped: number;
  readonly sink: StoreHealth | null;
}

/**
 * What `auth.health()` returns. `status` is `down` when the instance would refuse every
 * request (readiness not reached, every provider down, the rate-limit store down with
 * `onStoreError: "deny"`), `degraded` when any check is not `ok`, else `ok`.
 *
 * @example
 * const report: HealthReport = await auth.health();
 * console.log(report.status, Object.keys(report.checks.providers));
 */
export interface HealthReport {
  readonly status: HealthStatus;
  readonly checks: {
    readonly providers: Readonly<Record<string, ProviderHealth>>;
    /** By config section: `rateLimit`, `apiTokens`. */
    readonly stores: Readonly<Record<string, StoreHealth>>;
    readonly audit: AuditHealth | null;
    /** Present with `readiness: 'keys-loaded'`: true once every JWKS / discovery provider has loaded keys. */
    readonly ready?: boolean;
  };
}

/**
 * When `health()` may say `ok` / `degraded`: `'started'` (default) at once;
 * `'keys-loaded'` only once every JWKS and discovery provider has loaded its keys once.
 *
 * @example
 * createRestAuth(config, { plugins: [jwtPlugin()], readiness: 'keys-loaded' satisfies Readiness });
 */
export type Readiness = 'started' | 'keys-loaded';

const MAX_ERROR_LENGTH = 200;

/**
 * A short message for a health report: the error's message with URL credentials and bearer
 * values masked, capped at 200 characters.
 *
 * @example
 * healthError(new Error('connect ECONNREFUSED redis://:pw@10.0.0.1:6379')); // 'connect ECONNREFUSED redis://***@10.0.0.1:6379'
 */
export function healthError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1***@')
    .replace(/\b(bearer|basic)\s+\S+/gi, '$1 ***')
    .slice(0, MAX_ERROR_LENGTH);
}

/**
 * The health of an in-memory store or sink: always reachable.
 *
 * @example
 * const store = { ...myStore, health: memoryHealth };
 */
export function memoryHealth(): StoreHealth {
  return OK_STORE;
}

const OK_STORE: StoreHealth = Object.freeze({ status: 'ok', reachable: true, lastError: null });

/**
 * Tracks the last success and the last error of calls to something remote, for `health()`.
 *
 * @example
 * const tracker = createHealthTracker();
 * try { await ping(); tracker.success(); } catch (e) { tracker.failure(e); throw e; }
 * tracker.store(); // { status: 'degraded', reachable: false, lastError: '...' }
 */
export interface HealthTracker {
  success(): void;
  failure(error: unknown): void;
  /** Whether the last call failed. */
  readonly failing: boolean;
  readonly lastSuccessAt: string | null;
  readonly lastError: string | null;
  /** As a store reports it; `circuit` when the caller has a breaker. */
  store(circuit?: CircuitHealth): StoreHealth;
}

/** See {@link HealthTracker}. */
export function createHealthTracker(now: () => number = Date.now): HealthTracker {
  let lastSuccessAt: string | null = null;
  let lastError: string | null = null;
  let failing = false;
  let called = false;
  return {
    success() {
      called = true;
      failing = false;
      lastSuccessAt = new Date(now()).toISOString();
    },
    failure(error) {
      called = true;
      failing = true;
      lastError = healthError(error);
    },
    get failing() {
      return failing;
    },
    get lastSuccessAt() {
      return lastSuccessAt;
    },
    get lastError() {
      return lastError;
    },
    store(circuit) {
      const down = failing || circuit === 'open';
      return {
        status: down ? 'degraded' : 'ok',
        reachable: called ? !failing : null,
        lastError,
        ...(circuit ? { circuit } : {}),
      };
    },
  };
}

/**
 * The 200 / 503 answer of a health route: 200 for `ok` and `degraded`, 503 for `down`, the
 * report as JSON, `cache-control: no-store`.
 *
 * @example
 * const { status, headers, body } = healthHttpResult(await auth.health());
 */
export function healthHttpResult(report: HealthReport): { status: number; headers: Readonly<Record<string, string>>; body: string } {
  return {
    status: report.status === 'down' ? 503 : 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(report),
  };
}
