import type { ApiTokenStore } from './api-tokens/store.js';
import type { AuditSink } from './audit.js';
import type { ResolvedConfig, ResolvedProvider, ResolvedStore } from './config/types.js';
import type { Observers } from './observe.js';
import type { RateLimitStore } from './rate-limit.js';
import type { ReplayStore } from './replay-store.js';
import type { Strategy } from './strategy.js';

/** What a plugin factory gets: the resolved config and the path of the entry it builds. */
export interface PluginContext {
  readonly config: ResolvedConfig;
  /** Config path of the entry being built, for errors (`providers[1]`, `rateLimit.store`). */
  readonly path: string;
  /** The instance's observers (metrics, traces); undefined when nobody listens. */
  readonly observers?: Observers | undefined;
}

/**
 * Extends core with provider types, stores and sinks. `@restauth/jwt` registers `jwt`;
 * `@restauth/redis` registers `redis` stores; `@restauth/postgres` registers `postgres` ones.
 *
 * @example
 * createRestAuth(config, { plugins: [jwtPlugin(), redisPlugin()] })
 */
export interface RestAuthPlugin {
  readonly name: string;
  /** By provider `type`: builds the strategy for every provider of that type (in config order). */
  readonly providers?: Readonly<Record<string, (providers: readonly ResolvedProvider[], ctx: PluginContext) => Strategy>>;
  readonly rateLimitStores?: Readonly<Record<string, (store: ResolvedStore, ctx: PluginContext) => RateLimitStore>>;
  /** DPoP proof ids (`dpop.replayStore`). */
  readonly replayStores?: Readonly<Record<string, (store: ResolvedStore, ctx: PluginContext) => ReplayStore>>;
  readonly auditSinks?: Readonly<Record<string, (sink: ResolvedStore, ctx: PluginContext) => AuditSink>>;
  readonly apiTokenStores?: Readonly<Record<string, (store: ResolvedStore, ctx: PluginContext) => ApiTokenStore>>;
}
