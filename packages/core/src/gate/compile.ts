import { createApiTokens, type ApiTokens } from '../api-tokens/api-tokens.js';
import type { ClientIpOptions } from '../client-ip.js';
import type { ResolvedConfig } from '../config/types.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { parseCidr, type Cidr } from '../ip.js';
import { observeStore, type Observers } from '../observe.js';
import type { RestAuthPlugin } from '../plugin.js';
import type { RateLimitStore } from '../rate-limit.js';
import type { ApiTokenStore } from '../api-tokens/store.js';
import { compilePattern, type RoutePattern } from '../route-pattern.js';
import type { Strategy } from '../strategy.js';
import { createAllowClientsCheck } from './allow-clients.js';
import { createAllowGroupsCheck } from './allow-groups.js';
import { createBypassCheck } from './bypass.js';
import type { Check } from './check.js';
import type { ContextSettings } from './context.js';
import { createCredentialsCheck } from './credentials.js';
import { createDisabledCheck } from './disabled.js';
import { createIpCheck } from './ip.js';
import { buildStrategies, builtinPlugin, openStore } from './plugins.js';
import { createProofCheck } from './proof.js';
import { createPublicRouteCheck } from './public-route.js';
import { createTokenUsesCheck } from './token-uses.js';
import { createRateLimitCheck } from './rate-limit.js';
import { createReadOnlyCheck } from './read-only.js';
import { createRouteCheck } from './route.js';
import { createRuleChecks, type CompiledRule } from './rules.js';
import { createVerifyCheck } from './verify.js';

/** What {@link compileGate} needs besides the config. */
export interface CompileGateOptions {
  /** Plugins that provide provider types, stores and sinks (the built-in ones are added). */
  readonly plugins?: readonly RestAuthPlugin[] | undefined;
  /** Extra strategies, asked after the configured providers. */
  readonly strategies?: readonly Strategy[] | undefined;
  /** Clock of the API-token life cycle. */
  readonly now?: (() => number) | undefined;
  /** The instance's observers, handed to plugins, strategies and stores; undefined when none. */
  readonly observers?: Observers | undefined;
}

/**
 * A config compiled for requests: the ordered checks, and what they hold open (strategies,
 * stores). Immutable: a new config is a new Gate.
 */
export interface Gate {
  readonly config: ResolvedConfig;
  /** The checks in the order of DESIGN.md; a check the config does not use is not here. */
  readonly checks: readonly Check[];
  readonly settings: ContextSettings;
  readonly strategies: readonly Strategy[];
  readonly tokens: ApiTokens | undefined;
  readonly rateLimitStore: RateLimitStore | undefined;
  /** Closes the stores and strategies this gate opened. */
  close(): Promise<void>;
}

const MAX_CREDENTIAL_LENGTH = 8192;
const STORE_ERROR = Object.freeze({ store: 'apiTokens' as const });

function compileAll(sources: readonly string[], path: string): RoutePattern[] {
  const issues: ConfigIssue[] = [];
  const out = sources.map((s, i) => compilePattern(s, `${path}[${i}]`, issues));
  if (issues.length) throw new ConfigError(issues);
  return out as RoutePattern[];
}

function cidrs(list: readonly string[]): Cidr[] {
  return list.map((s) => parseCidr(s) as Cidr);
}

/**
 * Compiles a validated config into a {@link Gate}: patterns, CIDR sets, strategies and stores
 * built once, and the checks a request runs through, in order. Throws {@link ConfigError} for a
 * provider or store type whose plugin is missing.
 */
export function compileGate(config: ResolvedConfig, options: CompileGateOptions = {}): Gate {
  const plugins = [...(options.plugins ?? []), builtinPlugin];
  const { policy, apiTokens: at, rateLimit: rl } = config;
  const policyReportOnly = policy.mode === 'report-only';

  const { observers } = options;
  const tokenStore = at.enabled ? openStore('apiTokenStores', at.store, plugins, { config, path: 'apiTokens.store', observers }) : undefined;
  const tokens = tokenStore
    ? createApiTokens({
        store: observers ? observeStore<ApiTokenStore>(tokenStore, observers, STORE_ERROR) : tokenStore,
        creatorGroups: at.creatorGroups,
        adminGroups: at.adminGroups,
        maxLifetimeDays: at.maxLifetimeDays,
        defaultLifetimeDays: at.defaultLifetimeDays,
        maxRateLimit: at.maxRateLimit,
        usageRetentionDays: at.usageRetentionDays,
        now: options.now,
      })
    : undefined;
  // API tokens first: their prefix makes the check a string comparison.
  const strategies = [...(tokens ? [tokens.strategy] : []), ...buildStrategies(config, plugins, observers), ...(options.strategies ?? [])];
  // API tokens may carry their own rate limit, counted in the configured store even when the global limit is off.
  const rateLimitStore = rl.enabled || tokens ? openStore('rateLimitStores', rl.store, plugins, { config, path: 'rateLimit.store', observers }) : undefined;

  const rules: CompiledRule[] = policy.rules.map((r, i) => ({
    pattern: compileAll([r.match], `policy.rules[${i}].match`)[0] as RoutePattern,
    methods: r.methods ? new Set(r.methods) : undefined,
    groups: r.groups,
    scopes: r.scopes,
    reportOnly: (r.mode ?? policy.mode) === 'report-only',
    index: i,
    rateLimit: r.rateLimit,
  }));
  const clientIp: ClientIpOptions = {
    trustProxy: typeof policy.trustProxy === 'number' ? { hops: policy.trustProxy } : { cidrs: cidrs(policy.trustProxy) },
    header: policy.clientIpHeader,
  };

  // Any provider's token may be sender-constrained (cnf): then every principal is checked for it.
  const proofs = config.enabled && config.providers.length > 0;
  const replayStore = proofs ? openStore('replayStores', config.dpop.replayStore, plugins, { config, path: 'dpop.replayStore' }) : undefined;

  // The order of checks, as DESIGN.md states it.
  const checks: Check[] = config.enabled
    ? [
        createBypassCheck(compileAll(policy.bypass, 'policy.bypass')),
        createIpCheck(cidrs(policy.ipAllow), policyReportOnly),
        createPublicRouteCheck(compileAll(policy.public, 'policy.public'), compileAll(policy.restrictPublic, 'policy.restrictPublic')),
        createCredentialsCheck({ apiKeyHeader: at.enabled ? at.header : undefined, basic: config.basicAuth.enabled, maxLength: MAX_CREDENTIAL_LENGTH, dpop: proofs }),
        createVerifyCheck(strategies, observers),
        replayStore && createProofCheck({ config, trustProxy: clientIp.trustProxy, replayStore, now: options.now }),
        createAllowGroupsCheck(policy.allowGroups, policyReportOnly),
        createReadOnlyCheck(policy.readOnlyGroups, policyReportOnly),
        createAllowClientsCheck(policy.allowClients, policyReportOnly),
        ...createRuleChecks(rules),
        createRouteCheck(),
        createRateLimitCheck(rl, rateLimitStore, observers, tokens !== undefined),
        createTokenUsesCheck(tokens),
      ].filter((c): c is Check => c !== undefined)
    : [createDisabledCheck()];

  return Object.freeze({
    config,
    checks: Object.freeze(checks),
    settings: Object.freeze({ clientIp, rules }),
    strategies,
    tokens,
    rateLimitStore,
    async close() {
      await tokens?.close();
      await rateLimitStore?.close?.();
      await replayStore?.close?.();
      for (const s of strategies) await s.close?.();
    },
  });
}
