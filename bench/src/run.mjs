// restauth benchmark suite: `npm run bench` (full, ~12 min) or `npm run bench -- --quick` (< 3 min).
// Options: --quick, --only=<framework>[:<variant>],..., --rounds=N, --duration=S, --connections=N,
// --pairs=N, --rate=R (the fixed request rate of the paired measurements), --no-pin,
// --skip-http, --skip-micro, --skip-flood, --flood=N, --profile (write .cpuprofile files of every
// server to bench/results/profiles), --no-build, --out=<file.md>.
import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH = join(HERE, '..');
const ROOT = join(BENCH, '..');

function parseArgs(argv) {
  const args = {};
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}`);
    args[m[1]] = m[2] ?? true;
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const quick = args.quick === true;
const settings = {
  mode: quick ? 'quick' : 'full',
  rounds: Number(args.rounds ?? (quick ? 1 : 4)),
  // Adjacent variant / no-auth measurements at one fixed rate, for the "adds" figures.
  pairs: Number(args.pairs ?? (quick ? 2 : 6)),
  pairDurationSec: Number(args['pair-duration'] ?? (quick ? 1 : 2)),
  rate: Number(args.rate ?? 1000),
  durationSec: Number(args.duration ?? (quick ? 1 : 2)),
  // The first round warms every server up (JIT). Quick mode has none: autocannon needs a whole
  // second for any run, even a short one.
  firstWarmup: quick ? undefined : { durationSec: 2 },
  connections: Number(args.connections ?? 10),
  floodCount: Number(args.flood ?? (quick ? 20_000 : 1_000_000)),
};
const outFile = args.out ? resolve(process.env.INIT_CWD ?? process.cwd(), args.out) : join(BENCH, 'results', quick ? 'quick.md' : 'latest.md');

// The servers run on one core and this process (the load generator) on the other, so that load
// generation does not steal the measured server's CPU. `taskset` is util-linux; without it, or
// with --no-pin or on a one-core machine, nothing is pinned and the report says so.
const CORES = { load: '0', server: '1' };
function pin(pid, core) {
  try {
    execFileSync('taskset', ['-a', '-pc', core, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
settings.pinned = args['no-pin'] !== true && (await import('node:os')).cpus().length >= 2 && pin(process.pid, CORES.load);

const T0 = Date.now();
const log = (...m) => console.error(`[bench ${((Date.now() - T0) / 1000).toFixed(1).padStart(5)}s]`, ...m);

// 1. The @restauth packages are used from their built dist (a fresh clone has none yet).
function build() {
  const needed = ['core', 'jwt', 'express', 'koa', 'fastify', 'nestjs', 'testing'].map((p) => join(ROOT, 'packages', p, 'dist', 'index.js'));
  if (args['no-build'] !== true) {
    log('building the @restauth packages (turbo, cached)...');
    try {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'turbo'), ['run', 'build', '--filter=@restauth/bench^...', '--output-logs=errors-only'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      log('build failed; going on with whatever dist folders exist');
    }
  }
  const missing = needed.filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`missing builds: ${missing.map((f) => relative(ROOT, f)).join(', ')} (run npm run build)`);
}

function child(script, env, execArgv = []) {
  return new Promise((resolve, reject) => {
    const c = fork(join(HERE, script), [], { env: { ...process.env, NODE_ENV: 'production', ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result;
    c.on('message', (m) => { result = m; });
    c.on('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`${script} exited with ${code}`))));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

async function runHttp(idpInfo, tokens) {
  const { selectVariants } = await import('./variants.mjs');
  const { startServer } = await import('./servers.mjs');
  const { authHeaders, load, preflight } = await import('./load.mjs');
  // Quick mode is a smoke test that must stay under a minute: it leaves out the empty-middleware
  // floor unless --only names it.
  const variants = selectVariants(typeof args.only === 'string' ? args.only : undefined)
    .filter((v) => !quick || v.kind !== 'floor' || typeof args.only === 'string');
  const profileDir = args.profile ? join(BENCH, 'results', 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  log(`starting ${variants.length} servers...`);
  const t0 = Date.now();
  const servers = [];
  // A few at a time: Nest and friends take a moment to boot on two cores.
  for (let i = 0; i < variants.length; i += 4) {
    const batch = variants.slice(i, i + 4).map((v) => startServer(v, idpInfo, { profileDir }));
    servers.push(...batch);
    await Promise.all(batch.map((s) => s.ready));
  }
  try {
    for (const s of servers) {
      const r = await s.ready;
      if (settings.pinned && !pin(s.pid, CORES.server)) throw new Error(`cannot pin ${s.variant.framework}:${s.variant.id} to core ${CORES.server}`);
      s.port = r.port;
      s.tokens = { jwt: tokens.jwt, apiToken: r.apiToken };
      s.headers = authHeaders(s.variant, s.tokens);
      await preflight(s.port, s.variant, s.tokens);
      s.samples = [];
      s.pairs = [];
    }
    log(`${servers.length} servers up in ${((Date.now() - t0) / 1000).toFixed(1)} s, all answer as expected; ${settings.rounds} round(s) of ${settings.durationSec} s per variant`);
    const measure = async (s, options) => {
      await s.start();
      const res = await load(s.port, s.headers, { connections: settings.connections, ...options });
      const cpu = await s.stop();
      if (res.non2xx || res.errors) throw new Error(`${s.variant.framework}:${s.variant.id}: ${res.non2xx} non-2xx answers and ${res.errors} errors under load`);
      return { ...res, cpuUsPerReq: (cpu.userUs + cpu.systemUs) / res.total, userUsPerReq: cpu.userUs / res.total, systemUsPerReq: cpu.systemUs / res.total, rssMb: cpu.rss / 1048576 };
    };
    const frameworks = [...new Set(servers.map((s) => s.variant.framework))];
    for (let round = 0; round < settings.rounds; round++) {
      for (const fw of frameworks) {
        const group = servers.filter((s) => s.variant.framework === fw);
        // Interleaved: every variant once per round, the order rotated from round to round.
        const order = group.map((_, i) => group[(i + round) % group.length]);
        for (const s of order) {
          if (round === 0 && settings.firstWarmup) await load(s.port, s.headers, { connections: settings.connections, ...settings.firstWarmup });
          // Saturation: the req/s and p99 a server reaches when it is the bottleneck.
          const sat = await measure(s, { durationSec: settings.durationSec });
          s.samples.push({ reqPerSec: sat.reqPerSec, p99Ms: sat.p99Ms, cpuUsPerReq: sat.cpuUsPerReq, rssMb: sat.rssMb });
          log(`round ${round + 1} ${fw.padEnd(7)} ${s.variant.id.padEnd(26)} ${String(Math.round(sat.reqPerSec)).padStart(6)} req/s  p99 ${String(sat.p99Ms).padStart(3)} ms  ${sat.cpuUsPerReq.toFixed(1).padStart(6)} µs CPU/req`);
        }
      }
    }
    // What a variant adds is a few µs: below what saturation runs can resolve, and a saturated
    // server's CPU per request also moves with its throughput (a slower server wakes an idle
    // client for every answer, and the kernel bills the wake-up to the server). So each restauth
    // variant and the bare server are measured in adjacent pairs at the same fixed request rate,
    // the order alternating (ABAB), and the median of the paired differences is taken.
    for (const fw of frameworks) {
      const bare = servers.find((s) => s.variant.framework === fw && s.variant.kind === 'bare');
      if (!bare || !settings.pairs) continue;
      const ours = servers.filter((s) => s.variant.framework === fw && s.variant.kind === 'restauth');
      const fixed = { durationSec: settings.pairDurationSec, overallRate: settings.rate };
      for (let i = 0; i < settings.pairs; i++) {
        for (const v of ours) {
          const bareFirst = i % 2 === 0;
          const a = await measure(bareFirst ? bare : v, fixed);
          const b = await measure(bareFirst ? v : bare, fixed);
          const [cb, co] = bareFirst ? [a, b] : [b, a];
          v.pairs.push({
            bareCpuUsPerReq: cb.cpuUsPerReq, cpuUsPerReq: co.cpuUsPerReq, addedUs: co.cpuUsPerReq - cb.cpuUsPerReq,
            addedUserUs: co.userUsPerReq - cb.userUsPerReq, addedSystemUs: co.systemUsPerReq - cb.systemUsPerReq, reqPerSec: co.reqPerSec,
          });
        }
      }
      for (const v of ours) {
        const added = v.pairs.map((p) => p.addedUs);
        log(`pairs   ${fw.padEnd(7)} ${v.variant.id.padEnd(20)} adds ${median(added).toFixed(1)} µs CPU/req at ${settings.rate} req/s (${added.map((x) => x.toFixed(1)).join(', ')})`);
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
  return servers.map((s) => ({
    framework: s.variant.framework,
    id: s.variant.id,
    label: s.variant.label,
    kind: s.variant.kind,
    samples: s.samples,
    pairs: s.pairs,
    reqPerSec: median(s.samples.map((x) => x.reqPerSec)),
    p99Ms: median(s.samples.map((x) => x.p99Ms)),
    cpuUsPerReq: median(s.samples.map((x) => x.cpuUsPerReq)),
    rssMb: median(s.samples.map((x) => x.rssMb)),
  }));
}

async function main() {
  const started = Date.now();
  build();
  const { machineInfo } = await import('./machine.mjs');
  const { report } = await import('./report.mjs');
  const { startIdp } = await import('@restauth/testing');
  const machineBefore = machineInfo(ROOT);

  const idp = await startIdp({ accessTokenTtlSec: 3600 });
  let http;
  let micro;
  let flood;
  try {
    const jwt = await idp.userToken('alice');
    const idpInfo = { issuer: idp.issuer, jwksUri: idp.jwksUri, token: jwt };
    const env = { BENCH_IDP: JSON.stringify(idpInfo) };
    if (args['skip-http'] !== true) http = await runHttp(idpInfo, { jwt });
    if (args['skip-micro'] !== true) {
      log('micro benchmarks...');
      micro = (await child('micro.mjs', { ...env, BENCH_MICRO: JSON.stringify({ quick }) })).micro;
    }
    if (args['skip-flood'] !== true) {
      log(`flood of ${settings.floodCount.toLocaleString('en-US')} junk tokens...`);
      flood = (await child('flood.mjs', { ...env, BENCH_FLOOD: JSON.stringify({ count: settings.floodCount }) }, ['--expose-gc', '--max-old-space-size=512'])).flood;
    }
  } finally {
    await idp.close();
  }
  const result = { settings, machine: { ...machineBefore, loadAfter: machineInfo(ROOT).loadNow }, http, micro, flood, elapsedSec: (Date.now() - started) / 1000 };
  const md = report(result);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, md);
  writeFileSync(outFile.replace(/\.md$/, '.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(md);
  log(`written ${relative(process.cwd(), outFile)} in ${Math.round(result.elapsedSec)} s`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
