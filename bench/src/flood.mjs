// A flood of distinct junk tokens through the gate, in a child run with --expose-gc:
// RSS and heap before and after, to show that what the gate remembers (verified and rejected
// tokens, parsed headers, JWKS key selections) stays capped. Four kinds of junk, in turn, every
// token unique: a well-formed RS256 JWS naming the IdP's real key, issuer and audience with a
// random signature (a full signature check, then the rejected-token cache: the worst case for
// memory); the same with a random `kid` (unknown key: a JWKS refetch at most once per cooldown);
// `alg: none` (refused by the allow-list); random bytes that are no JWS at all.
import { randomFillSync } from 'node:crypto';
import { createRestAuth } from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';

function mb(bytes) {
  return Math.round((bytes / 1048576) * 10) / 10;
}

function snapshot() {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed) };
}

export async function runFlood({ idp, count }) {
  const provider = { name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri, algorithms: ['RS256'] };
  const auth = createRestAuth({ providers: [provider] }, { plugins: [jwtPlugin()] });
  const good = { method: 'GET', url: '/api/items', headers: { authorization: `Bearer ${idp.token}` }, remoteAddress: '127.0.0.1' };
  if (!(await auth.authenticate(good)).allowed) throw new Error('flood: the IdP token is refused');

  const [h, p] = idp.token.split('.');
  const kid = JSON.parse(Buffer.from(h, 'base64url').toString()).kid;
  const none = Buffer.from(JSON.stringify({ alg: 'none', kid })).toString('base64url');
  // Unique without paying for randomness on every token: random bytes once, then the counter.
  const sig = randomFillSync(Buffer.alloc(256));
  const junk = randomFillSync(Buffer.alloc(48));
  const unique = (buf, i) => {
    buf.writeUInt32BE(i >>> 0, 0);
    return buf.toString('base64url');
  };
  const request = { method: 'GET', url: '/api/items', headers: { authorization: '' }, remoteAddress: '127.0.0.1' };
  const junkToken = (i) => {
    switch (i % 4) {
      case 0: return `${h}.${p}.${unique(sig, i)}`;
      case 1: return `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: `k${i}` })).toString('base64url')}.${p}.${unique(sig, i)}`;
      case 2: return `${none}.${p}.${unique(junk, i)}`;
      default: return unique(junk, i);
    }
  };

  // Warm the paths once so the "before" figure is not the JIT's.
  for (let i = 0; i < 2000; i++) {
    request.headers.authorization = `Bearer ${junkToken(0x80000000 + i)}`;
    await auth.authenticate(request);
  }
  const before = snapshot();
  const steps = [];
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let refused = 0;
  const every = Math.max(1, Math.floor(count / 5));
  for (let i = 1; i <= count; i++) {
    request.headers.authorization = `Bearer ${junkToken(i)}`;
    const d = await auth.authenticate(request);
    if (d.status === 401) refused++;
    if (i % every === 0) steps.push({ tokens: i, rssMb: mb(process.memoryUsage().rss) });
  }
  const cpu = process.cpuUsage(cpu0);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = snapshot();
  if (!(await auth.authenticate(good)).allowed) throw new Error('flood: the good token is refused after the flood');
  await auth.close();
  return { count, refused, seconds, cpuUsPerToken: (cpu.user + cpu.system) / count, before, after, steps };
}

if (process.send && process.env.BENCH_FLOOD) {
  const options = JSON.parse(process.env.BENCH_FLOOD);
  runFlood({ ...options, idp: JSON.parse(process.env.BENCH_IDP) }).then(
    (result) => process.send({ flood: result }, () => process.exit(0)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
