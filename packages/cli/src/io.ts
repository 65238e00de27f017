/** Where a stream of {@link CliIo} writes: `process.stdout`, or anything with `write`. */
export interface CliStream {
  write(text: string): unknown;
  /** True for a terminal: colours, aligned tables and the progress indicator are used only then. */
  readonly isTTY?: boolean | undefined;
}

/**
 * The outside world of one {@link run}: streams, environment, working directory. Every field is
 * optional; the defaults are the current process's.
 *
 * @example
 * const out: string[] = [];
 * await run(['config', 'check', 'restauth.config.json'], { stdout: { write: (s) => out.push(s) } });
 */
export interface CliIo {
  readonly stdout?: CliStream;
  readonly stderr?: CliStream;
  /** Read when a TOKEN argument is `-`. */
  readonly stdin?: AsyncIterable<string | Buffer>;
  /** Environment for `RESTAUTH_CONFIG`, `NO_COLOR` and `{"env": ...}` secrets. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against. */
  readonly cwd?: string;
  /** Stops long-running commands (`audit tail --follow`); they then resolve with exit code 0. */
  readonly signal?: AbortSignal;
}

/** {@link CliIo} with every default filled in. */
export interface ResolvedIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  readonly stdin: AsyncIterable<string | Buffer>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly signal: AbortSignal | undefined;
}

export function resolveIo(io: CliIo = {}): ResolvedIo {
  return {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: io.stdin ?? process.stdin,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    signal: io.signal,
  };
}
