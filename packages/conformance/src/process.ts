import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from './targets.js';

/** A running example app. */
export interface RunningApp {
  readonly url: string;
  readonly port: number;
  readonly output: () => string;
  /** Sends a signal to the app's process (`SIGHUP`: reload its config file). */
  signal(name: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Writes a config object to a temporary JSON file and returns its path. */
export function writeConfig(name: string, config: unknown): string {
  const file = join(tmpdir(), `restauth-conformance-${process.pid}-${name}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Starts `node dist/main.js` of an example app and waits for its "listening" line. */
export async function startApp(target: Target, configFile: string, extraEnv: Record<string, string> = {}): Promise<RunningApp> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['dist/main.js'], {
    cwd: target.dir,
    env: { ...process.env, ...target.env, ...extraEnv, PORT: String(port), HOST: '127.0.0.1', RESTAUTH_CONFIG: configFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${target.name} did not start within 90 s:\n${out}`)), 90_000);
    const check = () => {
      if (/listening on/.test(out)) { clearTimeout(timer); resolve(); }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${target.name} exited with ${code}:\n${out}`)); });
  });
  child.removeAllListeners('exit');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    output: () => out,
    signal: (name) => { child.kill(name); },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => { clearTimeout(t); resolve(); });
      child.kill('SIGTERM');
    }),
  };
}
