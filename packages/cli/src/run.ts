import { readFileSync } from 'node:fs';
import { isRestAuthError, type ConfigError } from '@restauth/core';
import { commandHelp, GLOBAL_VALUE_OPTIONS, mainHelp, parseCommandArgs, type Command } from './command.js';
import { auditQueryCommand, auditTailCommand } from './commands/audit.js';
import { configCheckCommand } from './commands/config-check.js';
import { inspectCommand } from './commands/inspect.js';
import { testTokenCommand } from './commands/test-token.js';
import { tokensCreateCommand, tokensListCommand, tokensRevokeCommand, tokensRollCommand, tokensUsageCommand } from './commands/tokens.js';
import { CliError, ConfigFileError, messageOf, UsageError } from './errors.js';
import { EXIT_CODES } from './exit-codes.js';
import { resolveIo, type CliIo } from './io.js';
import { createOutput, table, type Output } from './output.js';

const COMMANDS: readonly Command[] = [
  testTokenCommand,
  inspectCommand,
  configCheckCommand,
  tokensCreateCommand,
  tokensListCommand,
  tokensRevokeCommand,
  tokensRollCommand,
  tokensUsageCommand,
  auditTailCommand,
  auditQueryCommand,
];
const GROUPS = new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0] as string));

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Indexes of the command words: the first two arguments that are neither options nor option values. */
function commandWords(argv: readonly string[]): number[] {
  const found: number[] = [];
  for (let i = 0; i < argv.length && found.length < 2; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    if (a.startsWith('-') && a !== '-') {
      if (GLOBAL_VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    found.push(i);
  }
  return found;
}

function groupHelp(group: string, out: Output): string {
  const subs = COMMANDS.filter((c) => c.name.startsWith(group + ' '));
  return [
    `${out.style.bold('Usage:')} restauth ${group} <${subs.map((c) => c.name.split(' ')[1]).join('|')}> [options]`,
    '',
    table(subs.map((c) => [c.name, c.summary]), { indent: 2 }).trimEnd(),
    '',
    `Run "restauth ${group} <command> --help" for its options.`,
    '',
  ].join('\n');
}

function report(err: unknown, out: Output, io: ReturnType<typeof resolveIo>): number {
  const es = out.errStyle;
  const fail = (code: string, message: string, exitCode: number, extra: { hint?: string | undefined; issues?: readonly { path: string; message: string }[] } = {}) => {
    if (out.json) {
      out.printJson({ error: { code, message, ...(extra.hint ? { hint: extra.hint } : {}), ...(extra.issues ? { issues: extra.issues } : {}) } });
    } else {
      let text = `${es.red('error:')} ${message}\n`;
      if (extra.issues) text += table(extra.issues.map((i) => [es.cyan(i.path || '(file)'), i.message]), { indent: 2 });
      if (extra.hint) text += es.dim(extra.hint) + '\n';
      io.stderr.write(text);
    }
    return exitCode;
  };
  if (err instanceof ConfigFileError) return fail(err.code, err.message, err.exitCode, { hint: err.hint, ...(err.issues.length ? { issues: err.issues } : {}) });
  if (err instanceof CliError) return fail(err.code, err.message, err.exitCode, { hint: err.hint });
  if (isRestAuthError(err)) {
    if (err.code === 'config_error') {
      const issues = (err as ConfigError).issues;
      return fail('config', issues.length === 1 && !issues[0]?.path ? (issues[0]?.message ?? 'invalid configuration') : 'invalid configuration', EXIT_CODES.usage, {
        issues: issues.length === 1 && !issues[0]?.path ? undefined : issues,
        hint: 'Run "restauth config check" for details.',
      });
    }
    return fail(err.code, messageOf(err), err.code === 'invalid_request' ? EXIT_CODES.usage : EXIT_CODES.failure);
  }
  if (io.env['RESTAUTH_DEBUG'] && err instanceof Error && err.stack) io.stderr.write(err.stack + '\n');
  return fail('internal', `unexpected error: ${messageOf(err)}`, EXIT_CODES.failure, { hint: io.env['RESTAUTH_DEBUG'] ? undefined : 'Set RESTAUTH_DEBUG=1 for the stack trace.' });
}

/**
 * Runs one `restauth` command line and resolves with its exit code (0 success or allowed, 1
 * denied or failed, 2 usage or config error). Never rejects and never calls `process.exit`: the
 * `restauth` binary is this function plus `process.exit`.
 *
 * @param argv The arguments after the program name, e.g. `['tokens', 'list', '--all']`.
 * @param io Streams, environment and working directory; the current process's by default.
 *
 * @example
 * import { run } from '@restauth/cli';
 *
 * let text = '';
 * const code = await run(['test-token', token, '--path', '/api/items', '--json'], {
 *   stdout: { write: (s: string) => { text += s; } },
 *   env: { RESTAUTH_CONFIG: './restauth.config.json' },
 * });
 * if (code === 0) console.log(JSON.parse(text).principal.username);
 */
export async function run(argv: readonly string[], io?: CliIo): Promise<number> {
  const rio = resolveIo(io);
  const args = [...argv];
  const json = args.includes('--json');
  let out = createOutput(rio, { json, noColor: args.includes('--no-color') });
  const words = commandWords(args);
  const first = words[0] !== undefined ? args[words[0]] : undefined;
  const wantsHelp = args.includes('--help') || args.includes('-h');

  try {
    if (first === undefined) {
      if (args.includes('--version') || args.includes('-v')) {
        out.line(version());
        return EXIT_CODES.ok;
      }
      if (wantsHelp) {
        out.write(mainHelp(COMMANDS, out.style, version()));
        return EXIT_CODES.ok;
      }
      if (args.length) throw new UsageError(`no command given (arguments: ${args.join(' ')})`);
      rio.stderr.write(mainHelp(COMMANDS, out.errStyle, version()));
      return EXIT_CODES.usage;
    }
    if (first === 'help') {
      const rest = args.filter((_, i) => i !== words[0]);
      return await run([...rest, '--help'], io);
    }
    let name = first;
    let used = [words[0] as number];
    if (GROUPS.has(first)) {
      const sub = words[1] !== undefined ? args[words[1]] : undefined;
      if (sub === undefined || !COMMANDS.some((c) => c.name === `${first} ${sub}`)) {
        if (sub === undefined && wantsHelp) {
          out.write(groupHelp(first, out));
          return EXIT_CODES.ok;
        }
        if (sub === undefined) {
          rio.stderr.write(groupHelp(first, out));
          return EXIT_CODES.usage;
        }
        throw new UsageError(`unknown command "${first} ${sub}"`, first);
      }
      name = `${first} ${sub}`;
      used = [words[0] as number, words[1] as number];
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) {
      const near = COMMANDS.find((c) => c.name.startsWith(first.slice(0, 3)));
      throw new UsageError(`unknown command "${first}"${near ? ` (did you mean "${near.name}"?)` : ''}`);
    }
    const { values, positionals } = parseCommandArgs(command, args.filter((_, i) => !used.includes(i)));
    out = createOutput(rio, { json: values['json'] === true, noColor: values['no-color'] === true });
    if (values['help']) {
      out.write(commandHelp(command, createOutput(rio, { json: false, noColor: values['no-color'] === true }).style));
      return EXIT_CODES.ok;
    }
    return await command.run({ io: rio, out, values, positionals });
  } catch (err) {
    return report(err, out, rio);
  }
}
