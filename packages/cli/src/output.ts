import type { CliStream, ResolvedIo } from './io.js';

/** Text decorations; each is the identity when colour is off. */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
const same = (text: string) => text;

export function createStyle(enabled: boolean): Style {
  if (!enabled) return { enabled, bold: same, dim: same, red: same, green: same, yellow: same, cyan: same };
  return { enabled, bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
}

/**
 * Colour only for a person at a terminal: `--no-color` and `NO_COLOR` (https://no-color.org)
 * turn it off, `FORCE_COLOR` turns it on, otherwise a TTY that is not `TERM=dumb`.
 */
export function colorEnabled(stream: CliStream, env: Readonly<Record<string, string | undefined>>, noColorFlag: boolean): boolean {
  if (noColorFlag || (env['NO_COLOR'] ?? '') !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Width on screen: ANSI sequences take none. */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

export function padEnd(text: string, width: number): string {
  const w = visibleWidth(text);
  return w >= width ? text : text + ' '.repeat(width - w);
}

/** Options of {@link table}. */
export interface TableOptions {
  /** Column titles, shown bold (and underlined by nothing: plain text stays plain). */
  readonly header?: readonly string[];
  readonly style?: Style;
  /** Spaces before every row. Default 0. */
  readonly indent?: number;
  /** Spaces between columns. Default 2. */
  readonly gap?: number;
}

/** Rows as aligned columns; the last column is never padded. Returns text ending in a newline (or ''). */
export function table(rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const all = options.header ? [options.header, ...rows] : rows;
  if (!all.length) return '';
  const gap = ' '.repeat(options.gap ?? 2);
  const indent = ' '.repeat(options.indent ?? 0);
  const columns = Math.max(...all.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(...all.map((r) => visibleWidth(r[c] ?? ''))));
  const line = (row: readonly string[]) =>
    indent + row.map((cell, c) => (c === row.length - 1 ? cell : padEnd(cell, widths[c] ?? 0))).join(gap).trimEnd();
  const out: string[] = [];
  if (options.header) out.push(line(options.header.map((h) => options.style?.bold(h) ?? h)));
  for (const r of rows) out.push(line(r));
  return out.join('\n') + '\n';
}

/** A progress indicator; `stop` clears it. */
export interface Spinner {
  update(text: string): void;
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const NO_SPINNER: Spinner = { update() {}, stop() {} };

/**
 * A spinner on `stream` while something waits on the network: only on a terminal (never in a
 * pipe or a log), and only after 120 ms so quick answers do not flicker.
 */
export function startSpinner(stream: CliStream, text: string): Spinner {
  if (stream.isTTY !== true) return NO_SPINNER;
  let frame = 0;
  let label = text;
  let shown = false;
  const draw = () => {
    shown = true;
    stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${label}`);
  };
  const delay = setTimeout(draw, 120);
  const timer = setInterval(() => { if (shown) draw(); }, 80);
  delay.unref?.();
  timer.unref?.();
  return {
    update(t) { label = t; },
    stop() {
      clearTimeout(delay);
      clearInterval(timer);
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}

/** Everything a command writes goes through this. */
export interface Output {
  /** Styles for stdout (off when piped, `NO_COLOR`, `--no-color`). */
  readonly style: Style;
  /** Styles for stderr. */
  readonly errStyle: Style;
  readonly json: boolean;
  /** Writes text to stdout as is. */
  write(text: string): void;
  /** Writes lines to stdout. */
  line(...lines: string[]): void;
  /** One JSON document on stdout. */
  printJson(value: unknown): void;
  /** A note for the person (stderr), e.g. a warning. Never in stdout, so pipes stay clean. */
  note(text: string): void;
  /** Runs `task` with a spinner on stderr (terminal only). */
  progress<T>(text: string, task: () => Promise<T>): Promise<T>;
}

export function createOutput(io: ResolvedIo, options: { json: boolean; noColor: boolean }): Output {
  const style = createStyle(!options.json && colorEnabled(io.stdout, io.env, options.noColor));
  const errStyle = createStyle(colorEnabled(io.stderr, io.env, options.noColor));
  return {
    style,
    errStyle,
    json: options.json,
    write: (text) => void io.stdout.write(text),
    line: (...lines) => void io.stdout.write(lines.join('\n') + '\n'),
    printJson: (value) => void io.stdout.write(JSON.stringify(value, null, 2) + '\n'),
    note: (text) => void io.stderr.write(text.endsWith('\n') ? text : text + '\n'),
    async progress(text, task) {
      const spinner = startSpinner(io.stderr, text);
      try {
        return await task();
      } finally {
        spinner.stop();
      }
    },
  };
}

/** `2026-05-01 14:03:12Z` for tables: shorter than ISO 8601, still UTC and unambiguous. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** "in 5 min", "3 days ago". */
export function relativeTime(date: Date, now = Date.now()): string {
  const diff = date.getTime() - now;
  const abs = Math.abs(diff);
  const units: [number, string][] = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'min'], [1000, 'second']];
  let text = 'now';
  for (const [ms, unit] of units) {
    if (abs >= ms) {
      const n = Math.round(abs / ms);
      text = `${n} ${unit}${n === 1 || unit === 'min' ? '' : 's'}`;
      break;
    }
  }
  if (text === 'now') return text;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}
