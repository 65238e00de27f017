// DPoP against its floor, alone and repeatable: `node src/dpop-micro.mjs [runs]` (pin it with
// `taskset -c <cpu>`). Each run measures, interleaved in one process, the bearer request of a
// DPoP-enabled provider, the same token bound (cnf.jkt) with a fresh ES256 proof, and
// node:crypto's own verify of one proof (the floor); it prints every run and the medians of
// DPoP − bearer − floor, the overhead RFC 9449 checks add beyond the signature.
import { verify as cryptoVerify } from 'node:crypto';
import { Bench } from 'tinybench';
import { dpopSetup } from './micro.mjs';

const runs = Number(process.argv[2] ?? 7);
const N = 10;
const batch = (fn) => async () => {
  for (let i = 0; i < N; i++) await fn();
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Proofs are single-use and expire after 60 s: about 10 000 per run, signed just before it.
const dpop = dpopSetup(runs * 12_000);
if (!(await dpop.auth.authenticate(dpop.firstProof)).allowed) throw new Error('dpop-micro: the DPoP request is refused');
if (!(await dpop.auth.authenticate(dpop.bearerReq())).allowed) throw new Error('dpop-micro: the bearer request is refused');
const rows = { bearer: [], dpop: [], floor: [], overhead: [] };
let refused = 0;
const allowed = async (request) => {
  if (!(await dpop.auth.authenticate(request)).allowed) refused++;
};
for (let r = 0; r < runs; r++) {
  const bench = new Bench({ time: 300, warmup: true, warmupTime: 100 });
  // The order rotates from run to run, so a slow phase of a shared machine hits each row in turn.
  const tasks = [
    ['bearer', batch(() => allowed(dpop.bearerReq()))],
    ['dpop', batch(() => allowed(dpop.dpopReq()))],
    ['floor', batch(() => cryptoVerify('sha256', dpop.floor.input, { key: dpop.floor.key, dsaEncoding: 'ieee-p1363' }, dpop.floor.sig))],
  ];
  for (let i = 0; i < tasks.length; i++) bench.add(...tasks[(i + r) % tasks.length]);
  await bench.run();
  const us = (name) => (bench.getTask(name).result.latency.p50 * 1000) / N;
  for (const k of ['bearer', 'dpop', 'floor']) rows[k].push(us(k));
  rows.overhead.push(us('dpop') - us('bearer') - us('floor'));
  console.log(`run ${r + 1}: bearer ${us('bearer').toFixed(2)} µs, DPoP ${us('dpop').toFixed(2)} µs, floor ${us('floor').toFixed(2)} µs, overhead ${(us('dpop') - us('bearer') - us('floor')).toFixed(2)} µs`);
  if (dpop.left() < 0) throw new Error('dpop-micro: out of proofs');
  if (refused > 0) throw new Error(`dpop-micro: ${refused} requests refused (proofs too old on a slow machine?)`);
}
const fmt = (xs) => `${median(xs).toFixed(2)} µs (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`;
console.log(`median of ${runs} runs: bearer ${fmt(rows.bearer)}; DPoP ${fmt(rows.dpop)}; floor ${fmt(rows.floor)}; DPoP − bearer − floor ${fmt(rows.overhead)}`);
await dpop.auth.close();
