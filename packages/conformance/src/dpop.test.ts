import { request as httpRequest } from 'node:http';
import {
  CLIENT_CERTIFICATE_PEM, OTHER_CLIENT_CERTIFICATE_PEM, createDpopClient, startIdp, type DpopClient, type TestIdp,
} from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, writeConfig, type RunningApp } from './process.js';
import { TARGETS } from './targets.js';

// Sender-constrained tokens (RFC 9449 DPoP, RFC 8705 certificate binding) in every example app,
// over real HTTP, with tokens from the real IdP (oidc-provider's DPoP feature). Every case runs in
// every framework and must answer the same status, WWW-Authenticate challenge and JSON body.
// The example apps listen on plain HTTP (no TLS of their own), so certificate binding is tested
// the way such an app gets it: through the `Client-Cert` header (RFC 9440) of a trusted proxy
// (the TLS socket path is covered in packages/express/src/proof.test.ts). The suite connects
// from 127.0.0.1 (in `trustProxy`) as the trusted proxy, and from 127.0.0.2 as an untrusted peer.
const REALM = 'dpop';
const ALGS = 'ES256 RS256 PS256 EdDSA';
const TRUSTED = '127.0.0.1';
const UNTRUSTED = '127.0.0.2';
// The second provider's issuer (its tokens are signed with the IdP's key, found in the same JWKS).
const LEGACY_ISSUER = 'https://legacy.example.com';

let idp: TestIdp;
let client: DpopClient;
let otherClient: DpopClient;
let bound: string;
let unboundLegacy: string;
let certBound: string;
const apps = new Map<string, RunningApp>();

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  [client, otherClient] = await Promise.all([createDpopClient(), createDpopClient()]);
  bound = await idp.clientToken('service-a', { dpop: client });
  certBound = await idp.certificateBoundToken('alice', CLIENT_CERTIFICATE_PEM);
  const now = Math.floor(Date.now() / 1000);
  unboundLegacy = await idp.signJwt({ iss: LEGACY_ISSUER, aud: 'legacy', sub: 'bob', preferred_username: 'bob', iat: now, exp: now + 600 });
  const config = writeConfig('dpop', {
    realm: REALM,
    providers: [
      { name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri },
      // A provider that takes no sender-constrained tokens at all (tokens are routed by issuer).
      { name: 'legacy', type: 'jwt', issuer: LEGACY_ISSUER, audience: 'legacy', jwksUri: idp.jwksUri, dpop: 'off', certificateBound: 'off' },
    ],
    policy: { bypass: ['GET /health'], trustProxy: [TRUSTED] },
  });
  await Promise.all(TARGETS.map(async (t) => { apps.set(t.name, await startApp(t, config)); }));
}, 180_000);

afterAll(async () => {
  await Promise.all([...apps.values()].map((a) => a.stop()));
  await idp?.close();
});

interface Sent {
  readonly status: number;
  readonly challenge: string | null;
  readonly body: unknown;
}

/** One request over node:http: repeated headers stay separate lines, and the peer address is chosen. */
function send(app: RunningApp, headers: Record<string, string | string[]>, opts: { method?: string; path?: string; from?: string } = {}): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: app.port, method: opts.method ?? 'GET', path: opts.path ?? '/api/me', headers, localAddress: opts.from ?? TRUSTED }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => {
        const challenge = res.headers['www-authenticate'];
        resolve({ status: res.statusCode ?? 0, challenge: challenge === undefined ? null : String(challenge), body: text === '' ? null : JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const meUrl = (app: RunningApp) => `${app.url}/api/me`;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** A proof-shaped JWS with any header and a junk signature (refused before the signature is looked at). */
const forged = (header: Record<string, unknown>, app: RunningApp) =>
  `${b64(header)}.${b64({ htm: 'GET', htu: meUrl(app), iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID() })}.c2lnbmF0dXJl`;

/** The refusal restauth answers with the DPoP challenge (RFC 9449 §7.1), Bearer too (the provider allows bearer tokens). */
const dpopRefusal = (error: string, message: string): Sent => ({
  status: 401,
  challenge: `DPoP realm="${REALM}", error="${error}", error_description="${message}", algs="${ALGS}", Bearer realm="${REALM}"`,
  body: { error, message },
});
/** A refusal with the plain Bearer challenge (RFC 6750). */
const bearerRefusal = (message: string): Sent => ({
  status: 401,
  challenge: `Bearer realm="${REALM}", error="invalid_token", error_description="${message}"`,
  body: { error: 'invalid_token', message },
});

interface Case {
  readonly name: string;
  /** The request for one app; returns what to send. */
  readonly request: (app: RunningApp) => Promise<{ headers: Record<string, string | string[]>; method?: string; path?: string; from?: string }>;
  readonly expected: Sent | 'allowed';
}

const dpopHeaders = async (app: RunningApp, proof: Parameters<DpopClient['proof']>[0] extends infer O ? Partial<O> : never = {}) =>
  ({ authorization: `DPoP ${bound}`, dpop: await client.proof({ method: 'GET', url: meUrl(app), accessToken: bound, ...proof }) });

const CASES: readonly Case[] = [
  { name: 'a DPoP-bound token from the IdP with a valid proof', request: async (app) => ({ headers: await dpopHeaders(app) }), expected: 'allowed' },
  { name: 'a bound token without a proof', request: async () => ({ headers: { authorization: `DPoP ${bound}` } }), expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof is missing') },
  {
    name: 'two DPoP headers',
    request: async (app) => ({ headers: { authorization: `DPoP ${bound}`, dpop: [(await dpopHeaders(app)).dpop, (await dpopHeaders(app)).dpop] } }),
    expected: dpopRefusal('invalid_dpop_proof', 'More than one DPoP header'),
  },
  { name: 'a proof that is not a JWT', request: async () => ({ headers: { authorization: `DPoP ${bound}`, dpop: 'not-a-jwt' } }), expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof is not a JWT') },
  { name: 'a proof over 8 KiB', request: async (app) => ({ headers: await dpopHeaders(app, { claims: { pad: 'x'.repeat(9000) } }) }), expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof is too long') },
  { name: 'typ JWT instead of dpop+jwt', request: async (app) => ({ headers: await dpopHeaders(app, { header: { typ: 'JWT' } }) }), expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof typ must be dpop+jwt') },
  { name: 'alg none', request: async (app) => ({ headers: { authorization: `DPoP ${bound}`, dpop: forged({ typ: 'dpop+jwt', alg: 'none', jwk: client.jwk }, app) } }), expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof algorithm is not allowed') },
  { name: 'alg HS256', request: async (app) => ({ headers: { authorization: `DPoP ${bound}`, dpop: forged({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: 'c2VjcmV0' } }, app) } }), expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof algorithm is not allowed') },
  {
    name: 'a jwk with private members',
    request: async (app) => ({ headers: { authorization: `DPoP ${bound}`, dpop: forged({ typ: 'dpop+jwt', alg: 'ES256', jwk: { ...client.jwk, d: 'ZG9udC1zZW5kLW1l' } }, app) } }),
    expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof jwk must be a public key'),
  },
  {
    name: 'a bad signature (another proof\'s)',
    request: async (app) => {
      const [h, p] = (await dpopHeaders(app)).dpop.split('.');
      const other = (await dpopHeaders(app)).dpop.split('.')[2];
      return { headers: { authorization: `DPoP ${bound}`, dpop: `${h}.${p}.${other}` } };
    },
    expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof signature is invalid'),
  },
  {
    name: 'htm POST on a GET, with X-HTTP-Method-Override: POST',
    request: async (app) => ({ headers: { ...(await dpopHeaders(app, { method: 'POST' })), 'x-http-method-override': 'POST' } }),
    expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof htm does not match the request method'),
  },
  { name: 'htu of another path', request: async (app) => ({ headers: await dpopHeaders(app, { url: `${app.url}/api/items` }) }), expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof htu does not match the request URI') },
  { name: 'htu of another host', request: async (app) => ({ headers: await dpopHeaders(app, { url: `http://api.example.com:${app.port}/api/me` }) }), expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof htu does not match the request URI') },
  { name: 'htu of another scheme', request: async (app) => ({ headers: await dpopHeaders(app, { url: `https://127.0.0.1:${app.port}/api/me` }) }), expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof htu does not match the request URI') },
  {
    name: 'htu of a spoofed X-Forwarded-Host from an untrusted peer',
    request: async (app) => ({ headers: { ...(await dpopHeaders(app, { url: 'http://api.example.com/api/me' })), 'x-forwarded-host': 'api.example.com' }, from: UNTRUSTED }),
    expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof htu does not match the request URI'),
  },
  {
    name: 'the same X-Forwarded-Host from the trusted proxy (the control)',
    request: async (app) => ({ headers: { ...(await dpopHeaders(app, { url: 'https://api.example.com/api/me' })), 'x-forwarded-host': 'api.example.com', 'x-forwarded-proto': 'https' } }),
    expected: 'allowed',
  },
  { name: 'iat too old', request: async (app) => ({ headers: await dpopHeaders(app, { iat: Math.floor(Date.now() / 1000) - 300 }) }), expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof is too old') },
  { name: 'iat in the future', request: async (app) => ({ headers: await dpopHeaders(app, { iat: Math.floor(Date.now() / 1000) + 300 }) }), expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof is issued in the future') },
  { name: 'ath of another token', request: async (app) => ({ headers: { authorization: `DPoP ${bound}`, dpop: await client.proof({ method: 'GET', url: meUrl(app), accessToken: unboundLegacy }) } }), expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof ath does not match the access token') },
  {
    name: 'a proof by another key than cnf.jkt names',
    request: async (app) => ({ headers: { authorization: `DPoP ${bound}`, dpop: await otherClient.proof({ method: 'GET', url: meUrl(app), accessToken: bound }) } }),
    expected: dpopRefusal('invalid_dpop_proof', 'DPoP proof key does not match the token binding'),
  },
  { name: 'a bound token sent as Bearer (downgrade)', request: async () => ({ headers: { authorization: `Bearer ${bound}` } }), expected: dpopRefusal('invalid_token', 'DPoP-bound token must be sent with the DPoP scheme and a proof') },
  {
    name: 'the DPoP scheme with a token without cnf, its provider dpop off',
    request: async (app) => ({ headers: { authorization: `DPoP ${unboundLegacy}`, dpop: await client.proof({ method: 'GET', url: meUrl(app), accessToken: unboundLegacy }) } }),
    expected: bearerRefusal('DPoP is not accepted for this token'),
  },
  // Certificate-bound tokens through the trusted proxy's Client-Cert header (RFC 9440).
  { name: 'mTLS: the right certificate from the trusted proxy', request: async () => ({ headers: { authorization: `Bearer ${certBound}`, 'client-cert': clientCert(CLIENT_CERTIFICATE_PEM) } }), expected: 'allowed' },
  {
    name: 'mTLS: the right certificate from an untrusted peer',
    request: async () => ({ headers: { authorization: `Bearer ${certBound}`, 'client-cert': clientCert(CLIENT_CERTIFICATE_PEM) }, from: UNTRUSTED }),
    expected: bearerRefusal('Certificate-bound token sent without a client certificate'),
  },
  {
    name: 'mTLS: another certificate from the trusted proxy',
    request: async () => ({ headers: { authorization: `Bearer ${certBound}`, 'client-cert': clientCert(OTHER_CLIENT_CERTIFICATE_PEM) } }),
    expected: bearerRefusal('Client certificate does not match the token binding'),
  },
  { name: 'mTLS: no certificate', request: async () => ({ headers: { authorization: `Bearer ${certBound}` } }), expected: bearerRefusal('Certificate-bound token sent without a client certificate') },
];

/** RFC 9440 `Client-Cert`: the DER as a structured-field byte sequence. */
function clientCert(pem: string): string {
  return `:${pem.replace(/-----[^-]+-----|\s/g, '')}:`;
}

describe('DPoP and certificate-bound tokens: the same answer in every framework', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const answers = new Map<string, Sent>();
    for (const [name, app] of apps) {
      const { headers, ...opts } = await c.request(app);
      answers.set(name, await send(app, headers, opts));
    }
    for (const [name, answer] of answers) {
      if (c.expected === 'allowed') {
        expect(answer.status, `${name}: ${JSON.stringify(answer.body)}`).toBe(200);
        expect(answer.challenge, name).toBeNull();
      } else {
        expect(answer, name).toEqual(c.expected);
      }
    }
    // And byte for byte the same across frameworks (for the allowed cases: the same principal).
    const [first, ...rest] = [...answers.values()];
    for (const a of rest) expect(a).toEqual(first);
  });

  it('a replayed proof is refused by the same instance', async () => {
    for (const [name, app] of apps) {
      const headers = await dpopHeaders(app);
      expect((await send(app, headers)).status, name).toBe(200);
      expect(await send(app, headers), name).toEqual(dpopRefusal('invalid_dpop_proof', 'DPoP proof has been used before'));
    }
  });
});
