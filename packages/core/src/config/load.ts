import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { configSchema } from './schema.js';
import type { ResolvedConfig, RestAuthConfig } from './types.js';

/** Options of {@link validateConfig} and {@link loadConfig}. */
export interface ValidateOptions {
  /** Where `{"env": "NAME"}` secrets are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Validates a configuration object and returns it resolved: defaults filled, presets
 * expanded, `{"env": "NAME"}` secrets read. Throws a {@link ConfigError} listing every
 * mistake with its path. The input is not modified.
 *
 * @example
 * const resolved = validateConfig({ enabled: false });
 */
export function validateConfig(input: RestAuthConfig | unknown, options: ValidateOptions = {}): ResolvedConfig {
  const issues: { path: string; message: string }[] = [];
  const out = configSchema.check(input, '', { issues, env: options.env ?? process.env });
  if (issues.length) throw new ConfigError(issues);
  return out as ResolvedConfig;
}

/**
 * Reads and validates a JSON configuration file.
 *
 * @example
 * const config = loadConfig('./restauth.config.json');
 */
export function loadConfig(file: string, options: ValidateOptions = {}): ResolvedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError([{ path: '', message: `cannot read ${file}: ${(cause as Error).message}` }], { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError([{ path: '', message: `${file} is not valid JSON: ${(cause as Error).message}` }], { cause });
  }
  return validateConfig(json, options);
}

/** The JSON Schema of the configuration file, for editors (`"$schema"`). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://restauth.dev/schema/restauth.config.json',
    title: 'restauth configuration',
    ...configSchema.jsonSchema(),
  };
}
