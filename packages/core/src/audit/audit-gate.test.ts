import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashApiToken } from '../api-tokens/format.js';
import type { RestAuthConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import type { Principal } from '../principal.js';
import { createRestAuth } from '../rest-auth.js';
import type { Strategy } from '../strategy.js';
import { PRINCIPALS, staticStrategy } from '../test-strategy.test-helper.js';
import type { AuditEvent } from './event.js';
import { createMemoryAuditSink } from './memory-sink.js';
import { createFunctionAuditSink, type AuditSink } from './sink.js';

const base: RestAuthConfig = {
  policy: {
    public: ['GET /public/**'],
    allowGroups: ['users', 'services'],
    rules: [{ match: 'DELETE /api/items/*', groups: ['admins'] }, { match: 'POST /api/reports', groups: ['admins'], mode: 'report-only' }],
  },
};

function gate(audit: RestAuthConfig['audit'] = {}, options: { auditSink?: AuditSink; now?: () => number; strategies?: Strategy[] } = {}) {
  const sink = createMemoryAuditSink();
  const auth = createRestAuth({ ...base, audit: { enabled: true, ...audit } }, {
    strategies: options.strategies ?? [staticStrategy()],
    auditSink: options.auditSink ?? sink,
    ...(options.now ? { now: options.now } : {}),
  });
  return { auth, sink };
}
const req = (url: string, headers: Record<string, string | string[]> = {}, method = 'GET') => ({ method, url, headers, remoteAddress: '203.0.113.7' });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('audit events from the gate', () => {
  it('one event per decision with every field; the path never holds the query', async () => {
    let t = Date.UTC(2025, 0, 2, 3, 4, 5);
    const now = () => (t += 7) - 7;
    const { auth, sink } = gate({}, { now });
    await auth.authenticate(req('/api/items?access=1&api_key=s3cr3t', { ...bearer('alice'), 'x-request-id': 'req-123', 'user-agent': 'curl/8.5' }));
    await auth.authenticate(req('http://api.example/api/items/9?x=1#frag', bearer('bob'), 'DELETE'));
    await auth.authenticate(req('/api/reports', bearer('bob'), 'POST'));
    await auth.authenticate(req('/public/info?token=abc'));
    await auth.authenticate(req('/api/items'));
    await auth.close();
    expect(sink.events).toHaveLength(5);
    expect(sink.events[0]).toEqual({
      time: '2025-01-02T03:04:05.000Z', requestId: 'req-123', method: 'GET', path: '/api/items', status: 200, gateStatus: 200, decision: 'allow',
      reason: 'authenticated', username: 'alice', provider: 'static', tokenType: 'jwt', clientId: 'web', ip: '203.0.113.7', userAgent: 'curl/8.5', latencyMs: 7, gateLatencyMs: 7,
    });
    expect(sink.events.slice(1).map((e) => [e.method, e.path, e.status, e.decision, e.reason, e.username])).toEqual([
      ['DELETE', '/api/items/9', 403, 'deny', 'rule', 'bob'],
      ['POST', '/api/reports', 200, 'would-deny', 'rule', 'bob'],
      ['GET', '/public/info', 200, 'allow', 'public', null],
      ['GET', '/api/items', 401, 'deny', 'credentials', null],
    ]);
    for (const e of sink.events) expect(JSON.stringify(e)).not.toMatch(/s3cr3t|access=|token=abc|frag/);
  });

  it('keeps a sane x-request-id, replaces anything else with a random UUID', async () => {
    const { auth, sink } = gate();
    const ids = ['abc-123', '4bf92f3577b34da6a3ce929d0e0e4736', 'x'.repeat(129), 'has space', 'line\nbreak', '', '{"json":1}'];
    for (const id of ids) await auth.authenticate(req('/api/items', { 'x-request-id': id }));
    await auth.authenticate(req('/api/items', { 'x-request-id': ['a', 'b'] }));
    await auth.close();
    const got = sink.events.map((e) => e.requestId);
    expect(got.slice(0, 2)).toEqual(ids.slice(0, 2));
    for (const id of got.slice(2)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(got.slice(2)).size).toBe(got.length - 2);
  });

  it('records failed route requirements from authorize()', async () => {
    const { auth, sink } = gate();
    auth.authorize(req('/api/x'), PRINCIPALS['bob'] as Principal, { groups: ['admins'] });
    auth.authorize(req('/api/x'), PRINCIPALS['alice'] as Principal, { groups: ['admins'] });
    await auth.close();
    expect(sink.events.map((e) => [e.decision, e.reason, e.status, e.username])).toEqual([['deny', 'route', 403, 'bob']]);
  });

  it('bypassed routes and a disabled audit section write nothing', async () => {
    const sink = createMemoryAuditSink();
    const off = createRestAuth({ ...base }, { strategies: [staticStrategy()], auditSink: sink });
    await off.authenticate(req('/api/items'));
    await off.close();
    expect(off.auditStats()).toBeUndefined();
    const { auth, sink: s2 } = gate();
    const bypassing = createRestAuth({ policy: { bypass: ['GET /health'] }, audit: { enabled: true } }, { auditSink: s2 });
    await bypassing.authenticate(req('/health'));
    await bypassing.close();
    await auth.close();
    expect([...sink.events, ...s2.events]).toEqual([]);
  });
});

describe('sampling of allowed events', () => {
  afterEach(() => vi.restoreAllMocks());
  async function run(sampleAllowed: number) {
    const { auth, sink } = gate({ sampleAllowed });
    for (let i = 0; i < 10; i++) await auth.authenticate(req('/api/items', bearer('alice')));
    await auth.authenticate(req('/api/items'));
    await auth.authenticate(req('/api/items/1', bearer('bob'), 'DELETE'));
    await auth.authenticate(req('/api/reports', bearer('bob'), 'POST'));
    await auth.close();
    return sink.events.map((e) => e.decision);
  }
  it('0: only denies and would-denies', async () => expect(await run(0)).toEqual(['deny', 'deny', 'would-deny']));
  it('1: every decision', async () => expect(await run(1)).toEqual([...Array(10).fill('allow'), 'deny', 'deny', 'would-deny']));
  it('0.3: about that share of allows, every deny', async () => {
    let i = 0;
    vi.spyOn(Math, 'random').mockImplementation(() => (i++ % 10) / 10);
    expect(await run(0.3)).toEqual(['allow', 'allow', 'allow', 'deny', 'deny', 'would-deny']);
  });
});

describe('file sink through the gate', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'restauth-gate-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes no token: bearer tokens and API tokens never reach the file', async () => {
    const path = join(dir, 'audit.log');
    const bearerToken = 'eyJhbGciOiJub25lIn0.c2VjcmV0LXBheWxvYWQtOTk4ODc3.Zm9vYmFyLXNpZ25hdHVyZS0xMjM0NTY';
    const secretStrategy: Strategy = {
      name: 'secret',
      async verify(c) {
        if (c.kind !== 'basic' && c.token === bearerToken) return { ...(PRINCIPALS['alice'] as Principal), provider: 'corp' };
        return undefined;
      },
    };
    const auth = createRestAuth({ ...base, apiTokens: { enabled: true }, audit: { enabled: true, sink: { type: 'file', path } } }, { strategies: [secretStrategy] });
    const created = await auth.tokens!.create(PRINCIPALS['alice'] as Principal, { name: 'ci', scopes: ['items:read'] });
    const apiToken = created.token;
    expect((await auth.authenticate(req('/api/items', bearer(bearerToken)))).status).toBe(200);
    expect((await auth.authenticate(req('/api/items', bearer(apiToken)))).status).toBe(200);
    expect((await auth.authenticate(req('/api/items', { 'x-api-key': apiToken }))).status).toBe(200);
    expect((await auth.authenticate(req(`/api/items?access_token=${apiToken}`))).status).toBe(400);
    expect((await auth.authenticate(req(`/api/items?api_key=${bearerToken}`))).status).toBe(401);
    expect((await auth.authenticate(req('/api/items', bearer(bearerToken + 'x')))).status).toBe(401);
    expect((await auth.authenticate(req('/api/items', bearer(apiToken.slice(0, -1) + 'A')))).status).toBe(401);
    expect((await auth.authenticate(req('/api/items', { authorization: 'Basic ' + Buffer.from('alice:pa55word').toString('base64') }))).status).toBeGreaterThanOrEqual(400);
    await auth.close();

    const text = readFileSync(path, 'utf8');
    const events = text.trim().split('\n').map((l) => JSON.parse(l) as AuditEvent);
    expect(events).toHaveLength(8);
    expect(events.slice(0, 3).map((e) => [e.username, e.tokenType])).toEqual([['alice', 'jwt'], ['alice', 'api-token'], ['alice', 'api-token']]);
    const secretParts = [bearerToken, ...bearerToken.split('.'), apiToken, apiToken.slice(4), apiToken.slice(-20), hashApiToken(apiToken), 'pa55word', Buffer.from('alice:pa55word').toString('base64')];
    for (const s of secretParts.filter((p) => p.length > 8)) expect(text).not.toContain(s);
  });

  it('close() flushes the queue to the file', async () => {
    const path = join(dir, 'audit.log');
    const auth = createRestAuth({ ...base, audit: { enabled: true, sink: { type: 'file', path } } }, { strategies: [staticStrategy()] });
    for (let i = 0; i < 50; i++) await auth.authenticate(req(`/api/items/${i}`, bearer('bob'), 'DELETE'));
    await auth.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as AuditEvent).path)).toEqual(Array.from({ length: 50 }, (_, i) => `/api/items/${i}`));
    expect(auth.auditStats()).toMatchObject({ written: 50, dropped: 0, queued: 0 });
  });

  it('spill defaults to "<path>.spill" beside a file sink; other sinks must name one', () => {
    const path = join(dir, 'audit.log');
    expect(() => createRestAuth({ audit: { enabled: true, sink: { type: 'file', path }, queue: { onFull: 'spill' } } }).close()).not.toThrow();
    const err = (() => { try { createRestAuth({ audit: { enabled: true, queue: { onFull: 'spill' } } }); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]?.path).toBe('audit.queue.spillPath');
    const err2 = (() => { try { createRestAuth({ audit: { enabled: true, sink: { type: 'file', path }, queue: { onFull: 'spill' } } }, { auditSink: createMemoryAuditSink() }); } catch (e) { return e; } })();
    expect((err2 as ConfigError).issues[0]?.path).toBe('audit.queue.spillPath');
    expect(() => createRestAuth({ audit: { queue: { maxEvents: 0, onFull: 'later' as 'spill' } } })).toThrow(/audit\.queue\.maxEvents[\s\S]*audit\.queue\.onFull/);
  });
});

describe('the queue between the gate and the sink', () => {
  it('a slow sink never delays authenticate(): decisions resolve while the write is pending', async () => {
    let release!: () => void;
    const writes: AuditEvent[][] = [];
    const slow = createFunctionAuditSink((events) => {
      writes.push([...events]);
      return new Promise<void>((r) => { release = r; });
    });
    const { auth } = gate({}, { auditSink: slow });
    await auth.authenticate(req('/api/items', bearer('alice')));
    await new Promise((r) => setImmediate(r)); // the queue starts its write
    expect(writes).toHaveLength(1);
    const started = performance.now();
    for (let i = 0; i < 20; i++) expect((await auth.authenticate(req('/api/items', bearer('alice')))).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(500);
    expect(writes).toHaveLength(1); // the first write is still pending
    expect(auth.auditStats()).toMatchObject({ queued: 21, written: 0 });
    release();
    const closing = auth.close();
    await new Promise((r) => setImmediate(r));
    release();
    await closing;
    expect(writes.flat()).toHaveLength(21);
    expect(auth.auditStats()).toMatchObject({ written: 21, queued: 0 });
  });

  it('drop-oldest from the config: drops are counted in auth.auditStats()', async () => {
    let down = true;
    const got: string[] = [];
    const sink = createFunctionAuditSink((events) => {
      if (down) throw new Error('down');
      got.push(...events.map((e) => e.path));
    });
    const { auth } = gate({ queue: { maxEvents: 3 } }, { auditSink: sink });
    for (let i = 0; i < 10; i++) await auth.authenticate(req(`/api/${i}`));
    expect(auth.auditStats()).toMatchObject({ dropped: 7, queued: 3 });
    down = false;
    await auth.close();
    expect(got).toEqual(['/api/7', '/api/8', '/api/9']);
    expect(auth.auditStats()).toMatchObject({ dropped: 7, written: 3, failures: 0 });
  });

  it('the auditSink option replaces the configured sink (no plugin needed for its type)', async () => {
    const sink = createMemoryAuditSink();
    const auth = createRestAuth({ audit: { enabled: true, sink: { type: 'postgres' } } }, { auditSink: sink });
    await auth.authenticate(req('/x'));
    await auth.close();
    expect(sink.events).toHaveLength(1);
  });
});
