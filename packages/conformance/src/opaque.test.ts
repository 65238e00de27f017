import { startIdp, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, writeConfig, type RunningApp } from './process.js';
import { TARGETS } from './targets.js';

// The example apps accept tokens from an introspection provider and a userinfo provider through
// config alone: no code, no plugin registration.
let idp: TestIdp;
const apps = new Map<string, { introspectionFirst: RunningApp; userinfoFirst: RunningApp }>();

function config(order: 'introspection' | 'userinfo'): unknown {
  const introspection = {
    name: 'idp-introspection', type: 'introspection', introspectionEndpoint: idp.introspectionEndpoint,
    clientId: 'restauth-test', clientSecret: { env: 'CONFORMANCE_INTROSPECTION_SECRET' }, clientAuth: 'client_secret_basic',
  };
  const userinfo = { name: 'idp-userinfo', type: 'userinfo', userinfoEndpoint: idp.userinfoEndpoint };
  return { realm: 'opaque', providers: order === 'introspection' ? [introspection, userinfo] : [userinfo, introspection], policy: { bypass: ['GET /health'] } };
}

beforeAll(async () => {
  idp = await startIdp({ issuerPath: '/realms/demo' });
  const files = { introspection: writeConfig('opaque-introspection', config('introspection')), userinfo: writeConfig('opaque-userinfo', config('userinfo')) };
  const env = { CONFORMANCE_INTROSPECTION_SECRET: 'restauth-test-secret' };
  await Promise.all(TARGETS.map(async (t) => {
    const [introspectionFirst, userinfoFirst] = await Promise.all([startApp(t, files.introspection, env), startApp(t, files.userinfo, env)]);
    apps.set(t.name, { introspectionFirst, userinfoFirst });
  }));
}, 60_000);

afterAll(async () => {
  await Promise.all([...apps.values()].flatMap((a) => [a.introspectionFirst.stop(), a.userinfoFirst.stop()]));
  await idp?.close();
});

const me = (app: RunningApp, token: string) => fetch(`${app.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });

describe.each(TARGETS.map((t) => [t.name]))('%s: opaque tokens through config alone', (name) => {
  it('an introspection provider accepts an opaque token: GET /api/me → 200, tokenType opaque', async () => {
    const res = await me(apps.get(name)!.introspectionFirst, await idp.opaqueUserToken('alice'));
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ username: 'alice', groups: ['users', 'admins'], clientId: 'restauth-test', provider: 'idp-introspection', tokenType: 'opaque' });
  });

  it('a userinfo provider accepts an opaque token: GET /api/me → 200, tokenType opaque', async () => {
    const res = await me(apps.get(name)!.userinfoFirst, await idp.opaqueUserToken('alice'));
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ username: 'alice', groups: ['users', 'admins'], provider: 'idp-userinfo', tokenType: 'opaque' });
  });

  it('a token neither provider knows → 401 invalid_token, the same bytes in every framework', async () => {
    for (const app of Object.values(apps.get(name)!)) {
      const res = await me(app, 'not-a-token-the-idp-issued');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="opaque", error="invalid_token", error_description="Token not accepted by any configured provider"');
      expect(await res.json()).toEqual({ error: 'invalid_token', message: 'Token not accepted by any configured provider' });
    }
  });
});
