import type { DecisionEvent, ObservedSource, ProviderFetchEvent, RestAuthObserver } from '@restauth/core';
import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from 'prom-client';

/**
 * Options of {@link prometheusObserver}.
 *
 * @example
 * const options: PrometheusObserverOptions = { registry, prefix: 'restauth_', labels: { gate: 'public-api' } };
 */
export interface PrometheusObserverOptions {
  /** Where the metrics are registered. Default: prom-client's default registry. */
  readonly registry?: Registry;
  /** Prefix of every metric name. Default `restauth_`. */
  readonly prefix?: string;
  /**
   * Constant labels added to every series, to tell several restauth instances in one process
   * apart (`{ gate: 'admin-api' }`). Instances sharing a registry and prefix share the metrics,
   * so they must use the same label names.
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Most distinct provider label values kept; more are counted under `other` (a guard against custom strategies naming providers freely). */
const MAX_PROVIDERS = 64;
const DECISION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const PROVIDER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;

interface Attached {
  readonly source: ObservedSource;
  readonly labels: Labels;
  dropped: number;
  spilled: number;
}

/** The metrics of one registry and prefix, shared by every observer that registers there. */
interface Metrics {
  readonly constantNames: string;
  readonly decisions: Counter;
  readonly decisionSeconds: Histogram;
  readonly providerRequests: Counter;
  readonly providerSeconds: Histogram;
  readonly tokenCache: Counter;
  readonly storeErrors: Counter;
  readonly configReloads: Counter;
  readonly attached: Set<Attached>;
}

const shared = new WeakMap<Registry, Map<string, Metrics>>();

function createMetrics(registry: Registry, prefix: string, constantNames: string[]): Metrics {
  for (const name of ['decisions_total', 'audit_queue_events']) {
    if (registry.getSingleMetric(prefix + name)) {
      throw new Error(
        `@restauth/prometheus: the registry already holds ${prefix}${name} from another copy of this package or another library; give this observer its own prefix (prometheusObserver({ prefix: 'myapp_restauth_' }))`,
      );
    }
  }
  const registers = [registry];
  const attached = new Set<Attached>();
  const l = (...names: string[]) => [...names, ...constantNames];
  const auditCollect = (gauge: Gauge) => {
    gauge.reset();
    for (const a of attached) gauge.inc(a.labels, a.source.auditStats()?.queued ?? 0);
  };
  const delta = (key: 'dropped' | 'spilled') =>
    function (this: Counter) {
      for (const a of attached) {
        const now = a.source.auditStats()?.[key] ?? 0;
        if (now > a[key]) this.inc(a.labels, now - a[key]);
        a[key] = now;
      }
    };
  new Gauge({
    name: `${prefix}audit_queue_events`,
    help: 'Audit events waiting in the queue to be written.',
    labelNames: l(),
    registers,
    collect() {
      auditCollect(this);
    },
  });
  new Counter({ name: `${prefix}audit_dropped_total`, help: 'Audit events dropped because the queue was full.', labelNames: l(), registers, collect: delta('dropped') });
  new Counter({ name: `${prefix}audit_spilled_total`, help: 'Audit events written to the spill file because the queue was full.', labelNames: l(), registers, collect: delta('spilled') });
  return {
    constantNames: [...constantNames].sort().join(','),
    attached,
    decisions: new Counter({ name: `${prefix}decisions_total`, help: 'Gate decisions by outcome, deciding check and provider.', labelNames: l('decision', 'reason', 'provider'), registers }),
    decisionSeconds: new Histogram({ name: `${prefix}decision_duration_seconds`, help: 'Time spent in the gate per request.', labelNames: l(), buckets: DECISION_BUCKETS, registers }),
    providerRequests: new Counter({ name: `${prefix}provider_requests_total`, help: 'Calls to token providers (JWKS, discovery, introspection, userinfo) by outcome.', labelNames: l('provider', 'kind', 'outcome'), registers }),
    providerSeconds: new Histogram({ name: `${prefix}provider_request_duration_seconds`, help: 'Duration of calls to token providers.', labelNames: l('provider', 'kind'), buckets: PROVIDER_BUCKETS, registers }),
    tokenCache: new Counter({ name: `${prefix}token_cache_total`, help: 'Lookups in the verified-token caches (jwt, opaque) by result.', labelNames: l('cache', 'result'), registers }),
    storeErrors: new Counter({ name: `${prefix}store_errors_total`, help: 'Failed operations of the rate-limit and API-token stores.', labelNames: l('store'), registers }),
    configReloads: new Counter({ name: `${prefix}config_reloads_total`, help: 'Configuration reloads by result (applied, refused).', labelNames: l('result'), registers }),
  };
}

function metricsFor(registry: Registry, prefix: string, constantNames: string[]): Metrics {
  let byPrefix = shared.get(registry);
  if (!byPrefix) shared.set(registry, (byPrefix = new Map()));
  const existing = byPrefix.get(prefix);
  if (existing) {
    if (existing.constantNames !== [...constantNames].sort().join(',')) {
      throw new Error(
        `@restauth/prometheus: ${prefix}* metrics are already registered with the constant labels [${existing.constantNames}]; use the same label names, or another prefix`,
      );
    }
    return existing;
  }
  const created = createMetrics(registry, prefix, constantNames);
  byPrefix.set(prefix, created);
  return created;
}

/**
 * A restauth observer that counts into prom-client metrics: `restauth_decisions_total{decision,reason,provider}`,
 * `restauth_decision_duration_seconds`, `restauth_provider_requests_total{provider,kind,outcome}`,
 * `restauth_provider_request_duration_seconds{provider,kind}`, `restauth_token_cache_total{cache,result}`,
 * `restauth_store_errors_total{store}`, `restauth_audit_queue_events`, `restauth_audit_dropped_total`,
 * `restauth_audit_spilled_total` and `restauth_config_reloads_total{result}`. Label values are config
 * names and fixed values only (never a username, token, path or IP), so the number of series stays
 * bounded whatever the traffic. Several observers on one registry and prefix share the metrics;
 * tell them apart with constant `labels`, or give each its own `prefix`.
 *
 * @example
 * import { register } from 'prom-client';
 * import { prometheusObserver } from '@restauth/prometheus';
 * const auth = createRestAuth(config, { plugins: [jwtPlugin()], observers: [prometheusObserver()] });
 * app.get('/metrics', async (req, res) => res.type(register.contentType).send(await register.metrics()));
 */
export function prometheusObserver(options: PrometheusObserverOptions = {}): RestAuthObserver {
  const registry = options.registry ?? defaultRegistry;
  const prefix = options.prefix ?? 'restauth_';
  const constant: Labels = { ...options.labels };
  const m = metricsFor(registry, prefix, Object.keys(constant));
  const providers = new Set<string>();
  const providerLabel = (name: string | undefined): string => {
    if (name === undefined) return 'none';
    if (providers.has(name)) return name;
    if (providers.size >= MAX_PROVIDERS) return 'other';
    providers.add(name);
    return name;
  };
  const with1 = (name: string, value: string): Labels => ({ [name]: value, ...constant });

  return {
    decision(e: DecisionEvent) {
      m.decisions.inc({ decision: e.decision, reason: e.reason, provider: providerLabel(e.provider), ...constant });
      m.decisionSeconds.observe(constant, e.durationMs / 1000);
    },
    providerFetch(e: ProviderFetchEvent) {
      const provider = providerLabel(e.provider);
      m.providerRequests.inc({ provider, kind: e.kind, outcome: e.outcome, ...constant });
      m.providerSeconds.observe({ provider, kind: e.kind, ...constant }, e.durationMs / 1000);
    },
    tokenCache(e) {
      m.tokenCache.inc({ cache: e.cache, result: e.result, ...constant });
    },
    storeError(e) {
      m.storeErrors.inc(with1('store', e.store));
    },
    configReload(e) {
      m.configReloads.inc(with1('result', e.result));
    },
    attach(source) {
      const entry: Attached = { source, labels: constant, dropped: 0, spilled: 0 };
      m.attached.add(entry);
      return () => m.attached.delete(entry);
    },
  };
}
