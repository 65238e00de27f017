// Where a server's time goes per request: `node bench/src/profile-server.mjs <framework>:<variant>,... [seconds] [rate]`.
// Each variant's server runs alone with --cpu-prof (100 µs sampling) under a fixed-rate load,
// then the functions with the most self time are printed in µs per request.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startIdp } from '@restauth/testing';
import { authHeaders, load } from './load.mjs';
import { startServer } from './servers.mjs';
import { selectVariants } from './variants.mjs';

const [only = 'fastify:restauth', seconds = '10', rate = '2000'] = process.argv.slice(2);
const pin = (pid, core) => { try { execFileSync('taskset', ['-a', '-pc', core, String(pid)], { stdio: 'ignore' }); } catch { /* not pinned */ } };
pin(process.pid, '0');
const idp = await startIdp({ accessTokenTtlSec: 3600 });
const jwt = await idp.userToken('alice');
const info = { issuer: idp.issuer, jwksUri: idp.jwksUri, token: jwt };
const out = {};
for (const variant of selectVariants(only)) {
  const dir = mkdtempSync(join(tmpdir(), 'restauth-prof-'));
  const s = startServer(variant, info, { profileDir: dir, profileIntervalUs: 100 });
  const r = await s.ready;
  pin(s.pid, '1');
  const headers = authHeaders(variant, { jwt, apiToken: r.apiToken });
  await load(r.port, headers, { connections: 10, durationSec: 2, overallRate: Number(rate) });
  await s.start();
  const res = await load(r.port, headers, { connections: 10, durationSec: Number(seconds), overallRate: Number(rate) });
  const cpu = await s.stop();
  await s.close();
  const file = join(dir, readdirSync(dir)[0]);
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // Only the samples of the measured window: the last `seconds` of the profile.
  const end = p.endTime;
  const from = end - (cpu.elapsedMs * 1000);
  const self = new Map();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    if (t < from) continue;
    const n = byId.get(p.samples[i]);
    const cf = n.callFrame;
    if (cf.functionName === '(idle)') continue;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/packages\//, '@restauth/')}:${cf.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + p.timeDeltas[i]);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  out[variant.id] = { perReq: (cpu.userUs + cpu.systemUs) / res.total, sampledPerReq: total / res.total, self: Object.fromEntries([...self].map(([k, v]) => [k, v / res.total])) };
  console.log(`\n== ${variant.framework}:${variant.id}: ${res.total} requests, ${out[variant.id].perReq.toFixed(1)} µs CPU/req (${(cpu.userUs / res.total).toFixed(1)} user), ${out[variant.id].sampledPerReq.toFixed(1)} µs/req in JS samples`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${(v / res.total).toFixed(2).padStart(7)} µs  ${k}`);
}
await idp.close();
