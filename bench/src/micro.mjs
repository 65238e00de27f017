// Micro benchmarks (tinybench) of the pieces of one request, in one process:
// `node micro.mjs` as a child with BENCH_IDP and BENCH_MICRO (JSON) in its environment,
// answering { micro: rows } over IPC. The IdP itself runs in the parent.
import { createHash, createPublicKey, generateKeyPairSync, randomUUID, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { connect } from 'node:net';
import { createMemoryRateLimitStore, createRestAuth } from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';
import { jwtVerify } from 'jose';
import { Bench } from 'tinybench';

/** Calls `fn` `n` times per tinybench iteration, so sub-microsecond work is above timer noise. */
function batch(fn, n) {
  return async () => {
    for (let i = 0; i < n; i++) await fn();
  };
}

function request(token, extra = {}) {
  return { method: 'GET', url: '/api/items', headers: token ? { authorization: `Bearer ${token}`, host: 'api.example.com', ...extra } : { host: 'api.example.com' }, remoteAddress: '127.0.0.1' };
}

/** A policy with the usual moving parts, to price policy evaluation on top of a cached token. */
function busyPolicy() {
  const rules = [];
  for (let i = 0; i < 20; i++) rules.push({ match: `POST /api/area-${i}/**`, groups: ['admins'] });
  rules.push({ match: 'GET /api/items', scopes: ['items:read'] });
  return {
    allowGroups: ['users', 'admins'],
    readOnlyGroups: ['auditors'],
    allowClients: ['restauth-test'],
    ipAllow: ['127.0.0.0/8', '10.0.0.0/8', '::1'],
    trustProxy: ['10.0.0.0/8'],
    bypass: ['GET /health'],
    public: ['GET /public/**'],
    rules,
  };
}

function redisReachable(host, port, timeoutMs = 300) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Signs a compact JWS with node:crypto (ES256 as IEEE P1363, RS256 PKCS#1). */
function signJws(header, payload, key) {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = header.alg === 'ES256' ? cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }) : cryptoSign('sha256', Buffer.from(input), key);
  return `${input}.${sig.toString('base64url')}`;
}

/**
 * DPoP beside bearer on one provider (a PEM key, tokens signed here): a bound token with a fresh
 * ES256 proof per request (made before the run: proofs are single-use), the same token's claims
 * without cnf as a bearer token, and node:crypto's verify of one proof as the floor.
 */
export function dpopSetup(count) {
  const issuer = 'https://bench.example.com';
  const signer = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const client = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = client.publicKey.export({ format: 'jwk' });
  const jkt = createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: issuer, aud: 'api', sub: 'alice', preferred_username: 'alice', groups: ['users'], iat: now, exp: now + 3600 };
  const header = { alg: 'RS256', typ: 'at+jwt' };
  const bearer = signJws(header, claims, signer.privateKey);
  const bound = signJws(header, { ...claims, cnf: { jkt } }, signer.privateKey);
  const ath = createHash('sha256').update(bound).digest('base64url');
  const htu = 'http://api.example.com/api/items';
  const proofs = [];
  for (let i = 0; i < count; i++) proofs.push(signJws({ typ: 'dpop+jwt', alg: 'ES256', jwk }, { htm: 'GET', htu, iat: now, jti: randomUUID(), ath }, client.privateKey));
  const provider = { name: 'bench', type: 'jwt', issuer, audience: 'api', publicKey: signer.publicKey.export({ format: 'pem', type: 'spki' }), algorithms: ['RS256'] };
  const auth = createRestAuth({ providers: [provider], dpop: { replayCacheSize: count + 10 } }, { plugins: [jwtPlugin()] });
  const [ph, pp, ps] = proofs[0].split('.');
  const floor = { input: Buffer.from(`${ph}.${pp}`), sig: Buffer.from(ps, 'base64url'), key: client.publicKey };
  let next = 1;
  // A new request object per call for both, as a server sees them.
  const bearerReq = () => request(bearer);
  const dpopReq = () => ({ method: 'GET', url: '/api/items', headers: { authorization: `DPoP ${bound}`, dpop: proofs[next++], host: 'api.example.com' }, remoteAddress: '127.0.0.1' });
  return { auth, bearerReq, dpopReq, floor, firstProof: { method: 'GET', url: '/api/items', headers: { authorization: `DPoP ${bound}`, dpop: proofs[0], host: 'api.example.com' }, remoteAddress: '127.0.0.1' }, left: () => count - next };
}

export async function runMicro({ idp, quick }) {
  const provider = { name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri, algorithms: ['RS256'] };
  const cached = createRestAuth({ providers: [provider] }, { plugins: [jwtPlugin()] });
  const uncached = createRestAuth({ providers: [provider] }, { plugins: [jwtPlugin({ verifiedCacheSize: 0, rejectedCacheSize: 0 })] });
  const policed = createRestAuth({ providers: [provider], policy: busyPolicy() }, { plugins: [jwtPlugin()] });
  const withTokens = createRestAuth({ providers: [provider], apiTokens: { enabled: true, store: { type: 'memory' } } }, { plugins: [jwtPlugin()] });
  const token = idp.token;

  const okReq = request(token);
  for (const auth of [cached, uncached, policed, withTokens]) {
    const d = await auth.authenticate(okReq);
    if (!d.allowed) throw new Error(`micro: the IdP token is refused: ${d.body}`);
  }
  const policedReq = request(token, { 'x-forwarded-for': '10.1.2.3' });
  if (!(await policed.authenticate(policedReq)).allowed) throw new Error('micro: the busy policy refuses alice');
  const principal = (await withTokens.authenticate(okReq)).principal;
  const apiToken = (await withTokens.tokens.create(principal, { name: 'bench', scopes: ['items:read'] })).token;
  const apiReq = request(apiToken);
  if (!(await withTokens.authenticate(apiReq)).allowed) throw new Error('micro: the API token is refused');

  // A forged token (valid header and claims, random signature): refused, then remembered.
  const [h, p] = token.split('.');
  const forged = `${h}.${p}.${Buffer.alloc(256, 7).toString('base64url')}`;
  const forgedReq = request(forged);
  if ((await cached.authenticate(forgedReq)).status !== 401) throw new Error('micro: the forged token is not refused');

  // The signature alone, with node:crypto: the floor of any RS256 verification.
  const jwks = await (await fetch(idp.jwksUri)).json();
  const jwk = jwks.keys.find((k) => k.kid === JSON.parse(Buffer.from(h, 'base64url').toString()).kid);
  const keyObject = createPublicKey({ key: jwk, format: 'jwk' });
  const signingInput = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(token.split('.')[2], 'base64url');
  if (!cryptoVerify('sha256', signingInput, keyObject, signature)) throw new Error('micro: crypto.verify refuses the token');
  const joseOptions = { issuer: idp.issuer, audience: 'api', algorithms: ['RS256'] };
  await jwtVerify(token, keyObject, joseOptions);

  const memoryStore = createMemoryRateLimitStore();
  const hit = { key: 'p:idp:alice', limit: 1e9, windowMs: 60_000, burst: 1e9 };

  let redisStore;
  let redisNote;
  if (await redisReachable('127.0.0.1', 6379)) {
    try {
      const { createRedisRateLimitStore } = await import('@restauth/redis');
      redisStore = createRedisRateLimitStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'restauth-bench:rl:' });
      await redisStore.hit(hit);
    } catch (err) {
      redisNote = `Redis rate-limit store unavailable: ${err.message}`;
      redisStore = undefined;
    }
  } else {
    redisNote = 'Redis on 127.0.0.1:6379 is not reachable: the Redis rate-limit row is skipped.';
  }

  const dpop = dpopSetup(quick ? 20_000 : 80_000);
  if (!(await dpop.auth.authenticate(dpop.firstProof)).allowed) throw new Error('micro: the DPoP request is refused');
  if (!(await dpop.auth.authenticate(dpop.bearerReq())).allowed) throw new Error('micro: the bearer request of the DPoP provider is refused');

  const N = 100;
  const bench = new Bench({ time: quick ? 150 : 800, warmup: true, warmupTime: quick ? 50 : 200, iterations: 10 });
  const rows = [];
  const add = (name, fn, n, group) => {
    bench.add(name, n > 1 ? batch(fn, n) : fn);
    rows.push({ name, n, group });
  };
  add('gate, JWT repeated (verified-token cache hit)', () => cached.authenticate(okReq), N, 'jwt');
  add('gate, JWT first seen (cache off: decode + signature + claims)', () => uncached.authenticate(okReq), 10, 'jwt');
  add('signature only: node:crypto verify RS256 (the floor)', () => cryptoVerify('sha256', signingInput, keyObject, signature), 10, 'jwt');
  add('for comparison: jose jwtVerify (WebCrypto, same key)', () => jwtVerify(token, keyObject, joseOptions), 10, 'jwt');
  add('DPoP provider, bearer token repeated (verified-token cache hit)', () => dpop.auth.authenticate(dpop.bearerReq()), N, 'dpop');
  add('DPoP provider, bound token repeated + a fresh ES256 proof', () => dpop.auth.authenticate(dpop.dpopReq()), 10, 'dpop');
  add('proof signature only: node:crypto verify ES256 (the floor)', () => cryptoVerify('sha256', dpop.floor.input, { key: dpop.floor.key, dsaEncoding: 'ieee-p1363' }, dpop.floor.sig), 10, 'dpop');
  add('gate, forged JWT replayed (rejected-token cache hit)', () => cached.authenticate(forgedReq), N, 'jwt');
  add('gate, JWT repeated + busy policy (21 rules, groups, clients, IP, proxy)', () => policed.authenticate(policedReq), N, 'policy');
  add('gate, no credentials (401 decision)', () => cached.authenticate(request(undefined)), N, 'policy');
  add('rate-limit hit, memory store', () => memoryStore.hit(hit), N, 'rate');
  if (redisStore) add('rate-limit hit, Redis store (127.0.0.1, one round trip)', () => redisStore.hit(hit), 10, 'rate');
  add('API token verify (parse + checksum + SHA-256 + constant-time compare)', () => withTokens.tokens.verify(apiToken), N, 'api');
  add('gate, API token (memory store)', () => withTokens.authenticate(apiReq), N, 'api');
  await bench.run();

  const out = [];
  for (const row of rows) {
    const task = bench.getTask(row.name);
    const r = task.result;
    const latency = r?.latency;
    if (!latency) throw new Error(`micro: ${row.name} failed: ${r?.error?.message ?? r?.state}`);
    out.push({ name: row.name, group: row.group, usPerOp: (latency.mean * 1000) / row.n, usP99: (latency.p99 * 1000) / row.n, samples: latency.samplesCount ?? r.runs ?? 0 });
  }
  if (dpop.left() < 0) throw new Error('micro: the run used more DPoP proofs than were made; raise the count');
  await dpop.auth.close();
  await redisStore?.close();
  for (const auth of [cached, uncached, policed, withTokens]) await auth.close();
  return { rows: out, notes: redisNote ? [redisNote] : [] };
}

if (process.send && process.env.BENCH_MICRO) {
  const options = JSON.parse(process.env.BENCH_MICRO);
  runMicro({ ...options, idp: JSON.parse(process.env.BENCH_IDP) }).then(
    (result) => process.send({ micro: result }, () => process.exit(0)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
