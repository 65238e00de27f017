import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startApp, writeConfig } from './process.js';
import { TARGETS } from './targets.js';

// SIGTERM while requests keep coming: every request the app answered, including those answered
// while it was closing, has its audit event in the log.
const dir = mkdtempSync(join(tmpdir(), 'restauth-shutdown-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WORKERS = 24;

interface Burst {
  readonly answered: Map<string, number>;
  readonly afterSigterm: number;
}

/** Workers send requests (each with its own x-request-id) until the app stops answering. */
async function burstThroughSigterm(url: string, name: string, sigterm: () => Promise<void>): Promise<Burst> {
  const answered = new Map<string, number>();
  let signalled = false;
  let afterSigterm = 0;
  let stop = false;
  let n = 0;
  const worker = async (w: number) => {
    while (!stop) {
      const id = `${name}-${w}-${n++}`;
      try {
        const res = await fetch(`${url}/api/items`, { headers: { 'x-request-id': id }, signal: AbortSignal.timeout(3000) });
        await res.arrayBuffer();
        answered.set(id, res.status);
        if (signalled) afterSigterm++;
      } catch {
        if (signalled) return; // closed: this worker is done
      }
    }
  };
  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
  await new Promise((r) => setTimeout(r, 400));
  signalled = true;
  const exited = sigterm();
  await exited;
  stop = true;
  await Promise.all(workers);
  return { answered, afterSigterm };
}

// The apps run side by side, so the file stays well under 20 s.
describe('SIGTERM under load', () => {
  it.concurrent.each(TARGETS.map((t) => [t.name, t] as const))('%s: every answered request, including those answered while closing, has exactly one audit event', async (name, target) => {
    const log = join(dir, `${name}.audit.log`);
    const config = writeConfig(`shutdown-${name}`, {
      realm: 'shutdown',
      providers: [{ name: 'corp', type: 'jwt', issuer: 'https://idp.example.test', audience: 'api', secret: 'shutdown-test-secret-of-at-least-32-bytes' }],
      policy: { bypass: ['GET /health'] },
      audit: { enabled: true, sink: { type: 'file', path: log } },
    });
    const app = await startApp(target, config);
    const { answered, afterSigterm } = await burstThroughSigterm(app.url, name, () => app.stop());
    expect(answered.size).toBeGreaterThan(20);
    expect(existsSync(log), app.output()).toBe(true);
    const events = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { requestId: string; status: number });
    const byId = new Map(events.map((e) => [e.requestId, e.status]));
    const missing = [...answered].filter(([id]) => !byId.has(id));
    expect(missing.map(([id, status]) => `${id} answered ${status}`), `${afterSigterm} answered after SIGTERM`).toEqual([]);
    expect(events).toHaveLength(byId.size); // none twice
    for (const [id, status] of answered) expect(byId.get(id), id).toBe(status);
  });
});
