import { createServer } from 'node:net';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdp, type TestIdp, type TestUser } from './index.js';

const mallory: TestUser = { username: 'mallory', email: 'mallory@example.org', groups: ['contractors'] };

let idp: TestIdp;

beforeAll(async () => {
  idp = await startIdp({ issuerPath: '/realms/demo/', audience: 'orders', accessTokenTtlSec: 60, users: { mallory } });
});

afterAll(async () => {
  await idp.close();
});

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('startIdp options', () => {
  it('serves everything below issuerPath (Keycloak layout)', async () => {
    expect(idp.issuer).toBe(`http://127.0.0.1:${idp.port}/realms/demo`);
    expect(idp.discoveryUrl).toBe(`http://127.0.0.1:${idp.port}/realms/demo/.well-known/openid-configuration`);
    const doc = (await (await fetch(idp.discoveryUrl)).json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: idp.issuer,
      jwks_uri: idp.jwksUri,
      token_endpoint: idp.tokenEndpoint,
      introspection_endpoint: idp.introspectionEndpoint,
      userinfo_endpoint: idp.userinfoEndpoint,
    });
    expect(idp.jwksUri.startsWith(`${idp.issuer}/`)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${idp.port}/.well-known/openid-configuration`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${idp.port}/realms/other/jwks`)).status).toBe(404);
  });

  it('issues tokens for its audience, lifetime and users', async () => {
    const token = await idp.userToken('mallory');
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: idp.issuer,
      aud: 'orders',
      sub: 'mallory',
      email: 'mallory@example.org',
      groups: ['contractors'],
    });
    expect(claims.exp! - claims.iat!).toBe(60);
    expect(claims).not.toHaveProperty('name');
    await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), { issuer: idp.issuer, audience: 'orders' });
    await expect(idp.userToken('alice')).rejects.toThrow(/unknown test user "alice" \(known: mallory\)/);
  });

  it('refuses bad options at start with the option named', async () => {
    await expect(startIdp({ issuerPath: 'realms/demo' })).rejects.toThrow(/options\.issuerPath must start with "\/"/);
    await expect(startIdp({ accessTokenTtlSec: 0 })).rejects.toThrow(/options\.accessTokenTtlSec/);
    await expect(startIdp({ port: -1 })).rejects.toThrow(/options\.port/);
    await expect(startIdp({ audience: '' })).rejects.toThrow(/options\.audience/);
    await expect(startIdp({ users: { bob: mallory } })).rejects.toThrow(/options\.users\.bob\.username/);
  });

  it('close() frees the port', async () => {
    const { port } = idp;
    expect(await canListen(port)).toBe(false);
    await fetch(idp.jwksUri); // leaves a keep-alive connection open
    await idp.close();
    await idp.close(); // idempotent
    expect(await canListen(port)).toBe(true);
    await expect(fetch(idp.jwksUri)).rejects.toThrow();
  });

  it('can start on a chosen port', async () => {
    const first = await startIdp();
    const { port } = first;
    await first.close();
    const second = await startIdp({ port });
    try {
      expect(second.port).toBe(port);
      expect(second.issuer).toBe(`http://127.0.0.1:${port}`);
    } finally {
      await second.close();
    }
  });
});
