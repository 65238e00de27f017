import { createHmac, generateKeyPairSync } from 'node:crypto';
import { accessTokenHash, createDpopClient, type DpopClient } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestAuthConfig } from '../config/types.js';
import type { Principal } from '../principal.js';
import type { RestAuthPlugin } from '../plugin.js';
import type { ReplayStore } from '../replay-store.js';
import { createRestAuth, type RestAuth } from '../rest-auth.js';
import { createMemoryReplayStore } from '../replay-store.js';

const URL_BASE = 'http://api.test';
let client: DpopClient;
let other: DpopClient;
const principals = new Map<string, Principal>();

/** A `jwt` provider type whose tokens are names: their claims are set by the test. */
const plugin: RestAuthPlugin = {
  name: 'test-jwt',
  providers: {
    jwt: (providers) => ({
      name: 'jwt',
      async verify(c) {
        if (c.kind !== 'bearer') return undefined;
        const p = principals.get(c.token);
        return p && providers.some((x) => x.name === p.provider) ? p : undefined;
      },
    }),
  },
};

function principal(token: string, provider: string, cnf?: Record<string, unknown>): void {
  principals.set(token, { subject: token, username: token, groups: [], scopes: [], provider, tokenType: 'jwt', claims: { sub: token, ...(cnf ? { cnf } : {}) } });
}

const config = (extra: Partial<RestAuthConfig> = {}): RestAuthConfig => ({
  realm: 'api',
  providers: [
    { name: 'corp', type: 'jwt', issuer: 'https://corp', audience: 'api', discovery: true },
    { name: 'strict', type: 'jwt', issuer: 'https://strict', audience: 'api', discovery: true, dpop: 'required' },
    { name: 'legacy', type: 'jwt', issuer: 'https://legacy', audience: 'api', discovery: true, dpop: 'off', certificateBound: 'off' },
  ],
  ...extra,
});

let auth: RestAuth;
const open: RestAuth[] = [];
function gate(extra: Partial<RestAuthConfig> = {}, replayStore?: ReplayStore): RestAuth {
  const plugins = [plugin, ...(replayStore ? [{ name: 'shared', replayStores: { memory: () => replayStore } }] : [])];
  const a = createRestAuth(config(extra), { plugins });
  open.push(a);
  return a;
}

beforeAll(async () => {
  client = await createDpopClient();
  other = await createDpopClient();
  principal('bound', 'corp', { jkt: client.thumbprint });
  principal('plain', 'corp');
  principal('strictplain', 'strict');
  principal('legacyplain', 'legacy');
  principal('legacybound', 'legacy', { jkt: client.thumbprint });
  principal('weird', 'corp', { jkt: 42 });
  auth = gate();
});
afterAll(async () => {
  for (const a of open) await a.close();
});

interface Call {
  method?: string;
  path?: string;
  token?: string;
  scheme?: string;
  proof?: string | string[] | undefined;
  headers?: Record<string, string>;
  remoteAddress?: string;
}
function call(a: RestAuth, c: Call) {
  const headers: Record<string, string | string[]> = { host: 'api.test', ...c.headers };
  if (c.token !== undefined) headers['authorization'] = `${c.scheme ?? 'DPoP'} ${c.token}`;
  if (c.proof !== undefined) headers['dpop'] = c.proof;
  return a.authenticate({ method: c.method ?? 'GET', url: c.path ?? '/api/items?page=2', headers, remoteAddress: c.remoteAddress ?? '203.0.113.9' });
}
const proofFor = (o: Partial<Parameters<DpopClient['proof']>[0]> = {}, by = client) =>
  by.proof({ method: 'GET', url: `${URL_BASE}/api/items`, accessToken: 'bound', ...o });

function forge(header: Record<string, unknown>, claims: Record<string, unknown>, signature = 'c2ln'): string {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b(header)}.${b(claims)}.${signature}`;
}
const goodClaims = () => ({ htm: 'GET', htu: `${URL_BASE}/api/items`, iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), ath: accessTokenHash('bound') });

async function refused(c: Call, error: string, a = auth) {
  const d = await call(a, c);
  expect(d.status, d.body).toBe(error === 'invalid_request' ? 400 : 401);
  expect(JSON.parse(d.body as string).error).toBe(error);
  return d;
}

describe('DPoP (RFC 9449)', () => {
  it('accepts a bound token with a valid proof, and says so on the principal', async () => {
    const d = await call(auth, { token: 'bound', proof: await proofFor() });
    expect(d.status, d.body).toBe(200);
    expect(d.principal).toMatchObject({ username: 'bound', binding: 'dpop', thumbprint: client.thumbprint });
  });

  it('checks every algorithm of the default allow-list', async () => {
    for (const alg of ['RS256', 'PS256', 'EdDSA'] as const) {
      const c = await createDpopClient({ alg });
      principal(`bound-${alg}`, 'corp', { jkt: c.thumbprint });
      const d = await call(auth, { token: `bound-${alg}`, proof: await proofFor({ accessToken: `bound-${alg}` }, c) });
      expect(d.status, `${alg}: ${d.body}`).toBe(200);
    }
  }, 30_000); // RSA key generation is slow on a busy machine

  it('still accepts plain bearer tokens where DPoP is allowed, without a binding', async () => {
    const d = await call(auth, { token: 'plain', scheme: 'Bearer' });
    expect(d.status).toBe(200);
    expect(d.principal?.binding).toBeUndefined();
  });

  it('no proof with a bound token: invalid_dpop_proof, with the DPoP and Bearer challenges', async () => {
    const d = await refused({ token: 'bound' }, 'invalid_dpop_proof');
    expect(d.headers['www-authenticate']).toBe('DPoP realm="api", error="invalid_dpop_proof", error_description="DPoP proof is missing", algs="ES256 RS256 PS256 EdDSA", Bearer realm="api"');
    expect(d.reason).toBe('proof');
  });

  it('two DPoP headers', async () => {
    const p = await proofFor();
    await refused({ token: 'bound', proof: [p, await proofFor()] }, 'invalid_dpop_proof');
    const d = await auth.authenticate({ method: 'GET', url: '/api/items', headers: { host: 'api.test', authorization: 'DPoP bound', dpop: p }, rawHeaders: ['DPoP', p, 'dpop', p], remoteAddress: '203.0.113.9' });
    expect(JSON.parse(d.body as string).message).toBe('More than one DPoP header');
  });

  it('a proof that is not a JWT, or over 8 KiB', async () => {
    await refused({ token: 'bound', proof: 'not-a-jwt' }, 'invalid_dpop_proof');
    await refused({ token: 'bound', proof: await proofFor({ claims: { pad: 'x'.repeat(9000) } }) }, 'invalid_dpop_proof');
  });

  it('typ, alg none / HS256 / not allowed, a private jwk, a bad signature', async () => {
    await refused({ token: 'bound', proof: await proofFor({ header: { typ: 'JWT' } }) }, 'invalid_dpop_proof');
    await refused({ token: 'bound', proof: forge({ typ: 'dpop+jwt', alg: 'none', jwk: client.jwk }, goodClaims(), '') }, 'invalid_dpop_proof');
    const hsHeader = { typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: 'c2VjcmV0' } };
    const unsigned = forge(hsHeader, goodClaims()).split('.').slice(0, 2).join('.');
    const hs = `${unsigned}.${createHmac('sha256', 'secret').update(unsigned).digest('base64url')}`;
    await refused({ token: 'bound', proof: hs }, 'invalid_dpop_proof');
    const es384 = await createDpopClient({ alg: 'ES256' });
    const strictAlgs = gate({ dpop: { algorithms: ['EdDSA'] } });
    await refused({ token: 'bound', proof: await proofFor({}, es384) }, 'invalid_dpop_proof', strictAlgs);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateJwk = privateKey.export({ format: 'jwk' });
    await refused({ token: 'bound', proof: await proofFor({ header: { jwk: privateJwk } }) }, 'invalid_dpop_proof');
    const good = await proofFor();
    const flipped = good.slice(0, -3) + (good.endsWith('AAA') ? 'BBB' : 'AAA');
    await refused({ token: 'bound', proof: flipped }, 'invalid_dpop_proof');
  });

  it('htm of another method; a method-override header does not help', async () => {
    await refused({ token: 'bound', proof: await proofFor({ method: 'POST' }) }, 'invalid_dpop_proof');
    await refused({ token: 'bound', proof: await proofFor({ method: 'DELETE' }), headers: { 'x-http-method-override': 'DELETE' } }, 'invalid_dpop_proof');
  });

  it('htu of another path, host or scheme; a spoofed X-Forwarded-Host from an untrusted peer does not help', async () => {
    await refused({ token: 'bound', proof: await proofFor({ url: `${URL_BASE}/api/other` }) }, 'invalid_dpop_proof');
    await refused({ token: 'bound', proof: await proofFor({ url: 'http://evil.test/api/items' }) }, 'invalid_dpop_proof');
    await refused({ token: 'bound', proof: await proofFor({ url: 'https://api.test/api/items' }) }, 'invalid_dpop_proof');
    const proof = await proofFor({ url: 'https://evil.test/api/items' });
    await refused({ token: 'bound', proof, headers: { 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'https' } }, 'invalid_dpop_proof');
  });

  it('htu normalised as RFC 3986 says: case of scheme and host, default port, query ignored', async () => {
    const d = await call(auth, { token: 'bound', proof: await proofFor({ url: 'HTTP://API.test:80/api/items?x=1#f' }) });
    expect(d.status, d.body).toBe(200);
  });

  it('scheme and host from a trusted proxy, or from publicUrl', async () => {
    const behind = gate({ policy: { trustProxy: ['10.0.0.0/8'] } });
    const url = 'https://api.example.com/api/items';
    const headers = { 'x-forwarded-host': 'api.example.com', 'x-forwarded-proto': 'https' };
    expect((await call(behind, { token: 'bound', proof: await proofFor({ url }), headers, remoteAddress: '10.1.2.3' })).status).toBe(200);
    await refused({ token: 'bound', proof: await proofFor({ url }), headers, remoteAddress: '203.0.113.9' }, 'invalid_dpop_proof', behind);
    const pinned = gate({ dpop: { publicUrl: 'https://api.example.com/' } });
    expect((await call(pinned, { token: 'bound', proof: await proofFor({ url }) })).status).toBe(200);
  });

  it('iat too old or in the future', async () => {
    const t = Math.floor(Date.now() / 1000);
    await refused({ token: 'bound', proof: await proofFor({ iat: t - 120 }) }, 'invalid_dpop_proof');
    await refused({ token: 'bound', proof: await proofFor({ iat: t + 60 }) }, 'invalid_dpop_proof');
    expect((await call(auth, { token: 'bound', proof: await proofFor({ iat: t - 50 }) })).status).toBe(200);
  });

  it('a replayed jti, on the same instance and on a second one sharing the replay store', async () => {
    const proof = await proofFor();
    expect((await call(auth, { token: 'bound', proof })).status).toBe(200);
    const d = await refused({ token: 'bound', proof }, 'invalid_dpop_proof');
    expect(JSON.parse(d.body as string).message).toBe('DPoP proof has been used before');
    const shared = createMemoryReplayStore();
    const [one, two] = [gate({}, shared), gate({}, shared)];
    const p2 = await proofFor();
    expect((await call(one, { token: 'bound', proof: p2 })).status).toBe(200);
    await refused({ token: 'bound', proof: p2 }, 'invalid_dpop_proof', two);
  });

  it('a refused proof does not use up its jti', async () => {
    const jti = crypto.randomUUID();
    await refused({ token: 'bound', proof: await proofFor({ jti, claims: { ath: accessTokenHash('other') } }) }, 'invalid_dpop_proof');
    expect((await call(auth, { token: 'bound', proof: await proofFor({ jti }) })).status).toBe(200);
  });

  it('ath of another token; a thumbprint that does not match cnf.jkt', async () => {
    await refused({ token: 'bound', proof: await proofFor({ accessToken: 'plain' }) }, 'invalid_dpop_proof');
    await refused({ token: 'bound', proof: await proofFor({}, other) }, 'invalid_dpop_proof');
  });

  it('a bound token sent as Bearer (downgrade)', async () => {
    const d = await refused({ token: 'bound', scheme: 'Bearer', proof: await proofFor() }, 'invalid_token');
    expect(d.headers['www-authenticate']).toMatch(/^DPoP realm="api", error="invalid_token"/);
  });

  it('the DPoP scheme with an unbound token, and with a provider where DPoP is off', async () => {
    await refused({ token: 'plain', proof: await proofFor({ accessToken: 'plain' }) }, 'invalid_token');
    await refused({ token: 'legacyplain', proof: await proofFor({ accessToken: 'legacyplain' }) }, 'invalid_token');
    await refused({ token: 'legacybound', scheme: 'Bearer' }, 'invalid_token');
    await refused({ token: 'weird', scheme: 'Bearer' }, 'invalid_token');
  });

  it('dpop "required" refuses plain bearer tokens, with the DPoP challenge only', async () => {
    const d = await refused({ token: 'strictplain', scheme: 'Bearer' }, 'invalid_token');
    expect(d.headers['www-authenticate']).not.toMatch(/Bearer/);
  });

  it('malformed DPoP authorization is a 400', async () => {
    await refused({ token: '', proof: await proofFor() }, 'invalid_request');
    await refused({ token: 'a b"c', proof: await proofFor() }, 'invalid_request');
  });

  it('the replay store down: deny (503) or allow, as onStoreError says', async () => {
    const down: ReplayStore = { claim: () => Promise.reject(new Error('ECONNREFUSED')) };
    const d = await call(gate({}, down), { token: 'bound', proof: await proofFor() });
    expect(d.status).toBe(503);
    const lenient = gate({ dpop: { onStoreError: 'allow' } }, down);
    expect((await call(lenient, { token: 'bound', proof: await proofFor() })).status).toBe(200);
  });

  it('server nonces: use_dpop_nonce with a DPoP-Nonce, accepted by another instance with the same secret', async () => {
    const dpop = { nonce: true, nonceSecret: 'n'.repeat(32) };
    const [one, two] = [gate({ dpop }), gate({ dpop })];
    const d = await refused({ token: 'bound', proof: await proofFor() }, 'use_dpop_nonce', one);
    const nonce = d.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[a-z0-9]+\.[A-Za-z0-9_-]{43}$/);
    expect(d.headers['www-authenticate']).toMatch(/^DPoP realm="api", error="use_dpop_nonce"/);
    expect((await call(two, { token: 'bound', proof: await proofFor({ nonce }) })).status).toBe(200);
    await refused({ token: 'bound', proof: await proofFor({ nonce: nonce.replace(/\.(.)/, (_, c: string) => `.${c === 'A' ? 'B' : 'A'}`) }) }, 'use_dpop_nonce', one);
    // The last of 43 base64url characters also carries 2 padding bits: another spelling of the same MAC is refused too.
    const last = nonce.at(-1) as string;
    const alias = nonce.slice(0, -1) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charAt(('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(last) ^ 1));
    await refused({ token: 'bound', proof: await proofFor({ nonce: alias }) }, 'use_dpop_nonce', one);
    const stranger = gate({ dpop: { nonce: true } });
    await refused({ token: 'bound', proof: await proofFor({ nonce }) }, 'use_dpop_nonce', stranger);
  });

  it('server nonces: an allowed response carries the next nonce once the one used is from the previous period', async () => {
    let t = Date.now();
    const dpop = { nonce: true, nonceSecret: 'n'.repeat(32), nonceLifetimeSec: 60 };
    const timed = createRestAuth(config({ dpop, rateLimit: { enabled: true, limit: 100, windowSec: 60 } }), { plugins: [plugin], now: () => t });
    open.push(timed);
    const nonce = (await call(timed, { token: 'bound', proof: await proofFor() })).headers['dpop-nonce'] as string;
    const fresh = await call(timed, { token: 'bound', proof: await proofFor({ nonce }) });
    expect(fresh.status).toBe(200);
    expect(fresh.headers['dpop-nonce']).toBeUndefined();
    t += 30_000; // one period (half the lifetime) later: the nonce is still accepted, for one more period
    const aging = await call(timed, { token: 'bound', proof: await proofFor({ nonce }) });
    expect(aging.status).toBe(200);
    const next = aging.headers['dpop-nonce'] as string;
    expect(next).toMatch(/^[a-z0-9]+\.[A-Za-z0-9_-]{43}$/);
    expect(next).not.toBe(nonce);
    expect(aging.headers['ratelimit-remaining']).toBe('98');
    t += 30_000;
    await refused({ token: 'bound', proof: await proofFor({ nonce }) }, 'use_dpop_nonce', timed);
    expect((await call(timed, { token: 'bound', proof: await proofFor({ nonce: next }) })).status).toBe(200);
  });
});
