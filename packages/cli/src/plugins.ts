import { createRestAuth, validateConfig, type ApiTokenStore, type ResolvedConfig, type RestAuth, type RestAuthPlugin } from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';
import { CliError, messageOf } from './errors.js';
import { EXIT_CODES } from './exit-codes.js';
import { patchConfig, withConfigErrorsAsync, type LoadedConfig } from './config-file.js';
import type { ResolvedIo } from './io.js';

/** The config paths of the stores and sinks of the sections that are on (only those are ever built), by type. */
export function storesByType(config: ResolvedConfig): Map<string, string[]> {
  const types = new Map<string, string[]>();
  const use = (type: string, path: string) => types.set(type, [...(types.get(type) ?? []), path]);
  if (config.rateLimit.enabled) use(config.rateLimit.store.type, 'rateLimit.store');
  if (config.apiTokens.enabled) use(config.apiTokens.store.type, 'apiTokens.store');
  if (config.audit.enabled) use(config.audit.sink.type, 'audit.sink');
  return types;
}

/**
 * Loads `@restauth/redis` or `@restauth/postgres`, optional peers of the CLI: installing the CLI
 * does not pull `ioredis` or `pg`. Loaded only when a config names them, so starting the CLI
 * stays fast and opens no connection. A missing package is a setup problem (exit 2) that names
 * the package to install.
 */
export async function loadPeer<T>(name: '@restauth/redis' | '@restauth/postgres', neededBy: readonly string[], load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    const notInstalled = (cause as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((cause as Error).message).includes(`'${name}'`);
    throw new CliError(notInstalled ? `${neededBy.join(' and ')} ${neededBy.length === 1 ? 'needs' : 'need'} ${name}, which is not installed` : `${name} could not be loaded: ${messageOf(cause)}`, {
      exitCode: EXIT_CODES.usage,
      code: 'config',
      hint: `${notInstalled ? 'Install it' : 'Reinstall it'} beside @restauth/cli: npm install ${name}`,
      cause,
    });
  }
}

/** `@restauth/redis`, for the config paths in `neededBy`. */
export const importRedis = (neededBy: readonly string[]) => loadPeer('@restauth/redis', neededBy, () => import('@restauth/redis'));

/** `@restauth/postgres`, for the config paths in `neededBy`. */
export const importPostgres = (neededBy: readonly string[]) => loadPeer('@restauth/postgres', neededBy, () => import('@restauth/postgres'));

/** The plugins a config needs: always JWT, Redis and PostgreSQL when a section that is on uses them. */
export async function pluginsFor(config: ResolvedConfig): Promise<RestAuthPlugin[]> {
  const types = storesByType(config);
  const plugins: RestAuthPlugin[] = [jwtPlugin()];
  const redis = types.get('redis');
  const postgres = types.get('postgres');
  if (redis) plugins.push((await importRedis(redis)).redisPlugin());
  if (postgres) plugins.push((await importPostgres(postgres)).postgresPlugin());
  return plugins;
}

/**
 * Builds the gate from the config with some sections switched off for the CLI's purpose (the
 * CLI never writes audit events of its own, for one).
 */
export async function buildGate(loaded: LoadedConfig, io: ResolvedIo, patch: Record<string, Record<string, unknown>>): Promise<RestAuth> {
  const raw = patchConfig(loaded.raw, patch);
  return withConfigErrorsAsync(loaded.location.display, async () => {
    const plugins = await pluginsFor(validateConfig(raw, { env: io.env }));
    return createRestAuth(raw, { plugins, env: io.env });
  });
}

/** The configured API-token store, built by its plugin (the caller closes it). */
export async function openTokenStore(loaded: LoadedConfig): Promise<ApiTokenStore> {
  const { resolved } = loaded;
  const type = resolved.apiTokens.store.type;
  const plugins = await pluginsFor(resolved);
  const factory = plugins.find((p) => p.apiTokenStores?.[type])?.apiTokenStores?.[type];
  if (!factory) {
    throw new CliError(`no plugin provides API token stores of type "${type}"`, { exitCode: EXIT_CODES.usage, code: 'config' });
  }
  return withConfigErrorsAsync(loaded.location.display, async () => factory(resolved.apiTokens.store, { config: resolved, path: 'apiTokens.store' }));
}
