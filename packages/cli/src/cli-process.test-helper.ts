import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built binary: every test runs it as a user would. */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
export const INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url));

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build -w @restauth/cli" before the tests`);

/** What one run of the binary did. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link restauth}. */
export interface RunOptions {
  readonly cwd?: string;
  /** Added to a clean environment (no colour or config variables from the outer shell). */
  readonly env?: Record<string, string>;
  /** Written to standard input. */
  readonly input?: string;
  readonly timeoutMs?: number;
}

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'RESTAUTH_CONFIG', 'RESTAUTH_DEBUG', 'NODE_OPTIONS']) delete env[k];
  return { ...env, ...extra };
}

/** Starts `node dist/cli.js ...args` with piped stdio. */
export function spawnCli(args: readonly string[], options: RunOptions = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs the binary to the end. */
export function restauth(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`restauth ${args.join(' ')} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(options.input ?? '');
  });
}

/** A fresh temporary folder, and its removal. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'restauth-cli-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(value, null, 2));
  return path;
}

// eslint-disable-next-line no-control-regex
export const ANSI = /\x1b\[/;

/** Sends raw bytes to host:port and resolves with the first answer (or rejects). */
function probe(host: string, port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(1500, () => socket.destroy(new Error('timed out')));
    socket.once('connect', () => socket.write(bytes));
    socket.once('data', (d) => {
      socket.end();
      resolve(d);
    });
    socket.once('error', reject);
  });
}

/**
 * True when the server answers. When it does not: in CI (`CI=true`) the test file fails;
 * anywhere else its tests are skipped with a message.
 */
export async function requireServer(name: 'Redis' | 'PostgreSQL', url: string): Promise<boolean> {
  const u = new URL(url);
  const host = u.hostname || '127.0.0.1';
  const port = Number(u.port) || (name === 'Redis' ? 6379 : 5432);
  let problem: string | undefined;
  try {
    // Redis: PING → +PONG (or -NOAUTH, still a Redis). PostgreSQL: SSLRequest → 'S' or 'N'.
    const answer = await probe(host, port, name === 'Redis' ? Buffer.from('PING\r\n') : Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]));
    const first = String.fromCharCode(answer[0] ?? 0);
    if (name === 'Redis' ? !['+', '-'].includes(first) : !['S', 'N'].includes(first)) problem = `unexpected answer from ${host}:${port}`;
  } catch (err) {
    problem = (err as Error).message;
  }
  if (problem === undefined) return true;
  const message = `${name} is not reachable at ${host}:${port} (${problem}).`;
  if (process.env['CI'] === 'true') throw new Error(`${message} CI requires ${name}.`);
  console.warn(`Skipping ${name} tests: ${message}`);
  return false;
}

/** One Redis command over RESP, for cleanup (the CLI itself talks to Redis through @restauth/redis). */
export async function redisCommand(url: string, ...args: string[]): Promise<unknown> {
  const u = new URL(url);
  const request = `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname || '127.0.0.1', port: Number(u.port) || 6379 });
    let buf = Buffer.alloc(0);
    socket.setTimeout(3000, () => socket.destroy(new Error('timed out')));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const parsed = parseResp(buf, 0);
      if (parsed) {
        socket.end();
        resolve(parsed.value);
      }
    });
    socket.once('error', reject);
  });
}

function parseResp(buf: Buffer, at: number): { value: unknown; next: number } | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol === -1) return undefined;
  const type = String.fromCharCode(buf[at] as number);
  const line = buf.toString('utf8', at + 1, eol);
  if (type === '+' || type === '-') return { value: line, next: eol + 2 };
  if (type === ':') return { value: Number(line), next: eol + 2 };
  if (type === '$') {
    const len = Number(line);
    if (len < 0) return { value: null, next: eol + 2 };
    if (buf.length < eol + 2 + len + 2) return undefined;
    return { value: buf.toString('utf8', eol + 2, eol + 2 + len), next: eol + 2 + len + 2 };
  }
  if (type === '*') {
    const n = Number(line);
    const items: unknown[] = [];
    let next = eol + 2;
    for (let i = 0; i < n; i++) {
      const item = parseResp(buf, next);
      if (!item) return undefined;
      items.push(item.value);
      next = item.next;
    }
    return { value: items, next };
  }
  throw new Error(`unexpected RESP type ${type}`);
}

/** Deletes every key under `prefix`. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = (await redisCommand(url, 'SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000')) as [string, string[]];
    cursor = next;
    if (keys.length) await redisCommand(url, 'DEL', ...keys);
  } while (cursor !== '0');
}

/** Stops a process started by {@link spawnCli} with SIGINT and waits for its exit code. */
export function interrupt(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('close', (code) => resolve(code));
    child.kill('SIGINT');
  });
}
