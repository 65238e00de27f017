// Shared by the *.test.ts files of this package only (not exported, not built).
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRestAuth, type Decision, type JwtProviderConfig, type RestAuth } from '@restauth/core';
import { CompactSign, exportJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { jwtPlugin } from './jwt-plugin.js';
import type { JwtPluginOptions } from './options.js';

export const AUDIENCE = 'api';

/** A signing key pair with its public JWK (kid set). */
export interface TestKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicPem: string;
  readonly jwk: JWK;
}

export async function rsaKey(kid: string, bits = 2048): Promise<TestKey> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return withJwk(kid, privateKey, publicKey, 'RS256');
}

export async function ecKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return withJwk(kid, privateKey, publicKey, 'ES256');
}

async function withJwk(kid: string, privateKey: KeyObject, publicKey: KeyObject, alg: string): Promise<TestKey> {
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), jwk };
}

export const nowSec = (): number => Math.floor(Date.now() / 1000);

/** Standard claims for `issuer`, valid for an hour. */
export function claims(issuer: string, extra: JWTPayload = {}): JWTPayload {
  return { iss: issuer, aud: AUDIENCE, sub: 'u-alice', preferred_username: 'alice', groups: ['staff'], scope: 'items:read items:write', iat: nowSec(), exp: nowSec() + 3600, ...extra };
}

/** Signs claims with jose's SignJWT; header defaults to `{ alg, kid }` of the key. */
export async function sign(key: TestKey | KeyObject | Uint8Array, payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const k = isTestKey(key) ? key.privateKey : key;
  const base = isTestKey(key) ? { alg: key.jwk.alg as string, kid: key.kid } : { alg: 'HS256' };
  return new SignJWT(payload).setProtectedHeader({ ...base, ...header } as { alg: string }).sign(k);
}

/** Signs arbitrary payload bytes (not necessarily a JSON object) as a compact JWS. */
export async function signRaw(key: TestKey, payload: string, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: key.jwk.alg as string, kid: key.kid, ...header } as { alg: string })
    .sign(key.privateKey);
}

function isTestKey(k: unknown): k is TestKey {
  return typeof k === 'object' && k !== null && 'jwk' in k;
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An unsigned token with any header: `alg: none`, tampered copies... */
export function unsigned(header: Record<string, unknown>, payload: unknown, signature = ''): string {
  return `${b64(header)}.${b64(payload)}.${signature}`;
}

export type JwksMode = 'ok' | 'down' | 'junk' | { slowMs: number };

/** A tiny IdP: JWKS at /jwks and a discovery document, with failure modes and counters. */
export interface JwksServer {
  readonly issuer: string;
  readonly jwksUri: string;
  keys: JWK[];
  mode: JwksMode;
  /** Requests that reached /jwks. */
  readonly jwksFetches: number;
  readonly discoveryFetches: number;
  /** Requests to any other path. */
  readonly otherFetches: number;
  /** Overrides the discovery document's issuer (to test a mismatch). */
  discoveryIssuer: string | undefined;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[] = []): Promise<JwksServer> {
  let jwksFetches = 0;
  let discoveryFetches = 0;
  let otherFetches = 0;
  const pending = new Set<NodeJS.Timeout>();
  const state = { keys, mode: 'ok' as JwksMode, discoveryIssuer: undefined as string | undefined };
  let issuer = '';
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    };
    if (req.url === '/.well-known/openid-configuration') {
      discoveryFetches++;
      return send(200, JSON.stringify({ issuer: state.discoveryIssuer ?? issuer, jwks_uri: `${issuer}/jwks` }));
    }
    if (req.url !== '/jwks') {
      otherFetches++;
      return send(404, '{}');
    }
    jwksFetches++;
    const mode = state.mode;
    if (mode === 'down') return send(500, '{"error":"down"}');
    if (mode === 'junk') return send(200, '<html>not json');
    const body = JSON.stringify({ keys: state.keys });
    if (typeof mode === 'object') {
      const t = setTimeout(() => {
        pending.delete(t);
        if (!res.destroyed) send(200, body);
      }, mode.slowMs);
      pending.add(t);
      return;
    }
    return send(200, body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    get keys() { return state.keys; },
    set keys(k) { state.keys = k; },
    get mode() { return state.mode; },
    set mode(m) { state.mode = m; },
    get discoveryIssuer() { return state.discoveryIssuer; },
    set discoveryIssuer(i) { state.discoveryIssuer = i; },
    get jwksFetches() { return jwksFetches; },
    get discoveryFetches() { return discoveryFetches; },
    get otherFetches() { return otherFetches; },
    async close() {
      for (const t of pending) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A provider entry with test defaults (audience `api`). */
export function provider(fields: Partial<JwtProviderConfig> & { issuer: string }): JwtProviderConfig {
  return { name: 'corp', type: 'jwt', audience: AUDIENCE, ...fields };
}

/** A gate with only the given JWT providers (no rate limit, no audit). */
/** A JWKS endpoint whose port refuses connections until `up()`: an IdP that is down when the app starts. */
export interface LateJwksServer {
  readonly issuer: string;
  readonly jwksUri: string;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function lateJwksServer(keys: JWK[]): Promise<LateJwksServer> {
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  // Reserve a free port, then leave it closed.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const issuer = `http://127.0.0.1:${port}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    up: () => new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    }),
    async close() {
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function gate(providers: JwtProviderConfig[], options: JwtPluginOptions = {}): RestAuth {
  return createRestAuth({ providers }, { plugins: [jwtPlugin(options)] });
}

/** The gate's decision for a bearer token, with the JSON body parsed. */
export async function call(auth: RestAuth, token: string): Promise<Decision & { json: { error?: string; message?: string } | undefined }> {
  const d = await auth.authenticate({ method: 'GET', url: '/api/items', headers: { authorization: `Bearer ${token}` }, remoteAddress: '127.0.0.1' });
  return { ...d, json: d.body === undefined ? undefined : (JSON.parse(d.body) as { error?: string; message?: string }) };
}

/** A clock tests can move. */
export function clock(start = Date.now()): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const seq = (...parts: Buffer[]): Buffer => der(0x30, Buffer.concat(parts));

/** A self-signed X.509 v3 certificate (PEM) for an RSA test key, built without openssl. */
export function selfSignedCertificate(key: TestKey): string {
  const sha256WithRsa = seq(Buffer.from('06092a864886f70d01010b', 'hex'), Buffer.from('0500', 'hex'));
  const name = seq(der(0x31, seq(Buffer.from('0603550403', 'hex'), der(0x0c, Buffer.from('restauth test')))));
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, Buffer.from([0x01, 0x23])),
    sha256WithRsa,
    name,
    seq(der(0x17, Buffer.from('200101000000Z')), der(0x17, Buffer.from('491231235959Z'))),
    name,
    key.publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = cryptoSign('sha256', tbs, key.privateKey);
  const cert = seq(tbs, sha256WithRsa, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const body = cert.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${body}${body.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

/** Signs any header and payload with RS256 by hand (jose refuses to sign some of the forgeries we test). */
export function signRs256ByHand(key: TestKey, header: Record<string, unknown>, payload: unknown): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}
