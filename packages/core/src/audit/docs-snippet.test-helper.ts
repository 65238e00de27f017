// The runnable example of docs/audit.md (there it imports '@restauth/core'); docs.test.ts runs it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFunctionAuditSink, createRestAuth, type AuditEvent } from '../index.js';

export async function auditTrailExample(logDir: string): Promise<{ fromFile: AuditEvent[]; forwarded: AuditEvent[] }> {
  // 1. From configuration: a rotated JSON Lines file and a spill file for sink outages.
  const auth = createRestAuth({
    policy: { public: ['GET /public/**'] },
    audit: {
      enabled: true,
      sink: { type: 'file', path: join(logDir, 'audit.log'), maxFileBytes: 10 * 1024 * 1024 },
      retention: { maxAgeDays: 30, maxEntries: 100_000 },
      sampleAllowed: 1, // 0.1 would keep one allowed request in ten; denies are always kept
      queue: { maxEvents: 10_000, onFull: 'spill' }, // spills to audit.log.spill
    },
  });
  await auth.authenticate({ method: 'GET', url: '/public/info', headers: {}, remoteAddress: '203.0.113.7' });
  await auth.authenticate({
    method: 'GET',
    url: '/api/items?api_key=not-logged', // the query never reaches the trail
    headers: { 'x-request-id': 'req-42', 'user-agent': 'curl/8.5' },
    remoteAddress: '203.0.113.7',
  });
  await auth.close(); // flushes the queue (call it on SIGTERM)
  const fromFile = readFileSync(join(logDir, 'audit.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditEvent);

  // 2. In code: any function as the sink (a SIEM client, a message queue...).
  const forwarded: AuditEvent[] = [];
  const gate = createRestAuth(
    { audit: { enabled: true, queue: { maxEvents: 1000, onFull: 'drop-oldest' } } },
    { auditSink: createFunctionAuditSink(async (events) => { forwarded.push(...events); }) },
  );
  await gate.authenticate({ method: 'DELETE', url: '/api/items/1', headers: {}, remoteAddress: '198.51.100.9' });
  await gate.close();
  const stats = gate.auditStats(); // { written: 1, dropped: 0, queued: 0, ... }
  if (stats?.dropped) console.warn(`audit: ${stats.dropped} events dropped`);
  return { fromFile, forwarded };
}
