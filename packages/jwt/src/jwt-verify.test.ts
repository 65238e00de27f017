import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRestAuth, type RestAuth } from '@restauth/core';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtPlugin } from './jwt-plugin.js';
import { call, claims, gate, nowSec, provider, rsaKey, selfSignedCertificate, sign, signRaw, signRs256ByHand, startJwksServer, unsigned, type JwksServer, type TestKey } from './test-fixtures.js';

let idp: JwksServer;
let key: TestKey;
let attacker: TestKey;
let auth: RestAuth;
let attackerServer: Server;
let attackerUrl: string;
let attackerHits = 0;

beforeAll(async () => {
  key = await rsaKey('good-1');
  attacker = await rsaKey('evil-1');
  idp = await startJwksServer([key.jwk]);
  auth = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, jwksCooldownSec: 0 })]);
  attackerServer = createServer((_req, res) => {
    attackerHits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [attacker.jwk] }));
  });
  await new Promise<void>((r) => attackerServer.listen(0, '127.0.0.1', r));
  attackerUrl = `http://127.0.0.1:${(attackerServer.address() as AddressInfo).port}/jwks`;
});

afterAll(async () => {
  await idp.close();
  attackerServer.closeAllConnections();
  await new Promise((r) => attackerServer.close(r));
});

async function expect401(token: string, message: string): Promise<void> {
  const d = await call(auth, token);
  expect(d.status).toBe(401);
  expect(d.json).toEqual({ error: 'invalid_token', message });
  expect(d.headers['www-authenticate']).toBe(`Bearer realm="api", error="invalid_token", error_description="${message}"`);
  for (const part of token.split('.')) if (part.length > 8) expect(d.body).not.toContain(part);
}

describe('a good token', () => {
  it('is allowed with the principal from its claims', async () => {
    const exp = nowSec() + 600;
    const d = await call(auth, await sign(key, claims(idp.issuer, { exp, azp: 'web-app' })));
    expect(d.status).toBe(200);
    expect(d.principal).toMatchObject({
      subject: 'u-alice', username: 'alice', groups: ['staff'], scopes: ['items:read', 'items:write'],
      clientId: 'web-app', provider: 'corp', tokenType: 'jwt', expiresAt: new Date(exp * 1000),
    });
  });

  it('passes when any of its audiences is accepted', async () => {
    const d = await call(auth, await sign(key, claims(idp.issuer, { aud: ['other', 'api'] })));
    expect(d.status).toBe(200);
  });

  it('passes within the clock tolerance after exp', async () => {
    const d = await call(auth, await sign(key, claims(idp.issuer, { exp: nowSec() - 10 })));
    expect(d.status).toBe(200);
  });
});

describe('forgeries and bad tokens are 401 invalid_token', () => {
  it('alg: none', async () => {
    await expect401(unsigned({ alg: 'none', typ: 'JWT' }, claims(idp.issuer)), 'Token algorithm is not allowed');
  });

  it('alg: none with a signature segment', async () => {
    await expect401(unsigned({ alg: 'none' }, claims(idp.issuer), 'c2ln'), 'Token algorithm is not allowed');
  });

  it('HS256 signed with the RSA public key PEM as HMAC secret (key confusion)', async () => {
    const forged = await new SignJWT(claims(idp.issuer)).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(new TextEncoder().encode(key.publicPem));
    await expect401(forged, 'Token algorithm is not allowed');
  });

  it('HS256 key confusion against a publicKey provider', async () => {
    const iss = 'https://pem.example.com';
    const pemAuth = gate([provider({ issuer: iss, publicKey: key.publicPem })]);
    const forged = await new SignJWT(claims(iss)).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(key.publicPem));
    const d = await call(pemAuth, forged);
    expect(d.status).toBe(401);
    expect(d.json?.message).toBe('Token algorithm is not allowed');
  });

  it('an algorithm outside the provider allow-list', async () => {
    const strict = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, algorithms: ['PS256'] })]);
    const d = await call(strict, await sign(key, claims(idp.issuer)));
    expect(d.status).toBe(401);
    expect(d.json?.message).toBe('Token algorithm is not allowed');
  });

  it('unknown kid', async () => {
    await expect401(await sign(attacker, claims(idp.issuer)), 'Token signing key is unknown');
  });

  it('jku header pointing at attacker keys is never followed', async () => {
    const before = attackerHits;
    await expect401(await sign(attacker, claims(idp.issuer), { jku: attackerUrl }), 'Token signing key is unknown');
    await expect401(await sign(attacker, claims(idp.issuer), { jku: attackerUrl, kid: key.kid }), 'Token signature is invalid');
    expect(attackerHits).toBe(before);
  });

  it('x5u header pointing at attacker keys is never followed', async () => {
    const before = attackerHits;
    await expect401(await sign(attacker, claims(idp.issuer), { x5u: attackerUrl }), 'Token signing key is unknown');
    await expect401(await sign(attacker, claims(idp.issuer), { x5u: attackerUrl, kid: key.kid }), 'Token signature is invalid');
    expect(attackerHits).toBe(before);
  });

  it('embedded jwk header with the attacker key is ignored', async () => {
    const { kid: _kid, ...jwk } = attacker.jwk;
    await expect401(await sign(attacker, claims(idp.issuer), { jwk, kid: undefined }), 'Token signature is invalid');
    await expect401(await sign(attacker, claims(idp.issuer), { jwk, kid: key.kid }), 'Token signature is invalid');
  });

  it('embedded x5c header with the attacker certificate is ignored', async () => {
    const der = selfSignedCertificate(attacker).replace(/-----[A-Z ]+-----|\n/g, '');
    await expect401(await sign(attacker, claims(idp.issuer), { x5c: [der], kid: key.kid }), 'Token signature is invalid');
  });

  it('unknown crit', async () => {
    const token = signRs256ByHand(key, { alg: 'RS256', kid: key.kid, crit: ['urn:example:unknown'], 'urn:example:unknown': true }, claims(idp.issuer));
    await expect401(token, 'Token has an unsupported critical header');
  });

  it('expired', async () => {
    await expect401(await sign(key, claims(idp.issuer, { exp: nowSec() - 120 })), 'Token expired');
  });

  it('not yet valid', async () => {
    await expect401(await sign(key, claims(idp.issuer, { nbf: nowSec() + 120 })), 'Token not yet valid');
  });

  it('wrong issuer', async () => {
    await expect401(await sign(key, claims('https://not-configured.example.com')), 'Token issuer is not accepted');
  });

  it('no iss at all', async () => {
    const { iss: _iss, ...noIss } = claims(idp.issuer);
    await expect401(await sign(key, noIss), 'Token issuer is not accepted');
  });

  it('wrong audience', async () => {
    await expect401(await sign(key, claims(idp.issuer, { aud: 'another-api' })), 'Token audience is not accepted');
  });

  it('no audience', async () => {
    const { aud: _aud, ...noAud } = claims(idp.issuer);
    await expect401(await sign(key, noAud), 'Token audience is not accepted');
  });

  it('tampered payload', async () => {
    const [h, , s] = (await sign(key, claims(idp.issuer))).split('.');
    const evil = Buffer.from(JSON.stringify(claims(idp.issuer, { groups: ['admins'] }))).toString('base64url');
    await expect401(`${h}.${evil}.${s}`, 'Token signature is invalid');
  });

  it('tampered header (extra member)', async () => {
    const [, p, s] = (await sign(key, claims(idp.issuer))).split('.');
    const h = Buffer.from(JSON.stringify({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })).toString('base64url');
    await expect401(`${h}.${p}.${s}`, 'Token signature is invalid');
  });

  it('tampered header (alg switched to PS256; the JWK allows only RS256)', async () => {
    const [, p, s] = (await sign(key, claims(idp.issuer))).split('.');
    const h = Buffer.from(JSON.stringify({ alg: 'PS256', kid: key.kid })).toString('base64url');
    await expect401(`${h}.${p}.${s}`, 'Token signing key is unknown');
  });

  it('a validly signed payload that is an array', async () => {
    await expect401(await signRaw(key, '[1]'), 'Token payload is not a JSON object');
  });

  it('a validly signed payload that is a string', async () => {
    await expect401(await signRaw(key, '"x"'), 'Token payload is not a JSON object');
  });

  it('a validly signed payload that is not JSON', async () => {
    await expect401(await signRaw(key, 'hello'), 'Token is malformed');
  });

  it('exp missing', async () => {
    const { exp: _exp, ...noExp } = claims(idp.issuer);
    await expect401(await sign(key, noExp), 'Token has no valid exp claim');
  });

  it('exp a string', async () => {
    await expect401(await signRaw(key, JSON.stringify({ ...claims(idp.issuer), exp: String(nowSec() + 600) })), 'Token has no valid exp claim');
  });

  it('nbf a string', async () => {
    await expect401(await signRaw(key, JSON.stringify({ ...claims(idp.issuer), nbf: 'soon' })), 'Token not yet valid');
  });

  it('kid that is not a string', async () => {
    await expect401(await sign(key, claims(idp.issuer), { kid: 42 }), 'Token is malformed');
  });

  it('a bad signature segment', async () => {
    const [h, p] = (await sign(key, claims(idp.issuer))).split('.');
    await expect401(`${h}.${p}.AAAA`, 'Token signature is invalid');
  });
});

describe('requireTyp (RFC 9068)', () => {
  let strict: RestAuth;
  beforeAll(() => {
    strict = gate([provider({ issuer: idp.issuer, jwksUri: idp.jwksUri, requireTyp: 'at+jwt' })]);
  });

  it('refuses an ID-token-like token with typ JWT', async () => {
    const d = await call(strict, await sign(key, claims(idp.issuer, { nonce: 'n', auth_time: nowSec() }), { typ: 'JWT' }));
    expect(d.status).toBe(401);
    expect(d.json).toEqual({ error: 'invalid_token', message: 'Token type must be at+jwt' });
  });

  it('refuses a token with no typ', async () => {
    const d = await call(strict, await sign(key, claims(idp.issuer)));
    expect(d.json?.message).toBe('Token type must be at+jwt');
  });

  it.each(['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/AT+JWT'])('accepts typ %s', async (typ) => {
    const d = await call(strict, await sign(key, claims(idp.issuer), { typ }));
    expect(d.status).toBe(200);
  });
});

describe('audienceClaim (Amazon Cognito access tokens: client_id, no aud)', () => {
  const pool = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123';
  let cognito: RestAuth;
  const fetched: string[] = [];
  beforeAll(() => {
    // The real preset, with the pool's JWKS URL answered by the local key server.
    cognito = createRestAuth(
      { providers: [{ name: 'cognito', preset: 'cognito', userPoolId: 'eu-west-1_AbC123', clientId: ['app-1', 'app-2'] }] },
      { plugins: [jwtPlugin({ fetch: (url, init) => { fetched.push(String(url)); return fetch(idp.jwksUri, init); } })] },
    );
  });
  const access = (extra: Record<string, unknown>) => {
    const { aud: _aud, ...rest } = claims(pool, { username: 'alice', 'cognito:groups': ['staff'], token_use: 'access', ...extra });
    return rest;
  };

  it('accepts an access token whose client_id is listed, with no aud at all', async () => {
    const d = await call(cognito, await sign(key, access({ client_id: 'app-2' })));
    expect(d.status).toBe(200);
    expect(d.principal).toMatchObject({ username: 'alice', groups: ['staff'], clientId: 'app-2', provider: 'cognito' });
    expect(fetched).toEqual([`${pool}/.well-known/jwks.json`]);
  });

  it('refuses a client_id that is not listed', async () => {
    const d = await call(cognito, await sign(key, access({ client_id: 'someone-else' })));
    expect(d.status).toBe(401);
    expect(d.json?.message).toBe('Token audience is not accepted');
  });

  it('refuses an ID token: its aud names the client, but the configured claim (client_id) is absent', async () => {
    const d = await call(cognito, await sign(key, { ...access({ token_use: 'id' }), aud: 'app-1' }));
    expect(d.status).toBe(401);
    expect(d.json?.message).toBe('Token audience is not accepted');
  });

  it('refuses a client_id of the wrong type', async () => {
    const d = await call(cognito, await sign(key, access({ client_id: 42 })));
    expect(d.json?.message).toBe('Token audience is not accepted');
  });
});
