import type { AuditQueueStats } from './audit.js';
import type { Decision, DecisionReason } from './decision.js';
import type { TokenType } from './principal.js';

/**
 * One gate decision, as observers see it. Every field comes from config names or a fixed set of
 * values, never from the request (no username, token, path or IP), so it is safe as a metric label.
 *
 * @example
 * const event: DecisionEvent = { decision: 'deny', reason: 'verify', status: 401, provider: undefined, tokenType: undefined, durationMs: 0.4 };
 */
export interface DecisionEvent {
  readonly decision: 'allow' | 'deny' | 'would-deny';
  /** The deciding check (`verify`, `allowGroups`...); for a would-deny, the check that would have denied. */
  readonly reason: DecisionReason;
  /** The gate's status: 200 when allowed. */
  readonly status: number;
  /** The configured name of the provider that verified the caller, when one did. */
  readonly provider: string | undefined;
  readonly tokenType: TokenType | undefined;
  /** Time spent in the gate, ms. */
  readonly durationMs: number;
}

/**
 * The kinds of call restauth makes to a token provider.
 *
 * @example
 * const kind: ProviderFetchKind = 'jwks';
 */
export type ProviderFetchKind = 'jwks' | 'discovery' | 'introspection' | 'userinfo';

/**
 * A provider call about to start.
 *
 * @example
 * const start: ProviderFetchStart = { provider: 'corp', kind: 'introspection' };
 */
export interface ProviderFetchStart {
  /** The provider's configured name. */
  readonly provider: string;
  readonly kind: ProviderFetchKind;
}

/**
 * A finished provider call: `ok` when the provider answered something restauth could judge,
 * `timeout` when it did not answer in time, `error` for anything else (refused, 5xx, junk).
 *
 * @example
 * const event: ProviderFetchEvent = { provider: 'corp', kind: 'jwks', outcome: 'ok', durationMs: 12 };
 */
export interface ProviderFetchEvent extends ProviderFetchStart {
  readonly outcome: 'ok' | 'error' | 'timeout';
  readonly durationMs: number;
}

/**
 * A lookup in a token cache: the JWT verified-token cache or an opaque-token answer cache.
 *
 * @example
 * const event: TokenCacheEvent = { cache: 'jwt', result: 'hit' };
 */
export interface TokenCacheEvent {
  readonly cache: 'jwt' | 'opaque';
  readonly result: 'hit' | 'miss';
}

/**
 * A store that failed an operation (the request was answered by `onStoreError`, or 503).
 *
 * @example
 * const event: StoreErrorEvent = { store: 'rateLimit' };
 */
export interface StoreErrorEvent {
  readonly store: 'rateLimit' | 'apiTokens';
}

/**
 * A configuration reload: `applied` (the new config is in force) or `refused` (invalid; the old one stays).
 *
 * @example
 * const event: ConfigReloadEvent = { result: 'refused' };
 */
export interface ConfigReloadEvent {
  readonly result: 'applied' | 'refused';
}

/**
 * What an observer may read when it likes (on a scrape, say) rather than be told on every change.
 *
 * @example
 * const depth = source.auditStats()?.queued ?? 0;
 */
export interface ObservedSource {
  /** Counters of the audit queue; undefined when audit is off. */
  auditStats(): AuditQueueStats | undefined;
}

/**
 * A span-like handle an observer returns when something starts; restauth calls `end` once with
 * the finished event. `run`, when given, runs the work inside the span (an OpenTelemetry observer
 * makes it the active span, so provider fetches meanwhile become its children).
 *
 * @example
 * const span: ObserverSpan<DecisionEvent> = { end: (e) => console.log(e.decision, e.durationMs) };
 */
export interface ObserverSpan<E> {
  end(event: E): void;
  run?<T>(fn: () => T): T;
}

/**
 * Receives what restauth does, for metrics, traces or logs. Every method is optional; a method
 * must not throw (an exception is caught and ignored) and must not block. Events carry only
 * config names and fixed values, never a username, token, path or IP. With no observer, restauth
 * allocates nothing for observation on the request path.
 *
 * @example
 * const auth = createRestAuth(config, {
 *   plugins: [jwtPlugin()],
 *   observers: [{ decision: (e) => { if (e.decision === 'deny') console.log(`denied by ${e.reason}`); } }],
 * });
 */
export interface RestAuthObserver {
  decision?(event: DecisionEvent): void;
  providerFetch?(event: ProviderFetchEvent): void;
  tokenCache?(event: TokenCacheEvent): void;
  storeError?(event: StoreErrorEvent): void;
  configReload?(event: ConfigReloadEvent): void;
  /** Called once by each instance that uses this observer; the returned function is called on `close()`. */
  attach?(source: ObservedSource): (() => void) | void;
  /** A span around one decision, ended with its event. */
  startDecision?(): ObserverSpan<DecisionEvent> | void;
  /** A span around one provider call, ended with its event. */
  startProviderFetch?(start: ProviderFetchStart): ObserverSpan<ProviderFetchEvent> | void;
}

/**
 * The observers of one instance, as the gate, plugins and strategies use them (from
 * {@link PluginContext} or {@link VerifyContext}). It is `undefined` when nobody listens, so
 * instrumented code costs one branch: `ctx.observers?.tokenCache(HIT)`.
 *
 * @example
 * const keys = ctx.observers ? await ctx.observers.fetch({ provider: 'corp', kind: 'jwks' }, load) : await load();
 */
export interface Observers {
  tokenCache(event: TokenCacheEvent): void;
  storeError(event: StoreErrorEvent): void;
  /** Reports a configuration reload (the reloading code calls it once per attempt). */
  configReload(event: ConfigReloadEvent): void;
  /** Runs one provider call, timed and inside the observers' spans, and reports it. */
  fetch<T>(start: ProviderFetchStart, call: () => Promise<T>): Promise<T>;
  /** Runs one gate decision, timed and inside the observers' spans, and reports it. */
  decide(run: () => Promise<Decision>): Promise<Decision>;
  /** Reports a decision made outside the gate (route requirements checked after it). */
  decision(decision: Decision, durationMs: number): void;
  /** Lets each observer attach to an instance; returns what detaches them all. */
  attach(source: ObservedSource): () => void;
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // An observer must never change a decision nor turn it into a 500.
  }
}

/** Whether a provider call failed by timing out (an AbortSignal.timeout somewhere in the causes). */
function timedOut(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === 'TimeoutError' || /timed out/i.test(e.message)) return true;
  }
  return false;
}

/**
 * The observer event of a decision.
 *
 * @example
 * decisionEvent(await auth.authenticate(request), 0.3).reason // 'verify'
 */
export function decisionEvent(d: Decision, durationMs: number): DecisionEvent {
  const p = d.principal ?? d.anonymous?.principal;
  return {
    decision: !d.allowed ? 'deny' : d.wouldDeny ? 'would-deny' : 'allow',
    reason: d.wouldDeny?.reason ?? d.reason,
    status: d.status,
    provider: p?.provider,
    tokenType: p?.tokenType,
    durationMs,
  };
}

// Wraps `fn` in each span's `run`, the first observer's span outermost.
function within<T>(spans: readonly (ObserverSpan<unknown> | void)[], fn: () => T): T {
  let run = fn;
  for (let i = spans.length - 1; i >= 0; i--) {
    const span = spans[i];
    if (span?.run) {
      const inner = run;
      run = () => span.run!(inner);
    }
  }
  return run();
}

/**
 * Combines observers into one {@link Observers}; `undefined` when there are none, so callers
 * skip observation with one branch.
 *
 * @example
 * const observers = createObservers([prometheusObserver()]);
 * observers?.configReload({ result: 'applied' });
 */
export function createObservers(list: readonly RestAuthObserver[] | undefined): Observers | undefined {
  if (!list?.length) return undefined;
  const all = [...list];
  const emit = <K extends 'decision' | 'providerFetch' | 'tokenCache' | 'storeError' | 'configReload'>(
    key: K,
    event: Parameters<NonNullable<RestAuthObserver[K]>>[0],
  ): void => {
    for (const o of all) {
      const m = o[key] as ((e: typeof event) => void) | undefined;
      if (m) safely(() => m.call(o, event));
    }
  };
  const start = <E>(make: (o: RestAuthObserver) => ObserverSpan<E> | void): (ObserverSpan<E> | void)[] =>
    all.map((o) => {
      try {
        return make(o);
      } catch {
        return undefined;
      }
    });
  const end = <E>(spans: (ObserverSpan<E> | void)[], event: E): void => {
    for (const s of spans) if (s) safely(() => s.end(event));
  };

  return {
    tokenCache: (e) => emit('tokenCache', e),
    storeError: (e) => emit('storeError', e),
    configReload: (e) => emit('configReload', e),
    decision(d, durationMs) {
      emit('decision', decisionEvent(d, durationMs));
    },
    async fetch(info, call) {
      const spans = start((o) => o.startProviderFetch?.(info));
      const t0 = performance.now();
      let outcome: ProviderFetchEvent['outcome'] = 'ok';
      try {
        return await within(spans, call);
      } catch (err) {
        outcome = timedOut(err) ? 'timeout' : 'error';
        throw err;
      } finally {
        const event: ProviderFetchEvent = { provider: info.provider, kind: info.kind, outcome, durationMs: performance.now() - t0 };
        end(spans, event);
        emit('providerFetch', event);
      }
    },
    async decide(run) {
      const spans = start((o) => o.startDecision?.());
      const t0 = performance.now();
      const decision = await within(spans, run);
      const event = decisionEvent(decision, performance.now() - t0);
      end(spans, event);
      emit('decision', event);
      return decision;
    },
    attach(source) {
      const detach: (() => void)[] = [];
      for (const o of all) {
        try {
          const d = o.attach?.(source);
          if (d) detach.push(d);
        } catch {
          // as for events: an observer cannot stop an instance from starting
        }
      }
      return () => detach.forEach((d) => safely(d));
    },
  };
}

/**
 * The store, reporting a {@link StoreErrorEvent} each time one of its methods rejects (the
 * rejection goes on unchanged). Used only when there are observers.
 */
export function observeStore<S extends object>(store: S, observers: Observers, event: StoreErrorEvent): S {
  const report = (err: unknown) => {
    observers.storeError(event);
    throw err;
  };
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return function (this: unknown, ...args: unknown[]) {
        const out: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        return out instanceof Promise ? out.catch(report) : out;
      };
    },
  });
}
