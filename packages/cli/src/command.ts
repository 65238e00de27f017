import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import type { ResolvedIo } from './io.js';
import { table, type Output, type Style } from './output.js';

/** One option of a command, as `node:util` `parseArgs` takes it, plus its help. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Placeholder of the value in help (`FILE`, `N`). */
  readonly value?: string;
  readonly description: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** What a command's `run` gets. */
export interface CommandContext {
  readonly io: ResolvedIo;
  readonly out: Output;
  readonly values: OptionValues;
  readonly positionals: readonly string[];
}

/** One `restauth` command (`test-token`, `tokens create`...). */
export interface Command {
  /** The words that select it: `tokens create`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Positional arguments and options after the name, for the usage line. */
  readonly usage: string;
  /** Paragraphs under the usage line. */
  readonly description: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** How many positional arguments it takes. */
  readonly positionals: { readonly min: number; readonly max: number };
  /** Its positional argument is a token, which may start with "-" (opaque tokens are random). */
  readonly tokenArgument?: boolean;
  readonly examples: readonly string[];
  run(context: CommandContext): Promise<number>;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  config: { type: 'string', value: 'FILE', description: 'Config file. Default: $RESTAUTH_CONFIG, else ./restauth.config.json' },
  json: { type: 'boolean', description: 'Print JSON for machines instead of text' },
  'no-color': { type: 'boolean', description: 'No colours (also when NO_COLOR is set or output is not a terminal)' },
  help: { type: 'boolean', short: 'h', description: 'Show help for the command' },
};

/** Global options that take a value: needed to find the command words among the arguments. */
export const GLOBAL_VALUE_OPTIONS = new Set(['--config']);

/** Parses the arguments after the command words; any mistake is a {@link UsageError}. */
export function parseCommandArgs(command: Command, args: readonly string[]): { values: OptionValues; positionals: string[] } {
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  // An opaque token may start with "-": long, token characters only, and not a known short option.
  const shorts = new Set(Object.values(options).map((o) => o.short).filter(Boolean));
  const dashTokens: string[] = [];
  const input = args.map((a) => {
    if (command.tokenArgument && /^-[^-]/.test(a) && a.length >= 20 && /^[A-Za-z0-9._~+/=-]+$/.test(a) && !shorts.has(a[1])) {
      dashTokens.push(a);
      return `\u0000token${dashTokens.length - 1}`;
    }
    return a;
  });
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({
      args: input,
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
      ),
      allowPositionals: true,
      strict: true,
    }) as { values: OptionValues; positionals: string[] };
  } catch (err) {
    const hint = command.tokenArgument && /unknown option/i.test(String(err)) ? ' (a token that starts with "-" goes after "--", or on standard input with "-")' : '';
    throw new UsageError(cleanParseError(err) + hint, command.name);
  }
  parsed.positionals = parsed.positionals.map((p) => (p.startsWith('\u0000token') ? (dashTokens[Number(p.slice(6))] as string) : p));
  if (parsed.values['help']) return parsed;
  const n = parsed.positionals.length;
  if (n < command.positionals.min) throw new UsageError(`missing argument: ${command.usage.split(' ').find((w) => /^[A-Z]/.test(w)) ?? 'argument'}`, command.name);
  if (n > command.positionals.max) throw new UsageError(`unexpected argument "${parsed.positionals[command.positionals.max]}"`, command.name);
  return parsed;
}

function cleanParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // parseArgs explains how to pass a value starting with "-"; that hint is noise here.
  return message.replace(/\. To specify a positional argument starting with a '-'.*$/s, '').replace(/^Unknown option/, 'unknown option').replace(/^Option/, 'option');
}

function optionLabel(name: string, o: OptionSpec): string {
  const long = `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
  return o.short ? `-${o.short}, ${long}` : `    ${long}`;
}

/** The `--help` text of a command. */
export function commandHelp(command: Command, style: Style): string {
  const rows = Object.entries({ ...command.options, ...GLOBAL_OPTIONS }).map(([name, o]) => [optionLabel(name, o), o.description + (o.multiple ? ' (repeatable)' : '')]);
  const parts = [
    `${style.bold('Usage:')} restauth ${command.name} ${command.usage}`.trimEnd(),
    '',
    command.summary + '.',
    ...(command.description ? ['', command.description] : []),
    '',
    style.bold('Options:'),
    table(rows, { indent: 2 }).trimEnd(),
  ];
  if (command.examples.length) parts.push('', style.bold('Examples:'), ...command.examples.map((e) => `  ${e}`));
  return parts.join('\n') + '\n';
}

/** The text of `restauth --help`. */
export function mainHelp(commands: readonly Command[], style: Style, version: string): string {
  return [
    `restauth ${version}: check tokens and configs, manage API tokens and read the audit trail of a restauth gate.`,
    '',
    `${style.bold('Usage:')} restauth <command> [options]`,
    '',
    style.bold('Commands:'),
    table(commands.map((c) => [c.name, c.summary]), { indent: 2 }).trimEnd(),
    '',
    style.bold('Global options:'),
    table([...Object.entries(GLOBAL_OPTIONS).map(([name, o]) => [optionLabel(name, o), o.description]), [optionLabel('version', { type: 'boolean', description: '' }), 'Print the version']], { indent: 2 }).trimEnd(),
    '',
    'Exit codes: 0 success (allowed), 1 denied or failed, 2 wrong usage or invalid config.',
    'Run "restauth <command> --help" for a command\'s options and examples. Docs: docs/cli.md',
    '',
  ].join('\n');
}

/** A list value: `--groups a,b --groups c` and `--groups "a, b"` both give [a, b, c]. */
export function listValue(value: string | boolean | string[] | undefined): string[] | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  return [...new Set(items)];
}

export function stringValue(value: string | boolean | string[] | undefined): string | undefined {
  if (Array.isArray(value)) return value[value.length - 1];
  return typeof value === 'string' ? value : undefined;
}

/** A whole number option within bounds. */
export function intValue(value: string | boolean | string[] | undefined, name: string, command: string, min: number, max: number): number | undefined {
  const s = stringValue(value);
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${s}"`, command);
  return Number(s);
}
