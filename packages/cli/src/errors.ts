import { EXIT_CODES } from './exit-codes.js';

/** Why a command stopped early; `exitCode` is what the process exits with. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  readonly exitCode: number;
  /** A next step for the user, printed under the message. */
  readonly hint: string | undefined;
  /** Stable code in `--json` error output. */
  readonly code: string;

  constructor(message: string, options: { exitCode?: number; hint?: string; code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? EXIT_CODES.failure;
    this.hint = options.hint;
    this.code = options.code ?? (this.exitCode === EXIT_CODES.usage ? 'usage' : 'failed');
  }
}

/** Wrong arguments: exit 2 and a pointer to `--help`. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';

  constructor(message: string, command?: string) {
    super(message, { exitCode: EXIT_CODES.usage, code: 'usage', hint: `Run "restauth ${command ? command + ' ' : ''}--help" for usage.` });
  }
}

/** The message of anything thrown, with the first cause when it says more. */
export function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause && !err.message.includes(cause) ? `${err.message} (${cause})` : err.message;
}

/** The config file could not be read or is invalid: exit 2, every issue with its path. */
export class ConfigFileError extends CliError {
  override readonly name = 'ConfigFileError';
  readonly issues: readonly { readonly path: string; readonly message: string }[];

  constructor(file: string, issues: readonly { readonly path: string; readonly message: string }[], cause?: unknown) {
    const single = issues.length === 1 && !issues[0]?.path;
    super(single ? (issues[0]?.message as string) : `invalid config ${file}`, {
      exitCode: EXIT_CODES.usage,
      code: 'config',
      hint: single ? undefined : `Run "restauth config check ${file}" for a full report.`,
      cause,
    });
    this.issues = single ? [] : issues;
  }
}
