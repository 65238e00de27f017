import { createRestAuth, validateConfig, type ApiTokenStore, type ResolvedConfig, type RestAuth, type RestAuthPlugin } from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';
import { CliError } from './errors.js';
import { EXIT_CODES } from './exit-codes.js';
import { patchConfig, withConfigErrorsAsync, type LoadedConfig } from './config-file.js';
import type { ResolvedIo } from './io.js';

/** Store and sink types of the sections that are on (only those are ever built). */
export function storeTypesInUse(config: ResolvedConfig): Set<string> {
  const types = new Set<string>();
  if (config.rateLimit.enabled) types.add(config.rateLimit.store.type);
  if (config.apiTokens.enabled) types.add(config.apiTokens.store.type);
  if (config.audit.enabled) types.add(config.audit.sink.type);
  return types;
}

// Loaded only when a config names them: starting the CLI stays fast and opens no connection.
export async function importRedis(): Promise<typeof import('@restauth/redis')> {
  try {
    return await import('@restauth/redis');
  } catch (cause) {
    throw new CliError(`@restauth/redis could not be loaded: ${(cause as Error).message}`, { exitCode: EXIT_CODES.usage, code: 'config', hint: 'It is installed with @restauth/cli; reinstall the CLI.', cause });
  }
}

export async function importPostgres(): Promise<typeof import('@restauth/postgres')> {
  try {
    return await import('@restauth/postgres');
  } catch (cause) {
    throw new CliError(`@restauth/postgres could not be loaded: ${(cause as Error).message}`, { exitCode: EXIT_CODES.usage, code: 'config', hint: 'It is installed with @restauth/cli; reinstall the CLI.', cause });
  }
}

/** The plugins a config needs: always JWT, Redis and PostgreSQL when a section that is on uses them. */
export async function pluginsFor(config: ResolvedConfig): Promise<RestAuthPlugin[]> {
  const types = storeTypesInUse(config);
  const plugins: RestAuthPlugin[] = [jwtPlugin()];
  if (types.has('redis')) plugins.push((await importRedis()).redisPlugin());
  if (types.has('postgres')) plugins.push((await importPostgres()).postgresPlugin());
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
