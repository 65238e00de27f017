import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createRestAuth } from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';
import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTelemetryObserver } from './opentelemetry-observer.js';

/** A reader collected on demand. */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

let idp: TestIdp;
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  idp = await startIdp();
});
afterAll(async () => {
  contextManager.disable();
  context.disable();
  await idp.close();
});

function setup() {
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
  const reader = new TestReader();
  const meter = new MeterProvider({ readers: [reader] }).getMeter('test');
  const auth = createRestAuth(
    {
      providers: [{ name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', discovery: true }],
      policy: { allowGroups: ['admins'] },
      audit: { enabled: true, sink: { type: 'memory' } },
    },
    { plugins: [jwtPlugin()], observers: [openTelemetryObserver({ tracer, meter })] },
  );
  const metrics = async (): Promise<Map<string, MetricData>> => {
    const { resourceMetrics } = await reader.collect();
    return new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
  };
  return { exporter, auth, metrics };
}

const bearer = (token: string) => ({ method: 'GET', url: '/api/items', headers: { authorization: `Bearer ${token}` }, remoteAddress: '127.0.0.1' });

describe('openTelemetryObserver', () => {
  it('makes a span per decision, with provider fetches as its children', async () => {
    const { exporter, auth } = setup();
    expect((await auth.authenticate(bearer(await idp.userToken('alice')))).allowed).toBe(true);
    expect((await auth.authenticate(bearer(await idp.userToken('bob')))).status).toBe(403);
    const spans = exporter.getFinishedSpans();
    const decisions = spans.filter((s) => s.name === 'restauth.decision');
    const fetches = spans.filter((s) => s.name === 'restauth.provider_fetch');
    expect(decisions.map((s) => s.attributes)).toEqual([
      { 'restauth.decision': 'allow', 'restauth.reason': 'authenticated', 'restauth.provider': 'idp', 'restauth.token_type': 'jwt', 'http.response.status_code': 200 },
      { 'restauth.decision': 'deny', 'restauth.reason': 'allowGroups', 'restauth.provider': 'idp', 'restauth.token_type': 'jwt', 'http.response.status_code': 403 },
    ]);
    expect(fetches.map((s) => [s.attributes['restauth.fetch.kind'], s.attributes['restauth.outcome']])).toEqual([
      ['discovery', 'ok'],
      ['jwks', 'ok'],
    ]);
    const first = decisions[0]!.spanContext();
    for (const f of fetches) {
      expect(f.spanContext().traceId).toBe(first.traceId);
      expect(f.parentSpanContext?.spanId).toBe(first.spanId);
    }
    await auth.close();
  });

  it('records the same metrics through a Meter, with bounded attributes', async () => {
    const { auth, metrics } = setup();
    const token = await idp.userToken('alice');
    await auth.authenticate(bearer(token));
    await auth.authenticate(bearer(token));
    await auth.authenticate({ method: 'GET', url: '/api/items/1', headers: {}, remoteAddress: '10.0.0.1' });
    const m = await metrics();
    const points = (name: string) => (m.get(name)?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value }));
    expect(points('restauth.decisions')).toEqual(
      expect.arrayContaining([
        { attributes: { 'restauth.decision': 'allow', 'restauth.reason': 'authenticated', 'restauth.provider': 'idp', 'restauth.token_type': 'jwt' }, value: 2 },
        { attributes: { 'restauth.decision': 'deny', 'restauth.reason': 'credentials', 'restauth.provider': 'none', 'restauth.token_type': 'none' }, value: 1 },
      ]),
    );
    expect(points('restauth.provider.requests')).toContainEqual({ attributes: { 'restauth.provider': 'idp', 'restauth.fetch.kind': 'jwks', 'restauth.outcome': 'ok' }, value: 1 });
    expect(points('restauth.token_cache')).toEqual(
      expect.arrayContaining([
        { attributes: { 'restauth.cache': 'jwt', 'restauth.result': 'miss' }, value: 1 },
        { attributes: { 'restauth.cache': 'jwt', 'restauth.result': 'hit' }, value: 1 },
      ]),
    );
    expect(m.get('restauth.decision.duration')?.dataPoints[0]?.value).toMatchObject({ count: 3 });
    expect(points('restauth.audit.dropped')).toEqual([{ attributes: {}, value: 0 }]);
    expect(points('restauth.audit.queue.events')).toHaveLength(1);
    await auth.close();
  });
});
