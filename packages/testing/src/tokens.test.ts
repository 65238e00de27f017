import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, importSPKI, importX509, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdp, TEST_CLIENTS, TEST_USER_GRANT_TYPE, TEST_USERS, type TestIdp } from './index.js';

let idp: TestIdp;

beforeAll(async () => {
  idp = await startIdp();
});

afterAll(async () => {
  await idp.close();
});

function basic(clientId: string): string {
  const client = TEST_CLIENTS[clientId]!;
  return `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
}

async function introspect(token: string, auth: 'basic' | 'post' = 'basic'): Promise<Record<string, unknown>> {
  const body = new URLSearchParams({ token });
  const headers: Record<string, string> = {};
  if (auth === 'basic') headers.authorization = basic('restauth-test');
  else {
    body.set('client_id', 'restauth-test');
    body.set('client_secret', 'restauth-test-secret');
  }
  const res = await fetch(idp.introspectionEndpoint, { method: 'POST', headers, body });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('discovery', () => {
  it('serves a discovery document naming every endpoint', async () => {
    expect(idp.issuer).toBe(`http://127.0.0.1:${idp.port}`);
    expect(idp.discoveryUrl).toBe(`${idp.issuer}/.well-known/openid-configuration`);
    const res = await fetch(idp.discoveryUrl);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: idp.issuer,
      jwks_uri: idp.jwksUri,
      token_endpoint: idp.tokenEndpoint,
      introspection_endpoint: idp.introspectionEndpoint,
      userinfo_endpoint: idp.userinfoEndpoint,
      id_token_signing_alg_values_supported: ['RS256'],
    });
    expect(doc.grant_types_supported).toEqual(expect.arrayContaining(['client_credentials', TEST_USER_GRANT_TYPE]));
    expect(doc.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'items:read', 'items:write', 'admin']),
    );
  });

  it('publishes the signing key with its certificate in the JWKS', async () => {
    const jwks = (await (await fetch(idp.jwksUri)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toMatchObject({ kty: 'RSA', kid: idp.kid, alg: 'RS256', use: 'sig' });
    expect(key).not.toHaveProperty('d');
    const der = idp.certificatePem.replace(/-----[^-]+-----|\s/g, '');
    expect(key?.x5c).toEqual([der]);
  });
});

describe('userToken', () => {
  it('issues an RFC 9068 JWT with the user claims', async () => {
    const token = await idp.userToken('alice');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: idp.kid });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: idp.issuer,
      aud: 'api',
      sub: 'alice',
      preferred_username: 'alice',
      email: 'alice@example.com',
      groups: ['users', 'admins'],
      client_id: 'restauth-test',
      scope: 'items:read items:write',
    });
    expect(typeof claims.jti).toBe('string');
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(claims).not.toHaveProperty('username');
  });

  it('verifies against the remote JWKS, the public key PEM and the certificate', async () => {
    const token = await idp.userToken('bob');
    const expected = { issuer: idp.issuer, audience: 'api', typ: 'at+jwt', algorithms: ['RS256'] };
    const remote = await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), expected);
    expect(remote.payload).toMatchObject({ sub: 'bob', groups: ['users'] });
    const spki = await jwtVerify(token, await importSPKI(idp.publicKeyPem, 'RS256'), expected);
    expect(spki.payload.sub).toBe('bob');
    const x509 = await jwtVerify(token, await importX509(idp.certificatePem, 'RS256'), expected);
    expect(x509.payload.sub).toBe('bob');
  });

  it('honours scope, audience and client', async () => {
    const token = await idp.userToken('carol', { scope: 'items:read admin', audience: 'billing', clientId: 'service-a' });
    expect(decodeJwt(token)).toMatchObject({
      sub: 'carol',
      aud: 'billing',
      scope: 'items:read admin',
      client_id: 'service-a',
      groups: ['users', 'auditors'],
    });
    const uri = await idp.userToken('eve', { audience: 'https://api.example.com/' });
    expect(decodeJwt(uri)).toMatchObject({ aud: 'https://api.example.com/', groups: ['guests'] });
  });

  it('is a token of the real token endpoint: a raw grant request gets one too', async () => {
    const res = await fetch(idp.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: basic('restauth-test') },
      body: new URLSearchParams({ grant_type: TEST_USER_GRANT_TYPE, username: 'bob', resource: 'urn:example:orders' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'items:read items:write' });
    expect(decodeJwt(body.access_token as string)).toMatchObject({ sub: 'bob', aud: 'urn:example:orders' });
  });

  it('rejects unknown users, clients and scopes with clear errors', async () => {
    await expect(idp.userToken('mallory')).rejects.toThrow(/unknown test user "mallory" \(known: alice, bob, carol, eve\)/);
    await expect(idp.userToken('alice', { clientId: 'nobody' })).rejects.toThrow(/unknown test client "nobody"/);
    await expect(idp.userToken('alice', { scope: 'items:read launch-missiles' })).rejects.toThrow(
      /HTTP 400, invalid_scope: requested scope is not allowed/,
    );
    await expect(idp.userToken('alice', { scope: 'openid', clientId: 'service-b' })).rejects.toThrow(/invalid_scope/);

    const res = await fetch(idp.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: basic('restauth-test') },
      body: new URLSearchParams({ grant_type: TEST_USER_GRANT_TYPE, username: 'mallory' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'unknown test user "mallory"' });
  });

  it('refuses a client with a wrong secret', async () => {
    const res = await fetch(idp.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('restauth-test:wrong').toString('base64')}` },
      body: new URLSearchParams({ grant_type: TEST_USER_GRANT_TYPE, username: 'alice' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
  });
});

describe('clientToken', () => {
  it('issues a client-credentials JWT without user claims', async () => {
    const token = await idp.clientToken('service-a');
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', kid: idp.kid });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: idp.issuer,
      aud: 'api',
      client_id: 'service-a',
      sub: 'service-a',
      scope: 'items:read items:write',
    });
    expect(claims).not.toHaveProperty('preferred_username');
    expect(claims).not.toHaveProperty('groups');
    await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), { issuer: idp.issuer, audience: 'api', typ: 'at+jwt' });
  });

  it('honours scope and audience, within the scopes the client may ask for', async () => {
    const token = await idp.clientToken('service-a', { scope: 'admin', audience: 'reports' });
    expect(decodeJwt(token)).toMatchObject({ aud: 'reports', scope: 'admin', client_id: 'service-a' });
    await expect(idp.clientToken('service-b', { scope: 'admin' })).rejects.toThrow(/invalid_scope/);
  });

  it('rejects an unknown client with a clear error', async () => {
    await expect(idp.clientToken('service-z')).rejects.toThrow(
      /unknown test client "service-z" \(known: restauth-test, service-a, service-b\)/,
    );
  });
});

describe('opaqueUserToken', () => {
  it('is not a JWT and introspects as active with the user (client_secret_basic and _post)', async () => {
    const token = await idp.opaqueUserToken('bob');
    expect(token.split('.')).toHaveLength(1);
    for (const auth of ['basic', 'post'] as const) {
      const result = await introspect(token, auth);
      expect(result).toMatchObject({
        active: true,
        sub: 'bob',
        username: 'bob',
        client_id: 'restauth-test',
        scope: 'openid items:read items:write',
        groups: ['users'],
        iss: idp.issuer,
        token_type: 'Bearer',
      });
      expect(typeof result.exp).toBe('number');
    }
  });

  it('introspects unknown tokens as inactive and refuses unauthenticated callers', async () => {
    expect(await introspect('not-a-token')).toEqual({ active: false });
    const res = await fetch(idp.introspectionEndpoint, { method: 'POST', body: new URLSearchParams({ token: 'x' }) });
    expect(res.status).toBe(400);
  });

  it('is accepted at userinfo while its scope has openid', async () => {
    const token = await idp.opaqueUserToken('alice');
    const res = await fetch(idp.userinfoEndpoint, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      sub: 'alice',
      preferred_username: 'alice',
      email: 'alice@example.com',
      groups: ['users', 'admins'],
    });

    const profile = await idp.opaqueUserToken('alice', { scope: 'openid profile' });
    const full = await fetch(idp.userinfoEndpoint, { headers: { authorization: `Bearer ${profile}` } });
    expect(await full.json()).toMatchObject({ name: TEST_USERS.alice!.name });

    const noOpenid = await idp.opaqueUserToken('alice', { scope: 'items:read' });
    expect((await introspect(noOpenid)).scope).toBe('items:read');
    const refused = await fetch(idp.userinfoEndpoint, { headers: { authorization: `Bearer ${noOpenid}` } });
    expect(refused.status).toBe(403);
  });

  it('is refused at userinfo when it is a JWT for a resource', async () => {
    const jwt = await idp.userToken('alice', { scope: 'openid items:read' });
    const res = await fetch(idp.userinfoEndpoint, { headers: { authorization: `Bearer ${jwt}` } });
    expect(res.status).toBe(401);
  });

  it('rejects an unknown user with a clear error', async () => {
    await expect(idp.opaqueUserToken('nobody')).rejects.toThrow(/unknown test user "nobody"/);
  });
});
