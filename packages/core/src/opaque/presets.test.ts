import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../config/types.js';
import { createRestAuth } from '../rest-auth.js';
import { bearer, json, startServer, type TestHandler, type TestServer } from './test-server.test-helper.js';

// Local doubles of each provider's endpoint: same paths, same answer shapes, same error habits.
const servers: TestServer[] = [];
afterEach(async () => { await Promise.all(servers.splice(0).map((s) => s.close())); });
async function server(handler: TestHandler): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}
const GOOD = 'good-token';
const authHeader = (req: { headers: Record<string, unknown> }) => req.headers['authorization'];
const gate = (p: Record<string, unknown>) => createRestAuth({ providers: [p as unknown as ProviderConfig] });

describe('github', () => {
  const github: TestHandler = (req, res) => {
    if (req.method !== 'GET' || req.url !== '/user') return json(res, 404, { message: 'Not Found' });
    // GitHub refuses requests without a User-Agent.
    if (!req.headers['user-agent']) return json(res, 403, { message: 'Request forbidden by administrative rules.' });
    if (authHeader(req) !== `Bearer ${GOOD}`) return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    return json(res, 200, { login: 'octocat', id: 583231, node_id: 'MDQ6VXNlcjU4MzIzMQ==', type: 'User', name: 'The Octocat', email: null });
  };

  it('GET /user, username from login, subject from id', async () => {
    const s = await server(github);
    const auth = gate({ name: 'gh', preset: 'github', baseUrl: s.url });
    const d = await auth.authenticate(bearer(GOOD));
    expect(d.principal).toMatchObject({ username: 'octocat', subject: '583231', provider: 'gh', tokenType: 'opaque', groups: [] });
    const bad = await auth.authenticate(bearer('gho_revoked'));
    expect(bad.status).toBe(401);
  });

  it('GitHub Enterprise Server layout (/api/v3/user)', async () => {
    const s = await server((req, res) => (req.url === '/api/v3/user' ? json(res, 200, { login: 'mona', id: 7 }) : json(res, 404, {})));
    expect((await gate({ name: 'ghe', preset: 'github', baseUrl: `${s.url}/api/v3` }).authenticate(bearer(GOOD))).principal?.username).toBe('mona');
  });
});

describe('gitlab', () => {
  it('GET /oauth/userinfo: nickname and groups, usable by the policy', async () => {
    const s = await server((req, res) => {
      if (req.url !== '/oauth/userinfo') return json(res, 404, { message: '404 Not Found' });
      if (authHeader(req) !== `Bearer ${GOOD}`) return json(res, 401, { error: 'invalid_token', error_description: 'Token was revoked. You have to re-authorize from the user.' });
      return json(res, 200, { sub: '1234', sub_legacy: 'abc', name: 'Alice', nickname: 'alice', preferred_username: 'alice', email: 'alice@example.com', groups: ['acme', 'acme/backend'], groups_direct: ['acme/backend'] });
    });
    const auth = createRestAuth({ providers: [{ name: 'gl', preset: 'gitlab', baseUrl: s.url }], policy: { allowGroups: ['acme/backend'] } });
    expect((await auth.authenticate(bearer(GOOD))).principal).toMatchObject({ username: 'alice', subject: '1234', groups: ['acme', 'acme/backend'] });
    expect((await auth.authenticate(bearer('bad'))).status).toBe(401);
  });
});

describe('slack', () => {
  const slack: TestHandler = (req, res) => {
    if (req.url !== '/api/openid.connect.userInfo') return json(res, 404, {});
    // Slack answers errors with HTTP 200.
    if (authHeader(req) !== `Bearer ${GOOD}`) return json(res, 200, { ok: false, error: 'invalid_auth' });
    return json(res, 200, {
      ok: true, sub: 'U0R7JM', 'https://slack.com/user_id': 'U0R7JM', 'https://slack.com/team_id': 'T0R7GR', 'https://slack.com/team_domain': 'acme',
      email: 'krane@slack-corp.com', email_verified: true, name: 'krane', date_email_verified: 1622128723,
    });
  };

  it('ok:true answer: email as username, workspace as group; ok:false: 401', async () => {
    const s = await server(slack);
    const auth = createRestAuth({ providers: [{ name: 'slack', preset: 'slack', baseUrl: s.url }], policy: { allowGroups: ['T0R7GR'] } });
    const d = await auth.authenticate(bearer(GOOD));
    expect(d.allowed).toBe(true);
    expect(d.principal).toMatchObject({ username: 'krane@slack-corp.com', subject: 'U0R7JM', groups: ['T0R7GR'] });
    const bad = await auth.authenticate(bearer('xoxp-bad'));
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.body!).error).toBe('invalid_token');
  });

  it('another workspace is refused by the policy', async () => {
    const s = await server(slack);
    const auth = createRestAuth({ providers: [{ name: 'slack', preset: 'slack', baseUrl: s.url }], policy: { allowGroups: ['T_OTHER'] } });
    expect((await auth.authenticate(bearer(GOOD))).status).toBe(403);
  });
});

describe('facebook', () => {
  it('GET /<version>/me?fields=id,name,email; error 190 with HTTP 400 is a 401', async () => {
    const s = await server((req, res) => {
      if (req.url !== '/v19.0/me?fields=id,name,email') return json(res, 404, {});
      if (authHeader(req) !== `Bearer ${GOOD}`) return json(res, 400, { error: { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190, fbtrace_id: 'A1' } });
      return json(res, 200, { id: '10223344556677', name: 'Ada Lovelace', email: 'ada@example.com' });
    });
    const auth = gate({ name: 'fb', preset: 'facebook', baseUrl: s.url, apiVersion: 'v19.0' });
    expect((await auth.authenticate(bearer(GOOD))).principal).toMatchObject({ username: 'ada@example.com', subject: '10223344556677' });
    expect((await auth.authenticate(bearer('EAAbad'))).status).toBe(401);
  });

  it('a user without an e-mail falls back to the id', async () => {
    const s = await server((req, res) => json(res, 200, { id: '42', name: 'No Mail' }));
    expect((await gate({ name: 'fb', preset: 'facebook', baseUrl: s.url }).authenticate(bearer(GOOD))).principal?.username).toBe('42');
  });
});

describe('keycloak introspection', () => {
  it('POSTs to /realms/<realm>/protocol/openid-connect/token/introspect and refuses refresh tokens', async () => {
    const s = await server((req, res) => {
      if (req.url !== '/realms/demo/protocol/openid-connect/token/introspect') return json(res, 404, {});
      if (authHeader(req) !== 'Basic ' + Buffer.from('orders-api:kc-secret').toString('base64')) return json(res, 401, { error: 'invalid_client' });
      const token = new URLSearchParams(req.body).get('token');
      if (token === GOOD) {
        return json(res, 200, {
          active: true, exp: Math.floor(Date.now() / 1000) + 300, iat: 1, jti: 'j', iss: `${s.url}/realms/demo`, aud: ['orders-api', 'account'], sub: 'f81d4fae',
          typ: 'Bearer', azp: 'web', preferred_username: 'alice', username: 'alice', client_id: 'web', realm_access: { roles: ['admins'] }, scope: 'openid email', token_type: 'Bearer',
        });
      }
      if (token === 'refresh') return json(res, 200, { active: true, typ: 'Refresh', sub: 'f81d4fae', username: 'alice', client_id: 'web' });
      return json(res, 200, { active: false });
    });
    const auth = gate({ name: 'kc', preset: 'keycloak', type: 'introspection', baseUrl: s.url, realm: 'demo', clientId: 'orders-api', clientSecret: 'kc-secret', audience: 'orders-api', groupsClaim: 'realm_access.roles' });
    expect((await auth.authenticate(bearer(GOOD))).principal).toMatchObject({ username: 'alice', groups: ['admins'], clientId: 'web', scopes: ['openid', 'email'] });
    expect((await auth.authenticate(bearer('refresh'))).status).toBe(401);
    expect((await auth.authenticate(bearer('other'))).status).toBe(401);
  });
});

describe('okta introspection', () => {
  it('POSTs to /oauth2/<server>/v1/introspect with client_secret_post', async () => {
    const s = await server((req, res) => {
      const form = new URLSearchParams(req.body);
      if (req.url !== '/oauth2/default/v1/introspect') return json(res, 404, {});
      if (form.get('client_id') !== '0oa1' || form.get('client_secret') !== 'okta-secret') return json(res, 401, { errorCode: 'invalid_client' });
      if (form.get('token') !== GOOD) return json(res, 200, { active: false });
      return json(res, 200, { active: true, token_type: 'Bearer', scope: 'openid items.read', client_id: '0oa2web', username: 'alice@example.com', exp: Math.floor(Date.now() / 1000) + 300, sub: 'alice@example.com', aud: 'api://default', iss: `${s.url}/oauth2/default`, uid: '00u1' });
    });
    const auth = gate({ name: 'okta', preset: 'okta', type: 'introspection', baseUrl: s.url, clientId: '0oa1', clientSecret: 'okta-secret', clientAuth: 'client_secret_post', audience: 'api://default' });
    expect((await auth.authenticate(bearer(GOOD))).principal).toMatchObject({ username: 'alice@example.com', clientId: '0oa2web', scopes: ['openid', 'items.read'] });
    expect((await auth.authenticate(bearer('nope'))).status).toBe(401);
  });
});
