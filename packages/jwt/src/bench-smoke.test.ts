// The benchmark suite (bench/, `npm run bench`) is not part of `npm test`. This checks, in about
// a second, that its modules still load against this package and that its report renders, and
// runs its junk-token flood on a few hundred tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claims, rsaKey, sign, startJwksServer, type JwksServer } from './test-fixtures.js';

interface FloodResult { count: number; refused: number; before: { rssMb: number }; after: { rssMb: number } }
interface BenchModules {
  report: { report(result: unknown): string };
  variants: { selectVariants(only?: string): { framework: string; id: string; kind: string }[] };
  flood: { runFlood(options: { idp: { issuer: string; jwksUri: string; token: string }; count: number }): Promise<FloodResult> };
}

const load = (file: string): Promise<unknown> => import(new URL(`../../../bench/src/${file}`, import.meta.url).href);

let modules: BenchModules;
let idp: JwksServer;
let token: string;

beforeAll(async () => {
  modules = {
    report: (await load('report.mjs')) as BenchModules['report'],
    variants: (await load('variants.mjs')) as BenchModules['variants'],
    flood: (await load('flood.mjs')) as BenchModules['flood'],
  };
  await load('micro.mjs');
  const key = await rsaKey('bench');
  idp = await startJwksServer([key.jwk]);
  token = await sign(key, claims(idp.issuer));
});

afterAll(() => idp.close());

describe('bench smoke', () => {
  it('every framework has its ceiling, the empty-middleware floor, restauth and at least one peer', () => {
    const all = modules.variants.selectVariants();
    for (const fw of ['express', 'koa', 'fastify', 'nestjs']) {
      const kinds = new Set(all.filter((v) => v.framework === fw).map((v) => v.kind));
      expect([...kinds].sort(), fw).toEqual(['bare', 'floor', 'peer', 'restauth']);
    }
  });

  it('the report states each target as met or missed', () => {
    const sample = (cpu: number) => ({ reqPerSec: 1000, p99Ms: 5, cpuUsPerReq: cpu, rssMb: 60 });
    const variant = (id: string, kind: string, cpu: number) => ({ framework: 'fastify', id, label: id, kind, samples: [sample(cpu)], reqPerSec: 1000, p99Ms: 5, cpuUsPerReq: cpu, rssMb: 60 });
    const md = modules.report.report({
      settings: { mode: 'quick', rounds: 1, durationSec: 1, connections: 10 },
      machine: { cpu: 'x', memoryGb: 1, os: 'y', node: 'v20', openssl: '3', loadNow: '0', loadAfter: '0', commit: 'c', date: 'd', versions: {} },
      http: [variant('bare', 'bare', 20), variant('restauth', 'restauth', 22), variant('restauth-nocache', 'restauth', 60), variant('fastify-jwt', 'peer', 120)],
      elapsedSec: 1,
    });
    expect(md).toContain('| repeated token: restauth adds ≤ 3 µs on fastify | +2.0 µs | met |');
    expect(md).toContain('| first-seen token: restauth adds ≤ 35 µs on fastify | +40.0 µs | missed by 5.0 µs |');
  });

  it('a flood of junk tokens is refused, and the good token still passes after it', async () => {
    const result = await modules.flood.runFlood({ idp: { issuer: idp.issuer, jwksUri: idp.jwksUri, token }, count: 300 });
    expect(result.count).toBe(300);
    expect(result.refused).toBe(300);
  });
});
