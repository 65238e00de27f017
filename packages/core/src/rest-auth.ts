import { handleTokenRequest, type HttpResult } from './api-tokens/routes.js';
import type { ApiTokens } from './api-tokens/api-tokens.js';
import type { AuditEvent, AuditQueue, AuditQueueStats, AuditSink } from './audit.js';
import { auditRequestId, auditUserAgent } from './audit/event.js';
import { createConfiguredAuditQueue } from './audit/configured-queue.js';
import { resolveSharedClientIp } from './client-ip.js';
import { diffConfigs, stableJson, type ConfigDiff } from './config/diff.js';
import { loadConfig, validateConfig, type ValidateOptions } from './config/load.js';
import type { ResolvedConfig, RestAuthConfig } from './config/types.js';
import { allowDecision, denyDecision, type Decision } from './decision.js';
import { fixedRefusal } from './errors.js';
import { compileGate } from './gate/compile.js';
import { openStore, builtinPlugin } from './gate/plugins.js';
import { requirementError, type RouteRequirements } from './gate/requirements.js';
import type { RouteOptions } from './gate/route.js';
import { runGate, type ExplainStep } from './gate/run.js';
import { toRestAuthError } from './gate/verify.js';
import { createParts } from './gate/parts.js';
import type { ApiTokenStore } from './api-tokens/store.js';
import type { HealthReport, Readiness } from './health.js';
import { drained, generationHealth, NOTHING_TO_COMPLETE, openFresh, OPEN_TIMEOUT_MS, type Generation } from './lifecycle.js';
import { rawPath } from './path.js';
import { createObservers, type RestAuthObserver } from './observe.js';
import type { RestAuthPlugin } from './plugin.js';
import type { Principal } from './principal.js';
import type { RequestLike } from './request.js';
import type { Strategy } from './strategy.js';

export type { RouteRequirements } from './gate/requirements.js';
export type { RouteOptions } from './gate/route.js';
export type { ExplainStep } from './gate/run.js';

/** The ordered checks of one request and the decision they led to. */
export interface Explanation {
  readonly decision: Decision;
  readonly steps: readonly ExplainStep[];
}

/** Options of {@link createRestAuth}. */
export interface CreateRestAuthOptions extends ValidateOptions {
  /** Plugins that provide provider types, stores and sinks (`jwtPlugin()` from `@restauth/jwt`...). */
  plugins?: readonly RestAuthPlugin[];
  /** Extra strategies, asked after the configured providers (custom credentials). */
  strategies?: readonly Strategy[];
  /** Clock for rate limiting and audit; default `Date.now`. */
  now?: () => number;
  /**
   * Where audit events go, instead of the configured `audit.sink` (a
   * {@link createFunctionAuditSink} or any {@link AuditSink}). Used when `audit.enabled` is true.
   */
  auditSink?: AuditSink;
  /**
   * When `health()` may report `ok` / `degraded`: at once (`'started'`, default), or only once
   * every JWKS and discovery provider has loaded its keys once (`'keys-loaded'`: keys are
   * fetched at start and on each `health()` call until then, so a readiness probe routes no
   * traffic to an instance that would refuse every token).
   */
  readiness?: Readiness;
  /** How long `reload()` waits for a new store or sink to answer (`open()`), ms. Default 2000. */
  reloadOpenTimeoutMs?: number;
  /**
   * Told of every decision, provider call, cache lookup and store error (`prometheusObserver()`
   * from `@restauth/prometheus`, `openTelemetryObserver()` from `@restauth/opentelemetry`).
   */
  observers?: readonly RestAuthObserver[];
}

/**
 * A configured gate. One per app; share it between adapters and routes.
 *
 * @example
 * const auth = createRestAuth(config, { plugins: [jwtPlugin()] });
 * const decision = await auth.authenticate({ method: 'GET', url: '/api/items', headers: {}, remoteAddress: '127.0.0.1' });
 */
export interface RestAuth {
  readonly config: ResolvedConfig;
  /** Runs the whole gate for one request. Never rejects: every failure is a deny decision. */
  authenticate(request: RequestLike, route?: RouteOptions): Promise<Decision>;
  /** Checks route requirements against an already authenticated principal (after the gate). */
  authorize(request: RequestLike, principal: Principal | undefined, requirements: RouteRequirements): Decision;
  /** The ordered checks of the gate for one request, and which one decided. */
  explain(request: RequestLike, route?: RouteOptions): Promise<Explanation>;
  /** The API-token life cycle, when `apiTokens.enabled`. */
  readonly tokens: ApiTokens | undefined;
  /**
   * Serves the token routes (`/auth/tokens`) for an adapter, after the gate. Undefined when the
   * URL is not a token route or API tokens are off (the app's own 404 applies).
   */
  handleTokenRequest(request: RequestLike, principal: Principal | undefined, body: unknown): Promise<HttpResult | undefined>;
  /** Flushes the audit queue and closes stores, sinks and strategies. */
  close(): Promise<void>;
  /** Counters of the audit queue (written, dropped, spilled, ...); undefined when audit is off. */
  auditStats(): AuditQueueStats | undefined;
  /**
   * Runs the gate for one request, like `authenticate`, but writes its audit event only when the
   * adapter calls `complete(status)` with the status the caller finally got (the handler's 201 or
   * 404, or 499 when the client went away). The first call counts; later ones do nothing.
   */
  begin(request: RequestLike, route?: RouteOptions): Promise<PendingRequest>;
  /**
   * Replaces the config: validates and compiles `config` (an object, or a path to a JSON file),
   * opens the stores and sinks it adds (each must answer within `reloadOpenTimeoutMs`), then
   * swaps it in at once: a request already in the gate finishes under the old config, the next
   * one sees the new. Parts whose settings did not change are kept (key and token caches,
   * connections, the audit queue); the others are closed once the old config's last request is
   * through, the audit queue flushed first. An invalid config (or an unreachable new store)
   * rejects with a {@link ConfigError} naming each mistake's path, and the old config stays.
   * Reloads run one at a time.
   */
  reload(config: RestAuthConfig | ResolvedConfig | string): Promise<ReloadResult>;
  /** Providers, stores and the audit queue, each with its status, and the overall status. */
  health(): Promise<HealthReport>;
}

/**
 * What `auth.begin()` returns: the gate's decision and the call that writes its audit event.
 *
 * @example
 * const { decision, complete } = await auth.begin(requestLike);
 * res.once('finish', () => complete(res.statusCode));
 */
export interface PendingRequest {
  readonly decision: Decision;
  complete(status: number): void;
}

/**
 * What a successful `auth.reload()` changed.
 *
 * @example
 * const { diff } = await auth.reload('./restauth.config.json');
 * console.log(formatConfigDiff(diff).join('\n'));
 */
export interface ReloadResult {
  readonly diff: ConfigDiff;
}

const BRAND = Symbol.for('restauth.instance');
const NO_FINISH = (_status: number, _ended: number | undefined): void => {};
const AUTH_REQUIRED = fixedRefusal('unauthorized', 'Authentication required');

/** True for an instance made by {@link createRestAuth} (also across package copies). */
export function isRestAuth(value: unknown): value is RestAuth {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * Builds a gate from a configuration (object or already resolved). Throws {@link ConfigError}
 * at start-up for any mistake, including a provider or store type whose plugin is missing.
 *
 * @example
 * import { createRestAuth } from '@restauth/core';
 * import { jwtPlugin } from '@restauth/jwt';
 * const auth = createRestAuth({ providers: [{ name: 'corp', type: 'jwt', issuer: 'https://idp', audience: 'api', discovery: true }] }, { plugins: [jwtPlugin()] });
 */
export function createRestAuth(input: RestAuthConfig | ResolvedConfig, options: CreateRestAuthOptions = {}): RestAuth {
  const config = validateConfig(input, options);
  const now = options.now ?? Date.now;
  const observers = createObservers(options.observers);
  const parts = createParts();
  const plugins = parts.plugins([...(options.plugins ?? []), builtinPlugin]);
  const strategies = parts.keep(options.strategies ?? []);
  const readiness = options.readiness ?? 'started';

  // One compiled config and what it holds; a reload builds the next one beside it.
  function generation(next: ResolvedConfig, previous: Generation | undefined): Generation {
    const tracking = parts.track();
    try {
      const gate = compileGate(next, { plugins, strategies, now, observers });
      const auditKey = stableJson(next.audit);
      const auditSink = next.audit.enabled ? options.auditSink ?? openStore('auditSinks', next.audit.sink, plugins, { config: next, path: 'audit.sink' }) : undefined;
      const audit: AuditQueue | undefined = !auditSink ? undefined : previous?.audit && previous.auditKey === auditKey ? previous.audit : createConfiguredAuditQueue(next, auditSink, !options.auditSink);
      const use = tracking.end();
      return { config: next, gate, use, audit, auditSink, auditKey, apiTokenStore: parts.find(use, 'apiTokenStores') as ApiTokenStore | undefined, inflight: 0, idle: undefined };
    } finally {
      tracking.end();
    }
  }
  let live = generation(config, undefined);
  let reloading: Promise<unknown> = Promise.resolve();
  // Requests begun and not yet completed, by their headers object, so that a later `authorize`
  // refusal of the same request (route middleware, a Nest guard) joins its one audit event.
  const pendingByHeaders = new WeakMap<object, { decision: Decision; done: boolean }>();

  /** One audit event: `status` what the caller got, `gateStatus` the gate's answer, latencies from the gate's start. */
  function record(g: Generation, request: RequestLike, decision: Decision, started: number, gateEnded: number, status: number, ended: number): void {
    const audit = live.audit;
    if (!audit || decision.reason === 'bypass' || decision.reason === 'disabled') return;
    const denied = !decision.allowed;
    const sampleAllowed = live.config.audit.sampleAllowed;
    if (!denied && !decision.wouldDeny && !decision.anonymous && sampleAllowed < 1 && Math.random() >= sampleAllowed) return;
    const anonymous = decision.anonymous;
    const p = decision.principal ?? anonymous?.principal;
    const h = request.headers;
    const ip = resolveSharedClientIp(h, request.remoteAddress, g.gate.settings.clientIp).text;
    const event: AuditEvent = {
      time: new Date(started).toISOString(),
      requestId: auditRequestId(h['x-request-id']),
      method: request.method.toUpperCase(),
      path: rawPath(request.url),
      status,
      gateStatus: decision.status,
      decision: denied ? 'deny' : decision.wouldDeny ? 'would-deny' : 'allow',
      reason: decision.wouldDeny?.reason ?? decision.reason,
      username: p?.username ?? null,
      provider: p?.provider ?? null,
      tokenType: p?.tokenType ?? null,
      clientId: p?.clientId ?? null,
      ip: ip ?? null,
      userAgent: auditUserAgent(h['user-agent']),
      latencyMs: Math.max(0, ended - started),
      gateLatencyMs: Math.max(0, gateEnded - started),
      ...(anonymous ? { anonymousReason: anonymous.reason } : undefined),
    };
    audit.push(event);
  }

  async function decide(g: Generation, request: RequestLike, route: RouteOptions | undefined, steps?: ExplainStep[]): Promise<Decision> {
    g.inflight++;
    try {
      return await runGate(g.gate, request, route, steps);
    } catch (err) {
      return denyDecision(g.config.realm, 'verify', toRestAuthError(err));
    } finally {
      if (--g.inflight === 0) g.idle?.();
    }
  }

  // The gate for one request; `finish` writes its audit event once (ended: undefined = when the gate ended).
  async function start(request: RequestLike, route: RouteOptions | undefined) {
    const g = live;
    if (!g.audit) {
      // No audit event to write: no clock, no pending entry, nothing to finish (the hot path).
      const decision = observers ? await observers.decide(() => decide(g, request, route)) : await decide(g, request, route);
      return { decision, finish: NO_FINISH };
    }
    const started = now();
    const decision = observers ? await observers.decide(() => decide(g, request, route)) : await decide(g, request, route);
    const gateEnded = now();
    const pending = { decision, done: false };
    pendingByHeaders.set(request.headers, pending);
    const finish = (status: number, ended: number | undefined) => {
      if (pending.done) return;
      pending.done = true;
      record(g, request, pending.decision, started, gateEnded, status, ended ?? gateEnded);
    };
    return { decision, finish };
  }

  async function reload(input: RestAuthConfig | ResolvedConfig | string): Promise<ReloadResult> {
    const next = typeof input === 'string' ? loadConfig(input, options) : validateConfig(input, options);
    const previous = live;
    let built: Generation | undefined;
    try {
      built = generation(next, previous);
      await openFresh(built.use as NonNullable<Generation['use']>, options.reloadOpenTimeoutMs ?? OPEN_TIMEOUT_MS);
    } catch (err) {
      // Undo: close what the new config opened; the old one stays in service.
      await built?.gate.close();
      if (built?.audit !== previous.audit) await built?.audit?.close();
      await parts.retain(previous.use);
      throw err;
    }
    live = built; // the swap
    await drained(previous);
    await previous.gate.close();
    if (previous.audit !== built.audit) await previous.audit?.close();
    await parts.retain(built.use);
    return { diff: diffConfigs(previous.config, next) };
  }

  const detachObservers = observers?.attach({ auditStats: () => live.audit?.stats() });
  const instance: RestAuth & { [BRAND]: true } = {
    [BRAND]: true,
    get config() {
      return live.config;
    },
    async authenticate(request, route) {
      const { decision, finish } = await start(request, route);
      finish(decision.status, undefined);
      return decision;
    },
    async begin(request, route) {
      const { decision, finish } = await start(request, route);
      return { decision, complete: finish === NO_FINISH ? NOTHING_TO_COMPLETE : (status) => finish(status, now()) };
    },
    authorize(request, principal, requirements) {
      const realm = live.config.realm;
      if (!principal) return denyDecision(realm, 'route', AUTH_REQUIRED);
      const fail = requirementError(principal, requirements);
      const decision = fail ? denyDecision(realm, 'route', fail, principal) : allowDecision('authenticated', principal);
      const pending = fail ? pendingByHeaders.get(request.headers) : undefined;
      if (pending && !pending.done) pending.decision = decision; // its event, written on completion, says so
      else if (fail) {
        const t = now();
        record(live, request, decision, t, t, decision.status, t);
      }
      if (fail) observers?.decision(decision, 0);
      return decision;
    },
    async explain(request, route) {
      const steps: ExplainStep[] = [];
      const decision = await decide(live, request, route, steps);
      return { decision, steps };
    },
    get tokens() {
      return live.gate.tokens;
    },
    async handleTokenRequest(request, principal, body) {
      const { tokens } = live.gate;
      return tokens ? handleTokenRequest(tokens, live.config.realm, { method: request.method, url: request.url, principal, body }) : undefined;
    },
    reload(input) {
      const run = reloading.then(() => reload(input));
      reloading = run.catch(() => undefined);
      return run;
    },
    health() {
      return generationHealth(live, readiness);
    },
    async close() {
      await reloading;
      await live.gate.close();
      await live.audit?.close();
      await parts.closeAll();
      detachObservers?.();
    },
    auditStats() {
      return live.audit?.stats();
    },
  };
  if (readiness === 'keys-loaded') void instance.health(); // starts fetching keys
  return instance;
}
