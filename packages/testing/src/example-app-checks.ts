import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';

/**
 * Where an example app listens, and tokens for it from the `@restauth/testing` IdP: `alice`
 * (admins, users) and `bob` (users) from `userToken`, `service` from the client-credentials grant
 * (`clientToken('service-a')`: a client, in no group).
 */
export interface ExampleAppTarget {
  readonly baseUrl: string;
  readonly tokens: { readonly alice: string; readonly bob: string; readonly service: string };
}

/** One named check of the example-app contract; `run` throws (node:assert) when the app breaks it. */
export interface ExampleAppCheck {
  readonly name: string;
  run(target: ExampleAppTarget): Promise<void>;
}

/**
 * The config {@link exampleAppChecks} expects: the example-app contract's policy, a 100 per
 * minute rate limit, the test IdP as provider `local`, and the console signing in at that IdP.
 *
 * @example
 * const { app } = createApp(exampleAppConfig(idp, 'koa-example'));
 */
export function exampleAppConfig(idp: { readonly issuer: string; readonly jwksUri: string }, realm: string) {
  return {
    realm,
    providers: [{ name: 'local', type: 'jwt' as const, issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri }],
    policy: {
      bypass: ['GET /health'],
      allowGroups: ['users'],
      rules: [{ match: 'POST /api/items', scopes: ['items:write'] }, { match: 'DELETE /api/items/*', groups: ['admins'] }],
    },
    rateLimit: { enabled: true, limit: 100, windowSec: 60 },
    // @restauth/console, mounted by every example before the gate (sign-in goes to the IdP's login page).
    console: { login: { issuer: idp.issuer, clientId: 'restauth-console', clientSecret: 'console-secret' }, secureCookies: false },
  };
}

/**
 * The {@link ExampleAppTarget} of an app listening at `baseUrl`, with fresh tokens from `idp`.
 *
 * @example
 * const target = await exampleAppTarget(idp, 'http://127.0.0.1:3000');
 */
export async function exampleAppTarget(
  idp: { userToken(username: string): Promise<string>; clientToken(clientId: string): Promise<string> },
  baseUrl: string,
): Promise<ExampleAppTarget> {
  const [alice, bob, service] = await Promise.all([idp.userToken('alice'), idp.userToken('bob'), idp.clientToken('service-a')]);
  return { baseUrl, tokens: { alice, bob, service } };
}

const JSON_TYPE = 'application/json; charset=utf-8';
const MALFORMED = '{"error":"bad_request","message":"Malformed request"}';

function caller(target: ExampleAppTarget) {
  const call = (path: string, init: RequestInit & { token?: 'alice' | 'bob' | 'service' } = {}) =>
    fetch(target.baseUrl + path, {
      ...init,
      headers: { ...(init.token ? { authorization: `Bearer ${target.tokens[init.token]}` } : {}), ...(init.headers as Record<string, string>) },
    });
  const postJson = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
    call('/api/items', { method: 'POST', token: 'alice', body, headers: { 'content-type': 'application/json', ...headers } });
  return { call, postJson };
}

/**
 * The example-app contract (DESIGN.md) as checks an example's own test runs over real HTTP,
 * against an app configured with {@link exampleAppConfig}, from a fresh item store.
 *
 * @example
 * for (const check of exampleAppChecks()) it(check.name, () => check.run({ baseUrl, tokens: { alice, bob } }));
 */
export function exampleAppChecks(): ExampleAppCheck[] {
  return [
    {
      name: 'the console answers below /restauth before the gate',
      async run(target) {
        const { call } = caller(target);
        const page = await call('/restauth/tokens', { redirect: 'manual' });
        assert.equal(page.status, 303);
        assert.equal(page.headers.get('location'), '/restauth/login?returnTo=%2Frestauth%2Ftokens');
        const login = await call('/restauth/login', { redirect: 'manual' });
        assert.equal(login.status, 303);
        assert.match(login.headers.get('location') ?? '', /\/auth\?.*code_challenge_method=S256/);
        assert.match(login.headers.get('set-cookie') ?? '', /^restauth_console_flow=.*; HttpOnly; SameSite=Lax$/);
        const post = await call('/restauth/tokens', { method: 'POST', token: 'alice', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=x' });
        assert.equal(post.status, 401); // a bearer token is no console session
        assert.match(post.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      },
    },
    {
      name: 'health, public info and the principal',
      async run(target) {
        const { call } = caller(target);
        const health = await call('/health');
        assert.equal(health.headers.get('content-type'), JSON_TYPE);
        assert.equal(await health.text(), '{"status":"ok"}');
        assert.deepEqual(await (await call('/public/info')).json(), { info: 'public', username: null });
        assert.deepEqual(await (await call('/public/info', { token: 'bob' })).json(), { info: 'public', username: 'bob' });
        assert.deepEqual(await (await call('/api/me', { token: 'bob' })).json(), {
          username: 'bob', groups: ['users'], scopes: ['items:read', 'items:write'], clientId: 'restauth-test', provider: 'local', tokenType: 'jwt',
        });
        const anon = await call('/api/items');
        assert.equal(anon.status, 401);
        assert.equal(await anon.text(), '{"error":"unauthorized","message":"Authentication required"}');
      },
    },
    {
      name: 'a client-credentials token is verified, then held to the group policy',
      async run(target) {
        const { call } = caller(target);
        // 403, not 401: the token itself was accepted; the client is in no allowed group.
        const me = await call('/api/me', { token: 'service' });
        assert.equal(me.status, 403);
        assert.equal(await me.text(), '{"error":"forbidden","message":"Not a member of an allowed group"}');
      },
    },
    {
      name: 'items: list, add, delete',
      async run(target) {
        const { call, postJson } = caller(target);
        assert.deepEqual(await (await call('/api/items', { token: 'bob' })).json(), [{ id: 1, name: 'first' }, { id: 2, name: 'second' }]);
        const created = await postJson('{"name":"third"}');
        assert.equal(created.status, 201);
        assert.equal(created.headers.get('content-type'), JSON_TYPE);
        assert.equal(await created.text(), '{"id":3,"name":"third"}');
        assert.deepEqual(await (await postJson(gzipSync('{"name":"zipped"}'), { 'content-encoding': 'gzip' })).json(), { id: 4, name: 'zipped' });
        assert.deepEqual(await (await postJson('')).json(), { id: 5, name: 'unnamed' });
        const plain = await call('/api/items', { method: 'POST', token: 'alice', body: '{"name":"x"}', headers: { 'content-type': 'text/plain' } });
        assert.deepEqual(await plain.json(), { id: 6, name: 'unnamed' });
        assert.equal((await call('/api/items/3', { method: 'DELETE', token: 'bob' })).status, 403);
        const deleted = await call('/api/items/3', { method: 'DELETE', token: 'alice' });
        assert.equal(deleted.status, 204);
        assert.equal(deleted.headers.get('content-type'), null);
        const missing = await call('/api/items/3', { method: 'DELETE', token: 'alice' });
        assert.equal(missing.status, 404);
        assert.equal(await missing.text(), '{"error":"not_found","message":"No such item"}');
      },
    },
    {
      name: 'bad bodies and paths get the contract\'s statuses and body',
      async run(target) {
        const { call, postJson } = caller(target);
        for (const [what, res, status] of [
          ['broken JSON', await postJson('{"name":'), 400],
          ['a JSON string', await postJson('"just a string"'), 400],
          ['17 kB', await postJson(JSON.stringify({ name: 'x'.repeat(17_000) })), 413],
          ['latin1 charset', await postJson('{"name":"x"}', { 'content-type': 'application/json; charset=latin1' }), 415],
          ['compress encoding', await postJson('{"name":"x"}', { 'content-encoding': 'compress' }), 415],
          ['bad percent-encoding', await call('/api/items/%zz', { token: 'alice' }), 400],
        ] as const) {
          assert.equal(res.status, status, what);
          assert.equal(res.headers.get('content-type'), JSON_TYPE, what);
          assert.equal(await res.text(), MALFORMED, what);
        }
        const unknown = await call('/nope', { token: 'bob' });
        assert.equal(unknown.status, 404);
        assert.equal(await unknown.text(), '{"error":"not_found","message":"Not found"}');
        assert.equal((await call('/api/items', { token: 'bob' })).status, 200);
      },
    },
  ];
}
