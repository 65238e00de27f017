import type { ResolvedConfig, ResolvedIntrospectionProvider, ResolvedUserinfoProvider } from '../config/types.js';
import type { Observers } from '../observe.js';
import type { PluginContext, RestAuthPlugin } from '../plugin.js';
import type { Strategy } from '../strategy.js';
import { createIntrospectionChecker } from './introspection.js';
import { createOpaqueStrategy } from './opaque-strategy.js';
import type { OpaqueStrategyOptions } from './opaque-options.js';
import { createUserinfoChecker } from './userinfo.js';

/**
 * What the opaque strategies need from the running config ({@link opaquePlugin} fills it in).
 *
 * @example
 * createIntrospectionStrategy(providers, { jwtIssuers: ['https://corp.example.com'], paths: ['providers[1]'] });
 */
export interface OpaqueStrategyContext {
  /** Issuers of the `jwt` providers, whose tokens are never sent to opaque providers. */
  readonly jwtIssuers?: readonly string[];
  /** Config path of each provider (`providers[2]`), for start-up errors. Default `providers[i]`. */
  readonly paths?: readonly string[];
  /** Told of cache hits and misses and of each provider call (the plugin context's). */
  readonly observers?: Observers | undefined;
}

function jwtIssuersOf(config: ResolvedConfig): string[] {
  return config.providers.flatMap((p) => (p.type === 'jwt' ? [p.issuer] : []));
}

function pathsOf(providers: readonly unknown[], ctx: PluginContext): string[] {
  return providers.map((p) => {
    const i = ctx.config.providers.indexOf(p as ResolvedConfig['providers'][number]);
    return i === -1 ? ctx.path : `providers[${i}]`;
  });
}

/**
 * The strategy for `type: "introspection"` providers (RFC 7662), asked in config order (see
 * {@link createOpaqueStrategy} for the order semantics). Invalid `private_key_jwt` keys throw a
 * `ConfigError` here, at start-up.
 *
 * @example
 * const strategy = createIntrospectionStrategy([provider], { maxConcurrent: 16 });
 * const principal = await strategy.verify({ kind: 'bearer', token }, { request });
 */
export function createIntrospectionStrategy(
  providers: readonly ResolvedIntrospectionProvider[],
  options: OpaqueStrategyOptions & OpaqueStrategyContext = {},
): Strategy {
  const checkers = providers.map((p, i) => createIntrospectionChecker(p, options.paths?.[i] ?? `providers[${i}]`, options));
  return createOpaqueStrategy({ name: 'introspection', checkers, jwtIssuers: options.jwtIssuers });
}

/**
 * The strategy for `type: "userinfo"` providers, asked in config order (see
 * {@link createOpaqueStrategy}).
 *
 * @example
 * const strategy = createUserinfoStrategy([{ name: 'github', type: 'userinfo', userinfoEndpoint: 'https://api.github.com/user', usernameClaim: 'login', groupsClaim: 'groups', cacheTtlSec: 60, timeoutMs: 5000 }]);
 */
export function createUserinfoStrategy(
  providers: readonly ResolvedUserinfoProvider[],
  options: OpaqueStrategyOptions & OpaqueStrategyContext = {},
): Strategy {
  const checkers = providers.map((p) => createUserinfoChecker(p, options));
  return createOpaqueStrategy({ name: 'userinfo', checkers, jwtIssuers: options.jwtIssuers });
}

/**
 * Registers `type: "introspection"` and `type: "userinfo"` providers. Core already registers
 * this plugin with default options; register it yourself only to change them (a plugin you
 * pass comes before the built-in one).
 *
 * @example
 * const auth = createRestAuth(config, { plugins: [jwtPlugin(), opaquePlugin({ maxConcurrent: 8, fetch: proxiedFetch })] });
 */
export function opaquePlugin(options: OpaqueStrategyOptions = {}): RestAuthPlugin {
  return {
    name: 'opaque',
    providers: {
      introspection: (providers, ctx) =>
        createIntrospectionStrategy(providers as readonly ResolvedIntrospectionProvider[], { ...options, jwtIssuers: jwtIssuersOf(ctx.config), paths: pathsOf(providers, ctx), observers: ctx.observers }),
      userinfo: (providers, ctx) =>
        createUserinfoStrategy(providers as readonly ResolvedUserinfoProvider[], { ...options, jwtIssuers: jwtIssuersOf(ctx.config), paths: pathsOf(providers, ctx), observers: ctx.observers }),
    },
  };
}
