import type { DecisionEvent, ObservedSource, ProviderFetchEvent, RestAuthObserver } from '@restauth/core';
import { context, metrics, SpanStatusCode, trace, type Attributes, type Meter, type Span, type Tracer } from '@opentelemetry/api';

/**
 * Options of {@link openTelemetryObserver}.
 *
 * @example
 * const options: OpenTelemetryObserverOptions = { tracer: trace.getTracer('my-api'), meter: metrics.getMeter('my-api') };
 */
export interface OpenTelemetryObserverOptions {
  /** Default: the global tracer provider's `@restauth/opentelemetry` tracer. */
  readonly tracer?: Tracer;
  /** Default: the global meter provider's `@restauth/opentelemetry` meter. */
  readonly meter?: Meter;
}

const NAME = '@restauth/opentelemetry';

function decisionAttributes(e: DecisionEvent): Attributes {
  return {
    'restauth.decision': e.decision,
    'restauth.reason': e.reason,
    'restauth.provider': e.provider ?? 'none',
    'restauth.token_type': e.tokenType ?? 'none',
  };
}

function fetchAttributes(e: { provider: string; kind: string }): Attributes {
  return { 'restauth.provider': e.provider, 'restauth.fetch.kind': e.kind };
}

/**
 * A restauth observer for OpenTelemetry: a `restauth.decision` span per gate decision (attributes
 * `restauth.decision`, `restauth.reason`, `restauth.provider`, `restauth.token_type`,
 * `http.response.status_code`), a `restauth.provider_fetch` child span per JWKS, discovery,
 * introspection or userinfo call, and the metrics of `@restauth/prometheus` through a Meter
 * (`restauth.decisions`, `restauth.decision.duration`, `restauth.provider.requests`,
 * `restauth.provider.request.duration`, `restauth.token_cache`, `restauth.store.errors`,
 * `restauth.audit.queue.events`, `restauth.audit.dropped`, `restauth.config.reloads`). Attribute
 * values are config names and fixed values only. Child spans need a context manager (the Node
 * SDK registers one).
 *
 * @example
 * import { openTelemetryObserver } from '@restauth/opentelemetry';
 * const auth = createRestAuth(config, { plugins: [jwtPlugin()], observers: [openTelemetryObserver()] });
 */
export function openTelemetryObserver(options: OpenTelemetryObserverOptions = {}): RestAuthObserver {
  const tracer = options.tracer ?? trace.getTracer(NAME);
  const meter = options.meter ?? metrics.getMeter(NAME);
  const decisions = meter.createCounter('restauth.decisions', { description: 'Gate decisions by outcome, deciding check and provider.' });
  const decisionDuration = meter.createHistogram('restauth.decision.duration', { unit: 's', description: 'Time spent in the gate per request.' });
  const providerRequests = meter.createCounter('restauth.provider.requests', { description: 'Calls to token providers by outcome.' });
  const providerDuration = meter.createHistogram('restauth.provider.request.duration', { unit: 's', description: 'Duration of calls to token providers.' });
  const tokenCache = meter.createCounter('restauth.token_cache', { description: 'Lookups in the verified-token caches by result.' });
  const storeErrors = meter.createCounter('restauth.store.errors', { description: 'Failed operations of the rate-limit and API-token stores.' });
  const configReloads = meter.createCounter('restauth.config.reloads', { description: 'Configuration reloads by result.' });
  const queue = meter.createObservableGauge('restauth.audit.queue.events', { description: 'Audit events waiting in the queue.' });
  const dropped = meter.createObservableCounter('restauth.audit.dropped', { description: 'Audit events dropped because the queue was full.' });
  const sources = new Set<ObservedSource>();
  meter.addBatchObservableCallback(
    (result) => {
      let queued = 0;
      let lost = 0;
      for (const s of sources) {
        const stats = s.auditStats();
        queued += stats?.queued ?? 0;
        lost += stats?.dropped ?? 0;
      }
      result.observe(queue, queued);
      result.observe(dropped, lost);
    },
    [queue, dropped],
  );

  return {
    decision(e) {
      decisions.add(1, decisionAttributes(e));
      decisionDuration.record(e.durationMs / 1000);
    },
    providerFetch(e: ProviderFetchEvent) {
      providerRequests.add(1, { ...fetchAttributes(e), 'restauth.outcome': e.outcome });
      providerDuration.record(e.durationMs / 1000, fetchAttributes(e));
    },
    tokenCache(e) {
      tokenCache.add(1, { 'restauth.cache': e.cache, 'restauth.result': e.result });
    },
    storeError(e) {
      storeErrors.add(1, { 'restauth.store': e.store });
    },
    configReload(e) {
      configReloads.add(1, { 'restauth.result': e.result });
    },
    attach(source) {
      sources.add(source);
      return () => sources.delete(source);
    },
    startDecision() {
      const span: Span = tracer.startSpan('restauth.decision');
      const active = trace.setSpan(context.active(), span);
      return {
        run: (fn) => context.with(active, fn),
        end(e) {
          span.setAttributes({ ...decisionAttributes(e), 'http.response.status_code': e.status });
          if (e.decision === 'deny' && e.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: e.reason });
          span.end();
        },
      };
    },
    startProviderFetch(start) {
      const span = tracer.startSpan('restauth.provider_fetch', { attributes: fetchAttributes(start) });
      return {
        end(e) {
          span.setAttribute('restauth.outcome', e.outcome);
          if (e.outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: e.outcome });
          span.end();
        },
      };
    },
  };
}
