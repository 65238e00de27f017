import { createFileAuditSink, createMemoryAuditSink, createStdoutAuditSink } from '../audit.js';
import { createMemoryApiTokenStore } from '../api-tokens/store.js';
import type { ResolvedConfig, ResolvedProvider, ResolvedStore } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { opaquePlugin } from '../opaque/opaque-plugin.js';
import type { Observers } from '../observe.js';
import type { PluginContext, RestAuthPlugin } from '../plugin.js';
import { createMemoryRateLimitStore } from '../rate-limit.js';
import { createMemoryReplayStore } from '../replay-store.js';
import type { Strategy } from '../strategy.js';

/** The built-in provider types (introspection, userinfo) and memory, stdout and file stores and sinks. */
export const builtinPlugin: RestAuthPlugin = {
  name: 'builtin',
  providers: opaquePlugin().providers,
  rateLimitStores: { memory: () => createMemoryRateLimitStore() },
  replayStores: { memory: (_s, ctx) => createMemoryReplayStore({ maxEntries: ctx.config.dpop.replayCacheSize }) },
  apiTokenStores: { memory: () => createMemoryApiTokenStore() },
  auditSinks: {
    memory: () => createMemoryAuditSink(),
    stdout: () => createStdoutAuditSink(),
    file: (s, ctx) => createFileAuditSink({ path: s.path as string, maxFileBytes: s.maxFileBytes, retention: ctx.config.audit.retention }),
  },
};

/** One strategy per provider type, in the order the config first names each type. */
export function buildStrategies(config: ResolvedConfig, plugins: readonly RestAuthPlugin[], observers?: Observers): Strategy[] {
  const byType = new Map<string, { providers: ResolvedProvider[]; first: number }>();
  config.providers.forEach((p, i) => {
    const entry = byType.get(p.type) ?? { providers: [], first: i };
    entry.providers.push(p);
    byType.set(p.type, entry);
  });
  const strategies: Strategy[] = [];
  for (const [type, { providers, first }] of byType) {
    const factory = plugins.find((pl) => pl.providers?.[type])?.providers?.[type];
    if (!factory) {
      const pkg = type === 'jwt' ? '@restauth/jwt' : `a plugin for provider type "${type}"`;
      throw new ConfigError([{ path: `providers[${first}].type`, message: `provider type "${type}" needs ${pkg}: install and register it` }]);
    }
    strategies.push(factory(providers, { config, path: `providers[${first}]`, observers }));
  }
  return strategies;
}

type StoreKind = 'rateLimitStores' | 'auditSinks' | 'apiTokenStores' | 'replayStores';
type Built<K extends StoreKind> = ReturnType<NonNullable<NonNullable<RestAuthPlugin[K]>[string]>>;

/** Opens the store or sink a config section names, through the plugin that provides its type. */
export function openStore<K extends StoreKind>(kind: K, store: ResolvedStore, plugins: readonly RestAuthPlugin[], ctx: PluginContext): Built<K> {
  const factory = plugins.find((p) => p[kind]?.[store.type])?.[kind]?.[store.type];
  if (!factory) {
    const pkg = store.type === 'redis' || store.type === 'postgres' ? `@restauth/${store.type}` : `a plugin for "${store.type}"`;
    throw new ConfigError([{ path: `${ctx.path}.type`, message: `store type "${store.type}" needs ${pkg}: install and register it` }]);
  }
  return (factory as (s: ResolvedStore, c: PluginContext) => Built<K>)(store, ctx);
}
