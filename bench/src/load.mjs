import { request } from 'node:http';
import autocannon from 'autocannon';

function get(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The Authorization header a variant is loaded with. The server without auth gets the same JWT
 * header (and ignores it), so every variant receives the same bytes and the difference is what
 * checking them costs, not what reading a 1 KB header costs.
 */
export function authHeaders(variant, tokens) {
  return { authorization: `Bearer ${variant.credential === 'api-token' ? tokens.apiToken : tokens.jwt}` };
}

/**
 * Checks that a server really authenticates before it is measured: the loaded request is a
 * 200 with the JSON items, the caller is seen as alice, and no token or a tampered one is a 401.
 * A variant that would pass requests through unchecked must not show up as "fast".
 */
export async function preflight(port, variant, tokens) {
  const headers = authHeaders(variant, tokens);
  const ok = await get(port, '/api/items', headers);
  if (ok.status !== 200 || !ok.body.startsWith('[')) throw new Error(`${variant.framework}:${variant.id}: GET /api/items answered ${ok.status} ${ok.body.slice(0, 200)}`);
  if (variant.kind === 'bare' || variant.kind === 'floor') return;
  const me = await get(port, '/api/me', headers);
  if (me.status !== 200 || JSON.parse(me.body).user !== 'alice') throw new Error(`${variant.framework}:${variant.id}: GET /api/me answered ${me.status} ${me.body.slice(0, 200)}`);
  const none = await get(port, '/api/items');
  if (none.status !== 401) throw new Error(`${variant.framework}:${variant.id}: no token answered ${none.status}`);
  const t = tokens.jwt;
  const tampered = `${t.slice(0, -6)}${t.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;
  const bad = await get(port, '/api/items', { authorization: `Bearer ${tampered}` });
  if (bad.status !== 401) throw new Error(`${variant.framework}:${variant.id}: tampered token answered ${bad.status}`);
}

/**
 * One autocannon run against GET /api/items: `durationSec` or `amount` (requests), as fast as
 * the server answers or at `overallRate` requests per second.
 */
export async function load(port, headers, { connections, durationSec, amount, overallRate }) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/api/items`,
    connections,
    pipelining: 1,
    headers,
    ...(amount ? { amount } : { duration: durationSec }),
    ...(overallRate ? { overallRate } : {}),
  });
  return {
    // From the count and the real duration: autocannon's per-second average needs whole seconds.
    reqPerSec: result.duration > 0 ? result.requests.total / result.duration : result.requests.average,
    total: result.requests.total,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
