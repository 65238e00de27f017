import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startIdp, type TestIdp } from '@restauth/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, deleteKeys, REDIS_URL, requireRedis, RUN_PREFIX } from './redis-available.js';

const redisUp = await requireRedis();
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PREFIX = RUN_PREFIX + 'apps:';
const LIMIT = 10;

function newestSource(dir: string): number {
  let newest = 0;
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (f.endsWith('.ts') && !f.endsWith('.test.ts')) newest = Math.max(newest, statSync(join(dir, f)).mtimeMs);
  }
  return newest;
}

/**
 * Builds a workspace when its dist is missing, or (for `rebuildStale`) older than its sources:
 * the app under test runs from built JS, as in production.
 */
function ensureBuilt(workspace: string, name: string, entry: string, rebuildStale: boolean): void {
  const dist = join(ROOT, workspace, 'dist', entry);
  const stale = rebuildStale && existsSync(dist) && statSync(dist).mtimeMs < newestSource(join(ROOT, workspace, 'src'));
  if (existsSync(dist) && !stale) return;
  execFileSync('npm', ['run', 'build', '-w', name], { cwd: ROOT, stdio: 'pipe' });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface App {
  readonly url: string;
  readonly child: ChildProcess;
}

function startApp(port: number, configPath: string): Promise<App> {
  const child = spawn(process.execPath, [join(ROOT, 'apps/express-example/dist/main.js')], {
    cwd: join(ROOT, 'apps/express-example'),
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', RESTAUTH_CONFIG: configPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`app did not start in time:\n${output}`)); }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${port}`, child });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`app exited with ${code}:\n${output}`)); });
  });
}

async function stopApp(app: App | undefined): Promise<void> {
  if (!app || app.child.exitCode !== null) return;
  const exited = new Promise((resolve) => app.child.once('exit', resolve));
  app.child.kill('SIGTERM');
  const timer = setTimeout(() => app.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

describe.skipIf(!redisUp)('two example-app processes sharing one Redis', () => {
  let idp: TestIdp;
  let admin: Redis;
  let dir: string;
  const apps: App[] = [];

  beforeAll(async () => {
    for (const [ws, name] of [['packages/core', '@restauth/core'], ['packages/jwt', '@restauth/jwt'], ['packages/express', '@restauth/express']] as const) {
      ensureBuilt(ws, name, 'index.js', false);
    }
    ensureBuilt('packages/redis', '@restauth/redis', 'index.js', true);
    ensureBuilt('apps/express-example', '@restauth/express-example', 'main.js', true);

    admin = adminClient();
    idp = await startIdp();
    dir = mkdtempSync(join(tmpdir(), 'restauth-redis-'));
    const configPath = join(dir, 'restauth.config.json');
    writeFileSync(configPath, JSON.stringify({
      realm: 'two-instances',
      providers: [{ name: 'local', type: 'jwt', issuer: idp.issuer, audience: 'api', discovery: true }],
      policy: { bypass: ['GET /health'] },
      rateLimit: { enabled: true, limit: LIMIT, windowSec: 3600, store: { type: 'redis', url: REDIS_URL, keyPrefix: PREFIX } },
    }));
    const ports = [await freePort(), await freePort()];
    apps.push(...(await Promise.all(ports.map((p) => startApp(p, configPath)))));
  });

  afterAll(async () => {
    await Promise.all(apps.map(stopApp));
    await idp?.close();
    if (admin) {
      await deleteKeys(admin, PREFIX);
      admin.disconnect();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = (app: App, token: string) => fetch(`${app.url}/api/items`, { headers: { authorization: `Bearer ${token}` } });

  it('admit exactly `limit` requests together, fired alternately', async () => {
    const token = await idp.userToken('alice');
    const statuses: number[] = [];
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3 * LIMIT; i++) {
      const res = await get(apps[i % 2]!, token);
      statuses.push(res.status);
      remaining.push(res.headers.get('ratelimit-remaining'));
      await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2 * LIMIT);
    expect(statuses.slice(0, LIMIT).every((s) => s === 200)).toBe(true);
    // One count across both processes: 9, 8, 7... whichever process answered.
    expect(remaining.slice(0, LIMIT)).toEqual(Array.from({ length: LIMIT }, (_, i) => String(LIMIT - 1 - i)));
  });

  it('admit exactly `limit` requests together under concurrency', async () => {
    const token = await idp.userToken('bob');
    const responses = await Promise.all(Array.from({ length: 4 * LIMIT }, (_, i) => get(apps[i % 2]!, token)));
    const statuses = responses.map((r) => r.status);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3 * LIMIT);
    const denied = responses.find((r) => r.status === 429)!;
    expect(Number(denied.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
