import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, claims, clock, gate, lateJwksServer, provider, rsaKey, sign, signRs256ByHand, startJwksServer, type JwksServer, type TestKey } from './test-fixtures.js';

let key: TestKey;
let key2: TestKey;
const servers: JwksServer[] = [];

beforeAll(async () => {
  key = await rsaKey('k1');
  key2 = await rsaKey('k2');
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(keys = [key.jwk]): Promise<JwksServer> {
  const s = await startJwksServer(keys);
  servers.push(s);
  return s;
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('fetching', () => {
  it('is lazy: nothing is fetched before the first token', async () => {
    const idp = await server();
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri })]);
    expect(idp.jwksFetches).toBe(0);
    expect((await call(auth, await sign(key, claims(idp.issuer)))).status).toBe(200);
    expect(idp.jwksFetches).toBe(1);
  });

  it('coalesces concurrent first fetches into one', async () => {
    const idp = await server();
    idp.mode = { slowMs: 50 };
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri })]);
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => sign(key, claims(idp.issuer, { jti: `t${i}` }))));
    const decisions = await Promise.all(tokens.map((t) => call(auth, t)));
    expect(decisions.map((d) => d.status)).toEqual(tokens.map(() => 200));
    expect(idp.jwksFetches).toBe(1);
  });

  it('uses options.fetch when given', async () => {
    const idp = await server();
    const seen: string[] = [];
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri })], {
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      },
    });
    expect((await call(auth, await sign(key, claims(idp.issuer)))).status).toBe(200);
    expect(seen).toEqual([idp.jwksUri]);
  });

  it('a token whose iss names no provider causes no fetch at all', async () => {
    const idp = await server();
    const auth = gate([
      provider({ name: 'a', issuer: idp.issuer, jwksUri: idp.jwksUri }),
      provider({ name: 'b', issuer: `${idp.issuer}/other`, discovery: true }),
    ]);
    for (const iss of [`${idp.issuer}/`, `${idp.issuer}/evil`, idp.jwksUri, 'http://169.254.169.254/latest']) {
      const d = await call(auth, await sign(key, claims(iss)));
      expect(d.status).toBe(401);
      expect(d.json).toEqual({ error: 'invalid_token', message: 'Token issuer is not accepted' });
    }
    expect(idp.jwksFetches + idp.discoveryFetches + idp.otherFetches).toBe(0);
  });
});

describe('when keys cannot be had', () => {
  it('JWKS down with nothing cached → 503 with Retry-After; retried after 0.5, 1, 2, then every 4 s, never more often', async () => {
    const idp = await server();
    idp.mode = 'down';
    const c = clock();
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, jwksCooldownSec: 30 })], { now: c.now });
    const token = await sign(key, claims(idp.issuer));
    const d = await call(auth, token);
    expect(d.status).toBe(503);
    expect(d.json).toEqual({ error: 'temporarily_unavailable', message: "The token issuer's signing keys are unavailable; try again later" });
    expect(d.headers['retry-after']).toBe('1');
    expect(idp.jwksFetches).toBe(1);

    let fetches = 1;
    for (const waitMs of [500, 1000, 2000, 4000, 4000, 4000]) {
      c.advance(waitMs - 1);
      for (let i = 0; i < 5; i++) expect((await call(auth, token)).status).toBe(503);
      expect(idp.jwksFetches).toBe(fetches); // no fetch before the wait is over, however many requests
      c.advance(1);
      const r = await call(auth, token);
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe(String(Math.ceil(Math.min(waitMs * 2, 4000) / 1000)));
      expect(idp.jwksFetches).toBe(++fetches);
    }

    idp.mode = 'ok';
    c.advance(4000);
    expect((await call(auth, token)).status).toBe(200);
    expect(idp.jwksFetches).toBe(fetches + 1);
  });

  it('real timings: a JWKS down at start (connection refused) is retried within 1 s and used within 5 s of coming back, one fetch at a time', async () => {
    const late = await lateJwksServer([key.jwk]);
    const attempts: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const counting: typeof fetch = async (input, init) => {
      attempts.push(Date.now());
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    try {
      const auth = gate([provider({ issuer: late.issuer, jwksUri: late.jwksUri })], { fetch: counting });
      const token = await sign(key, claims(late.issuer));
      expect((await call(auth, token)).status).toBe(503);
      const started = Date.now();
      // Requests keep coming, 20 at a time, while the IdP is away for 0.7 s.
      let upAt = 0;
      let okAt = 0;
      while (!okAt) {
        if (!upAt && Date.now() - started >= 700) {
          await late.up();
          upAt = Date.now();
        }
        const batch = await Promise.all(Array.from({ length: 20 }, () => call(auth, token)));
        expect(batch.every((b) => b.status === 200 || b.status === 503)).toBe(true);
        if (batch.some((b) => b.status === 200)) okAt = Date.now();
        else if (Date.now() - started > 10_000) throw new Error('never recovered');
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(okAt - upAt).toBeLessThanOrEqual(5000);
      expect(attempts[1]! - attempts[0]!).toBeLessThanOrEqual(1000); // the first retry
      expect(maxInFlight).toBe(1);
      expect(attempts.length).toBeLessThanOrEqual(5); // 0, 0.5, 1.5, 3.5 s (+ the one that worked): no flood
    } finally {
      await late.close();
    }
  });

  it('JWKS slow (past timeoutMs) → 503 after the timeout, not after the IdP', async () => {
    const idp = await server();
    idp.mode = { slowMs: 3000 };
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, timeoutMs: 200 })]);
    const started = Date.now();
    const d = await call(auth, await sign(key, claims(idp.issuer)));
    expect(d.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('JWKS junk (200, not JSON) → 503', async () => {
    const idp = await server();
    idp.mode = 'junk';
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri })]);
    const d = await call(auth, await sign(key, claims(idp.issuer)));
    expect(d.status).toBe(503);
    expect(d.json?.error).toBe('temporarily_unavailable');
  });

  it('a JWKS of only unusable keys → 503', async () => {
    const weak = await rsaKey('weak', 1024);
    const idp = await server([
      weak.jwk,
      { ...key.jwk, use: 'enc' },
      { ...key.jwk, key_ops: ['encrypt'] },
      { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'oct' },
      { kty: 'XYZ', kid: 'odd' },
      { ...key.jwk, alg: 'ES256' },
      'not a key' as never,
    ]);
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri })]);
    expect((await call(auth, await sign(key, claims(idp.issuer)))).status).toBe(503);
  });

  it('unusable keys are skipped, usable ones kept', async () => {
    const weak = await rsaKey('weak', 1024);
    const idp = await server([weak.jwk, { ...key2.jwk, use: 'enc' }, key.jwk]);
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri })]);
    expect((await call(auth, await sign(key, claims(idp.issuer)))).status).toBe(200);
    const w = await call(auth, signRs256ByHand(weak, { alg: 'RS256', kid: weak.kid }, claims(idp.issuer)));
    expect(w.json?.message).toBe('Token signing key is unknown');
    const e = await call(auth, await sign(key2, claims(idp.issuer)));
    expect(e.json?.message).toBe('Token signing key is unknown');
  });
});

describe('unknown kid', () => {
  it('a flood of 50 distinct unknown kids → at most one extra fetch within the cooldown', async () => {
    const idp = await server();
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, jwksCooldownSec: 30 })]);
    expect((await call(auth, await sign(key, claims(idp.issuer)))).status).toBe(200);
    expect(idp.jwksFetches).toBe(1);
    const forged = await Promise.all(Array.from({ length: 50 }, (_, i) => sign(key2, claims(idp.issuer), { kid: `unknown-${i}` })));
    const first = await Promise.all(forged.slice(0, 25).map((t) => call(auth, t)));
    for (const t of forged.slice(25)) first.push(await call(auth, t));
    for (const d of first) expect(d.json?.message).toBe('Token signing key is unknown');
    expect(idp.jwksFetches).toBeLessThanOrEqual(2);
  });

  it('the first token of a rotated key is refetched for (after the cooldown) and accepted', async () => {
    const idp = await server();
    const c = clock();
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, jwksCooldownSec: 30 })], { now: c.now });
    expect((await call(auth, await sign(key, claims(idp.issuer)))).status).toBe(200);

    idp.keys = [key.jwk, key2.jwk];
    c.advance(31_000);
    const d = await call(auth, await sign(key2, claims(idp.issuer)));
    expect(d.status).toBe(200);
    expect(idp.jwksFetches).toBe(2);
  });

  it('within the cooldown of the last fetch, an unknown kid does not refetch', async () => {
    const idp = await server();
    const c = clock();
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, jwksCooldownSec: 30 })], { now: c.now });
    expect((await call(auth, await sign(key, claims(idp.issuer)))).status).toBe(200);
    idp.keys = [key.jwk, key2.jwk];
    c.advance(10_000);
    expect((await call(auth, await sign(key2, claims(idp.issuer)))).json?.message).toBe('Token signing key is unknown');
    expect(idp.jwksFetches).toBe(1);
    c.advance(20_000);
    expect((await call(auth, await sign(key2, claims(idp.issuer, { jti: 'again' })))).status).toBe(200);
    expect(idp.jwksFetches).toBe(2);
  });
});

describe('refresh after jwksCacheTtlSec', () => {
  it.each(['down', 'junk', { slowMs: 1500 }] as const)('keeps the keys when the refresh fails (%o)', async (mode) => {
    const idp = await server();
    const c = clock();
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, jwksCacheTtlSec: 60, timeoutMs: 200 })], { now: c.now });
    const token = await sign(key, claims(idp.issuer), {});
    expect((await call(auth, token)).status).toBe(200);

    idp.mode = mode;
    c.advance(61_000);
    const other = await sign(key, claims(idp.issuer, { jti: 'x' }));
    expect((await call(auth, other)).status).toBe(200);
    await until(() => idp.jwksFetches === 2);
    await new Promise((r) => setTimeout(r, typeof mode === 'object' ? 300 : 20));
    expect((await call(auth, await sign(key, claims(idp.issuer, { jti: 'y' })))).status).toBe(200);
  });

  it('picks up a new key set, and a key removed from it stops verifying', async () => {
    const idp = await server();
    const c = clock();
    const auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, jwksCacheTtlSec: 60, jwksCooldownSec: 30 })], { now: c.now, verifiedCacheSize: 0 });
    const old = await sign(key, claims(idp.issuer));
    expect((await call(auth, old)).status).toBe(200);

    idp.keys = [key2.jwk];
    c.advance(61_000);
    await call(auth, old); // served from the cached set while the refresh runs
    await until(() => idp.jwksFetches === 2);
    await new Promise((r) => setTimeout(r, 20));
    expect((await call(auth, old)).json?.message).toBe('Token signing key is unknown');
    expect((await call(auth, await sign(key2, claims(idp.issuer)))).status).toBe(200);
    expect(idp.jwksFetches).toBe(2);
  });
});
