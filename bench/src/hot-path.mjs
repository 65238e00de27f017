// Profiles the gate's hot path: `node bench/src/hot-path.mjs [repeated|first-seen|api-token|policy] [--cpu-prof] [--prometheus]`.
// The IdP runs in a child process (oidc-provider turns on async hooks, which would distort the
// profile); this process only calls auth.authenticate() in a loop, as an adapter would, and
// prints µs per call. With --cpu-prof it also writes a .cpuprofile to bench/results/profiles and
// prints the functions with the most self time. With --prometheus the gate has a prometheusObserver
// (its own prom-client registry), to compare with no observer.
import { fork } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const mode = process.argv[2] ?? 'repeated';
const profile = process.argv.includes('--cpu-prof');
const prometheus = process.argv.includes('--prometheus');

if (process.env.HOT_PATH_IDP === '1') {
  // The IdP child.
  const { startIdp } = await import('@restauth/testing');
  const idp = await startIdp({ accessTokenTtlSec: 3600 });
  process.send({ issuer: idp.issuer, jwksUri: idp.jwksUri, token: await idp.userToken('alice') });
  process.on('disconnect', () => idp.close().then(() => process.exit(0)));
} else if (process.env.HOT_PATH_RUN === '1') {
  // The measured child.
  const { createRestAuth } = await import('@restauth/core');
  const { jwtPlugin } = await import('@restauth/jwt');
  const idp = JSON.parse(process.env.BENCH_IDP);
  const provider = { name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri, algorithms: ['RS256'] };
  const config = { providers: [provider] };
  if (mode === 'api-token') config.apiTokens = { enabled: true, store: { type: 'memory' } };
  if (mode === 'policy') {
    config.policy = {
      allowGroups: ['users'], ipAllow: ['127.0.0.0/8', '::1'], bypass: ['GET /health'], public: ['GET /public/**'],
      rules: Array.from({ length: 20 }, (_, i) => ({ match: `POST /api/area-${i}/**`, groups: ['admins'] })),
    };
  }
  let registry;
  const observers = [];
  if (prometheus) {
    const { Registry } = await import('prom-client');
    const { prometheusObserver } = await import('@restauth/prometheus');
    registry = new Registry();
    observers.push(prometheusObserver({ registry }));
  }
  const auth = createRestAuth(config, { plugins: [jwtPlugin(mode === 'first-seen' ? { verifiedCacheSize: 0 } : {})], observers });
  // The headers autocannon sends, as Node's parser hands them over.
  const headers = { host: '127.0.0.1:3000', 'user-agent': 'autocannon', authorization: `Bearer ${idp.token}` };
  const request = { method: 'GET', url: '/api/items', headers, remoteAddress: '::ffff:127.0.0.1' };
  const first = await auth.authenticate(request);
  if (!first.allowed) throw new Error(`the token is refused: ${first.body}`);
  if (mode === 'api-token') {
    headers.authorization = `Bearer ${(await auth.tokens.create(first.principal, { name: 'hot-path' })).token}`;
  }
  const n = mode === 'first-seen' ? 20_000 : 300_000;
  const results = [];
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      // A fresh header string per call, as every HTTP request brings.
      headers.authorization = `${headers.authorization} `.trimEnd();
      await auth.authenticate(request);
    }
    results.push(Number(process.hrtime.bigint() - t0) / n / 1000);
  }
  // The observer really counted every call (the warm-up call included).
  const counted = registry ? (await registry.getSingleMetric('restauth_decisions_total').get()).values.reduce((sum, v) => sum + v.value, 0) : undefined;
  await auth.close();
  process.send({ usPerCall: results, counted });
} else {
  const idpChild = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, HOT_PATH_IDP: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const idp = await new Promise((resolve) => idpChild.once('message', resolve));
  const profileDir = join(HERE, '..', 'results', 'profiles');
  if (profile) mkdirSync(profileDir, { recursive: true });
  const name = `hot-path-${mode}-${Date.now()}.cpuprofile`;
  const run = fork(fileURLToPath(import.meta.url), [mode, ...(prometheus ? ['--prometheus'] : [])], {
    env: { ...process.env, HOT_PATH_RUN: '1', NODE_ENV: 'production', BENCH_IDP: JSON.stringify(idp) },
    execArgv: profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}`] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { usPerCall, counted } = await new Promise((resolve) => run.once('message', resolve));
  await new Promise((resolve) => run.once('exit', resolve));
  idpChild.disconnect();
  const sorted = [...usPerCall].sort((a, b) => a - b);
  const observed = counted === undefined ? '' : ` + prometheus (${counted} decisions counted)`;
  console.log(`${mode}${observed}: ${sorted[2].toFixed(2)} µs per authenticate() (median of 5 rounds; all: ${usPerCall.map((u) => u.toFixed(2)).join(', ')})`);
  if (profile) {
    const file = join(profileDir, readdirSync(profileDir).find((f) => f === name));
    const p = JSON.parse(readFileSync(file, 'utf8'));
    const time = new Map();
    for (let i = 0; i < p.samples.length; i++) time.set(p.samples[i], (time.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
    const self = new Map();
    let total = 0;
    for (const node of p.nodes) {
      const t = time.get(node.id) ?? 0;
      total += t;
      const cf = node.callFrame;
      const where = cf.url ? `${cf.url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${cf.lineNumber + 1}` : '';
      const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
      self.set(key, (self.get(key) ?? 0) + t);
    }
    console.log(`profile: ${file}\nself time:`);
    for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${((100 * t) / total).toFixed(1).padStart(6)}%  ${key}`);
  }
}
