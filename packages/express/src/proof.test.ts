import { createServer as createHttpsServer, request as httpsRequest, type Server as HttpsServer } from 'node:https';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  CLIENT_CERTIFICATE_PEM, CLIENT_PRIVATE_KEY_PEM, OTHER_CLIENT_CERTIFICATE_PEM, OTHER_CLIENT_PRIVATE_KEY_PEM,
  createDpopClient, startIdp, type DpopClient, type TestIdp,
} from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restauth } from './index.js';

// Sender-constrained tokens end to end: tokens from the real IdP, proofs and certificates over
// real HTTP(S), through the Express adapter (the conformance suite holds the other adapters to it).
let idp: TestIdp;
let client: DpopClient;
let http: Server;
let https: HttpsServer;
let base: string;
let tlsPort: number;

function app(): express.Express {
  const a = express();
  a.use(restauth({
    providers: [{ name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', discovery: true }],
    policy: { trustProxy: [] },
  }));
  a.get('/api/me', (req, res) => { res.json({ binding: req.auth?.binding ?? null, thumbprint: req.auth?.thumbprint ?? null }); });
  return a;
}

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  client = await createDpopClient();
  http = await new Promise<Server>((resolve) => { const s = app().listen(0, '127.0.0.1', () => resolve(s)); });
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  // Node terminates TLS and asks for a client certificate; any certificate is taken (RFC 8705 §3: self-signed binding).
  https = createHttpsServer({ key: CLIENT_PRIVATE_KEY_PEM, cert: CLIENT_CERTIFICATE_PEM, requestCert: true, rejectUnauthorized: false }, app());
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  tlsPort = (https.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => http.close(r));
  await new Promise((r) => https.close(r));
  await idp.close();
});

function tls(path: string, token: string, cert?: { cert: string; key: string }, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: tlsPort, path, rejectUnauthorized: false, ...cert, headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('DPoP with a token from oidc-provider', () => {
  it('binds the token to the key (cnf.jkt) and accepts it with a proof', async () => {
    const token = await idp.clientToken('service-a', { dpop: client });
    const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
    expect(payload.cnf).toEqual({ jkt: client.thumbprint });
    const url = `${base}/api/me`;
    const res = await fetch(url, { headers: await client.headers(token, { method: 'GET', url }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ binding: 'dpop', thumbprint: client.thumbprint });
    const bearer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get('www-authenticate')).toMatch(/^DPoP realm="api", error="invalid_token"/);
  });
});

describe('certificate-bound tokens (RFC 8705) on a TLS socket', () => {
  it('accepts the token with its own certificate, on the principal as mtls', async () => {
    const token = await idp.certificateBoundToken('alice', CLIENT_CERTIFICATE_PEM);
    const res = await tls('/api/me', token, { cert: CLIENT_CERTIFICATE_PEM, key: CLIENT_PRIVATE_KEY_PEM });
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body).binding).toBe('mtls');
  });

  it('refuses it without a certificate, with another one, or with a Client-Cert header from an untrusted peer', async () => {
    const token = await idp.certificateBoundToken('alice', CLIENT_CERTIFICATE_PEM);
    const none = await tls('/api/me', token);
    expect([none.status, JSON.parse(none.body).error]).toEqual([401, 'invalid_token']);
    const other = await tls('/api/me', token, { cert: OTHER_CLIENT_CERTIFICATE_PEM, key: OTHER_CLIENT_PRIVATE_KEY_PEM });
    expect([other.status, JSON.parse(other.body).message]).toEqual([401, 'Client certificate does not match the token binding']);
    const der = CLIENT_CERTIFICATE_PEM.replace(/-----[^-]+-----|\s/g, '');
    const spoofed = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}`, 'client-cert': `:${der}:` } });
    expect(spoofed.status).toBe(401);
  });
});
