import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hs256Token } from './hs256.js';
import { startApp, type RunningApp } from './process.js';
import { TARGETS } from './targets.js';

// Operations in every example app: GET /health/restauth, SIGHUP reloads of RESTAUTH_CONFIG
// (valid: a changed answer; invalid: refused, the old config stays), and audit events that carry
// the status the caller finally got (201, 204, 404; one event for a client that hung up).
const dir = mkdtempSync(join(tmpdir(), 'restauth-operations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'operations-test-secret-of-at-least-32-bytes';
const ISSUER = 'https://idp.example.test';

const now = Math.floor(Date.now() / 1000);
const alice = hs256Token(SECRET, { iss: ISSUER, aud: 'api', sub: 'alice', preferred_username: 'alice', groups: ['users'], iat: now, exp: now + 600 });

const config = (log: string, publicRoutes: string[]) => ({
  realm: 'operations',
  providers: [{ name: 'corp', type: 'jwt', issuer: ISSUER, audience: 'api', secret: SECRET }],
  policy: { bypass: ['GET /health'], public: publicRoutes },
  audit: { enabled: true, sink: { type: 'file', path: log } },
});

async function until(what: string, app: RunningApp, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within 10 s:\n${app.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends a request and closes the connection at once, before any answer. */
function hangUp(port: number, id: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end(`GET /api/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice}\r\nx-request-id: ${id}\r\n\r\n`);
      socket.destroy();
      resolve();
    });
  });
}

describe('operations', () => {
  it.concurrent.each(TARGETS.map((t) => [t.name, t] as const))('%s: health, SIGHUP reload, final status in the audit trail', async (name, target) => {
    const log = join(dir, `${name}.audit.log`);
    const file = join(dir, `${name}.config.json`);
    writeFileSync(file, JSON.stringify(config(log, [])));
    const app = await startApp(target, file);
    try {
      const send = (path: string, init: RequestInit & { id?: string; token?: string } = {}) => fetch(app.url + path, {
        ...init,
        headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.id ? { 'x-request-id': init.id } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
      });

      // Health: 200, JSON, per-provider detail, no secret or token.
      const health = await send('/health/restauth');
      const text = await health.text();
      expect(health.status, text).toBe(200);
      expect(health.headers.get('content-type')).toMatch(/^application\/json/);
      const report = JSON.parse(text) as { status: string; checks: { providers: Record<string, { keysLoaded: boolean }> ; audit: { queueDepth: number } } };
      expect(report.status).toBe('ok');
      expect(report.checks.providers['corp']?.keysLoaded).toBe(true);
      expect(typeof report.checks.audit.queueDepth).toBe('number');
      expect(text).not.toContain(SECRET);

      // The final answer is audited.
      expect((await send('/api/items', { method: 'POST', body: '{"name":"x"}', token: alice, id: `${name}-201` })).status).toBe(201);
      expect((await send('/api/items/2', { method: 'DELETE', token: alice, id: `${name}-204` })).status).toBe(204);
      expect((await send('/api/items/999', { method: 'DELETE', token: alice, id: `${name}-404` })).status).toBe(404);
      await hangUp(app.port, `${name}-hangup`);

      // SIGHUP with a changed config: anonymous GET /api/items becomes public.
      expect((await send('/api/items')).status).toBe(401);
      writeFileSync(file, JSON.stringify(config(log, ['GET /api/items'])));
      app.signal('SIGHUP');
      await until('the reload', app, async () => (await send('/api/items')).status === 200);
      expect(app.output()).toMatch(/restauth: reloaded .*\+ policy public: GET \/api\/items/);

      // An invalid file is refused, with the path of the mistake; the config in force stays.
      writeFileSync(file, JSON.stringify({ ...config(log, []), polcy: {} }));
      app.signal('SIGHUP');
      await until('the refusal', app, () => /reload of .* refused[^]*polcy/.test(app.output()));
      expect((await send('/api/items')).status).toBe(200);
      writeFileSync(file, '{ not json');
      app.signal('SIGHUP');
      await until('the second refusal', app, () => /refused[^]*is not valid JSON/.test(app.output()));
      expect((await send('/api/items')).status).toBe(200);
    } finally {
      await app.stop();
    }
    const events = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { requestId: string; status: number; gateStatus: number; latencyMs: number; gateLatencyMs: number });
    const byId = (id: string) => events.filter((e) => e.requestId === id);
    for (const [suffix, status] of [['201', 201], ['204', 204], ['404', 404]] as const) {
      expect(byId(`${name}-${suffix}`).map((e) => [e.status, e.gateStatus])).toEqual([[status, 200]]);
    }
    const hangup = byId(`${name}-hangup`);
    expect(hangup).toHaveLength(1);
    expect([200, 499]).toContain(hangup[0]?.status);
    for (const e of events) expect(e.latencyMs).toBeGreaterThanOrEqual(e.gateLatencyMs);
  }, 120_000); // five apps start side by side
});
