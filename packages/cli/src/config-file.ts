import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ConfigError, isRestAuthError, validateConfig, type ResolvedConfig } from '@restauth/core';
import { stringValue, type CommandContext } from './command.js';
import { ConfigFileError } from './errors.js';

/** Where the config file is, and who said so. */
export interface ConfigLocation {
  /** Absolute path. */
  readonly path: string;
  /** The path as the user will recognise it (relative to the working directory when inside it). */
  readonly display: string;
  readonly source: '--config' | 'argument' | 'RESTAUTH_CONFIG' | 'default';
}

/** A config file read and validated: the JSON as written, and resolved (defaults, presets, secrets). */
export interface LoadedConfig {
  readonly location: ConfigLocation;
  readonly raw: Record<string, unknown>;
  readonly resolved: ResolvedConfig;
}

export const DEFAULT_CONFIG_FILE = 'restauth.config.json';

/** `argument` (config check's FILE) > `--config` > `RESTAUTH_CONFIG` > `./restauth.config.json`. */
export function configLocation(ctx: CommandContext, argument?: string): ConfigLocation {
  const flag = stringValue(ctx.values['config']);
  const env = ctx.io.env['RESTAUTH_CONFIG'];
  const [given, source]: [string, ConfigLocation['source']] =
    argument !== undefined ? [argument, 'argument']
    : flag !== undefined ? [flag, '--config']
    : env ? [env, 'RESTAUTH_CONFIG']
    : [DEFAULT_CONFIG_FILE, 'default'];
  const path = resolve(ctx.io.cwd, given);
  const rel = relative(ctx.io.cwd, path);
  return { path, display: rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path, source };
}

function lineAndColumn(text: string, message: string): string {
  const m = /at position (\d+)/.exec(message);
  if (!m) return '';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}

/** The file's JSON, or a {@link ConfigError} that says why it could not be read. */
export function readConfigJson(location: ConfigLocation): unknown {
  let text: string;
  try {
    text = readFileSync(location.path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (cause as Error).message;
    const hint = location.source === 'default' ? ' (pass --config FILE or set RESTAUTH_CONFIG)' : '';
    throw new ConfigError([{ path: '', message: `cannot read ${location.display}: ${why}${hint}` }], { cause });
  }
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (cause) {
    const message = (cause as Error).message;
    throw new ConfigError([{ path: '', message: `${location.display} is not valid JSON: ${message}${lineAndColumn(text, message)}` }], { cause });
  }
}

/** Reads and validates the config; throws {@link ConfigError} with every issue and its path. */
export function loadConfigFile(ctx: CommandContext, argument?: string): LoadedConfig {
  const location = configLocation(ctx, argument);
  return withConfigErrors(location.display, () => {
    const json = readConfigJson(location);
    const resolved = validateConfig(json, { env: ctx.io.env });
    return { location, raw: json as Record<string, unknown>, resolved };
  });
}

/** Runs `task`, turning a core {@link ConfigError} into a {@link ConfigFileError} that names the file. */
export async function withConfigErrorsAsync<T>(file: string, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (err) {
    throw asConfigFileError(file, err);
  }
}

function withConfigErrors<T>(file: string, task: () => T): T {
  try {
    return task();
  } catch (err) {
    throw asConfigFileError(file, err);
  }
}

function asConfigFileError(file: string, err: unknown): unknown {
  return isRestAuthError(err) && err.code === 'config_error' ? new ConfigFileError(file, (err as ConfigError).issues, err) : err;
}

/** Like {@link loadConfigFile}, but `undefined` when nobody asked for a config and the default file does not exist. */
export function loadOptionalConfigFile(ctx: CommandContext): LoadedConfig | undefined {
  const location = configLocation(ctx);
  if (location.source === 'default') {
    try {
      readFileSync(location.path);
    } catch {
      return undefined;
    }
  }
  return loadConfigFile(ctx);
}

/** The raw config with sections replaced (the file itself is never touched). */
export function patchConfig(raw: Record<string, unknown>, patch: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  for (const [key, fields] of Object.entries(patch)) {
    const section = raw[key];
    out[key] = { ...(typeof section === 'object' && section !== null ? section : {}), ...fields };
  }
  return out;
}
