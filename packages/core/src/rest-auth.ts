import { handleTokenRequest, type HttpResult } from './api-tokens/routes.js';
import type { ApiTokens } from './api-tokens/api-tokens.js';
import type { AuditEvent, AuditQueue, AuditQueueStats, AuditSink } from './audit.js';
import { auditRequestId, auditUserAgent } from './audit/event.js';
import { createConfiguredAuditQueue } from './audit/configured-queue.js';
import { resolveSharedClientIp } from './client-ip.js';
import { validateConfig, type ValidateOptions } from './config/load.js';
import type { ResolvedConfig, RestAuthConfig } from './config/types.js';
import { allowDecision, denyDecision, type Decision } from './decision.js';
import { fixedRefusal } from './errors.js';
import { compileGate } from './gate/compile.js';
import { openStore, builtinPlugin } from './gate/plugins.js';
import { requirementError, type RouteRequirements } from './gate/requirements.js';
import type { RouteOptions } from './gate/route.js';
import { runGate, type ExplainStep } from './gate/run.js';
import { toRestAuthError } from './gate/verify.js';
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
}

const BRAND = Symbol.for('restauth.instance');
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
  const realm = config.realm;
  const observers = createObservers(options.observers);
  const gate = compileGate(config, { plugins: options.plugins, strategies: options.strategies, now, observers });
  const { tokens } = gate;

  const audit: AuditQueue | undefined = config.audit.enabled
    ? createConfiguredAuditQueue(
        config,
        options.auditSink ?? openStore('auditSinks', config.audit.sink, [...(options.plugins ?? []), builtinPlugin], { config, path: 'audit.sink' }),
        !options.auditSink,
      )
    : undefined;

  function record(request: RequestLike, decision: Decision, started: number): void {
    if (!audit || decision.reason === 'bypass' || decision.reason === 'disabled') return;
    const denied = !decision.allowed;
    if (!denied && !decision.wouldDeny && !decision.anonymous && config.audit.sampleAllowed < 1 && Math.random() >= config.audit.sampleAllowed) return;
    const anonymous = decision.anonymous;
    const p = decision.principal ?? anonymous?.principal;
    const h = request.headers;
    const ip = resolveSharedClientIp(h, request.remoteAddress, gate.settings.clientIp).text;
    const event: AuditEvent = {
      time: new Date(started).toISOString(),
      requestId: auditRequestId(h['x-request-id']),
      method: request.method.toUpperCase(),
      path: rawPath(request.url),
      status: decision.status,
      decision: denied ? 'deny' : decision.wouldDeny ? 'would-deny' : 'allow',
      reason: decision.wouldDeny?.reason ?? decision.reason,
      username: p?.username ?? null,
      provider: p?.provider ?? null,
      tokenType: p?.tokenType ?? null,
      clientId: p?.clientId ?? null,
      ip: ip ?? null,
      userAgent: auditUserAgent(h['user-agent']),
      latencyMs: Math.max(0, now() - started),
      ...(anonymous ? { anonymousReason: anonymous.reason } : undefined),
    };
    audit.push(event);
  }

  async function decide(request: RequestLike, route: RouteOptions | undefined, steps?: ExplainStep[]): Promise<Decision> {
    try {
      return await runGate(gate, request, route, steps);
    } catch (err) {
      return denyDecision(realm, 'verify', toRestAuthError(err));
    }
  }

  const detachObservers = observers?.attach({ auditStats: () => audit?.stats() });
  const instance: RestAuth & { [BRAND]: true } = {
    [BRAND]: true,
    config,
    async authenticate(request, route) {
      const started = audit ? now() : 0;
      const decision = observers ? await observers.decide(() => decide(request, route)) : await decide(request, route);
      record(request, decision, started);
      return decision;
    },
    authorize(request, principal, requirements) {
      if (!principal) return denyDecision(realm, 'route', AUTH_REQUIRED);
      const fail = requirementError(principal, requirements);
      const decision = fail ? denyDecision(realm, 'route', fail, principal) : allowDecision('authenticated', principal);
      if (fail) record(request, decision, audit ? now() : 0);
      if (fail) observers?.decision(decision, 0);
      return decision;
    },
    async explain(request, route) {
      const steps: ExplainStep[] = [];
      const decision = await decide(request, route, steps);
      return { decision, steps };
    },
    tokens,
    async handleTokenRequest(request, principal, body) {
      return tokens ? handleTokenRequest(tokens, realm, { method: request.method, url: request.url, principal, body }) : undefined;
    },
    async close() {
      await gate.close();
      await audit?.close();
      detachObservers?.();
    },
    auditStats() {
      return audit?.stats();
    },
  };
  return instance;
}
