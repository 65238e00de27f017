import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleFixture, type ConsoleFixture } from './fixture.test-helper.js';
import { HttpBrowser, inputValue, type Answer } from './http-browser.test-helper.js';

let f: ConsoleFixture;
let alice: HttpBrowser;
let bob: HttpBrowser;
let aliceCsrf: string;
let bobCsrf: string;

beforeAll(async () => {
  f = await startConsoleFixture();
  alice = new HttpBrowser();
  bob = new HttpBrowser();
  aliceCsrf = inputValue((await alice.signIn(`${f.base}/restauth/tokens`, 'alice')).text, 'csrf') as string;
  bobCsrf = inputValue((await bob.signIn(`${f.base}/restauth/tokens`, 'bob')).text, 'csrf') as string;
});
afterAll(() => f?.close());

const post = (b: HttpBrowser, path: string, form: Record<string, string | string[]>, headers?: Record<string, string>): Promise<Answer> =>
  b.request(`${f.base}/restauth${path}`, { method: 'POST', form, headers });

describe('my API tokens', () => {
  it('creates a token, shows its secret once, and the token works on the API; revoked, it is refused', async () => {
    const created = await post(bob, '/tokens', { csrf: bobCsrf, name: 'ci deploy', scopes: ['items:read'], expiresInDays: '30' });
    expect(created.status).toBe(201);
    const secret = inputValue(created.text, 'secret') as string;
    expect(secret).toMatch(/^rat_/);
    expect(created.text).toContain('shown only once');
    expect(created.url).not.toContain(secret);

    const ok = await f.api('/api/items', secret);
    expect(ok).toEqual({ status: 200, body: JSON.stringify({ username: 'bob' }) });

    const list = await bob.request(`${f.base}/restauth/tokens`);
    expect(list.text).toContain('ci deploy');
    expect(list.text).not.toContain(secret);
    const id = /href="\/restauth\/tokens\/([\w-]+)\/revoke"/.exec(list.text)?.[1] as string;
    const confirm = await bob.request(`${f.base}/restauth/tokens/${id}/revoke`);
    expect(confirm.text).toContain('Revoke <strong>ci deploy</strong>?');
    const revoked = await post(bob, `/tokens/${id}/revoke`, { csrf: bobCsrf });
    expect(revoked.url).toBe(`${f.base}/restauth/tokens?notice=revoked`);
    expect(revoked.text).toContain('The token is revoked');
    expect(revoked.text).not.toContain('ci deploy');
    expect((await f.api('/api/items', secret)).status).toBe(401);
  });

  it('shows admins every owner\'s tokens, filtered by owner, and lets them revoke one', async () => {
    const created = await post(bob, '/tokens', { csrf: bobCsrf, name: 'bob for admin', scopes: ['items:read'], expiresInDays: '7' });
    const secret = inputValue(created.text, 'secret') as string;
    const all = await alice.request(`${f.base}/restauth/tokens?owner=${encodeURIComponent('local:bob')}`);
    expect(all.text).toContain('Every owner');
    expect(all.text).toMatch(/<td>local:bob<\/td><td>bob for admin<\/td>/);
    expect(all.text).not.toMatch(/<td>local:alice<\/td>/);
    const id = new RegExp(`<td>bob for admin</td>[\\s\\S]*?href="/restauth/tokens/([\\w-]+)/revoke"`).exec(all.text)?.[1] as string;
    expect((await alice.request(`${f.base}/restauth/tokens/${id}/revoke`)).text).toContain('of another owner');
    expect((await post(alice, `/tokens/${id}/revoke`, { csrf: aliceCsrf })).text).toContain('The token is revoked');
    expect((await f.api('/api/items', secret)).status).toBe(401);
    // bob is no admin: no such section, and another owner's token is 404 for him
    expect((await bob.request(`${f.base}/restauth/tokens`)).text).not.toContain('Every owner');
    expect((await bob.request(`${f.base}/restauth/tokens/${id}/revoke`)).status).toBe(404);
  });

  it('rolls a token and shows its usage', async () => {
    const created = await post(bob, '/tokens', { csrf: bobCsrf, name: 'rolled', scopes: ['items:read'], expiresInDays: '7' });
    const first = inputValue(created.text, 'secret') as string;
    const id = /^rat_/.test(first) ? ((await bob.request(`${f.base}/restauth/tokens`)).text.match(/href="\/restauth\/tokens\/([\w-]+)\/roll"/)?.[1] as string) : '';
    const rolled = await post(bob, `/tokens/${id}/roll`, { csrf: bobCsrf, graceSec: '0' });
    expect(rolled.status).toBe(201);
    const second = inputValue(rolled.text, 'secret') as string;
    expect(second).not.toBe(first);
    expect((await f.api('/api/items', second)).status).toBe(200);
    expect((await f.api('/api/items', first)).status).toBe(401);
    const usage = await bob.request(`${f.base}/restauth/tokens/${id}/usage`);
    expect(usage.status).toBe(200);
    expect(usage.text).toContain('Usage of rolled');
    expect(usage.text).toContain(new Date().toISOString().slice(0, 10));
  });

  it('refuses scopes beyond the creator\'s and says why', async () => {
    const res = await post(bob, '/tokens', { csrf: bobCsrf, name: 'too much', scopes: ['admin'], expiresInDays: '7' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('Requested scopes exceed your own: admin');
  });

  it('escapes HTML in token names everywhere', async () => {
    const name = '<img src=x onerror=alert(1)>"\'';
    const created = await post(bob, '/tokens', { csrf: bobCsrf, name, expiresInDays: '1' });
    expect(created.status).toBe(201);
    for (const page of [created, await bob.request(`${f.base}/restauth/tokens`)]) {
      expect(page.text).not.toContain('<img src=x');
      expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;');
    }
  });

  it('refuses a POST without the CSRF token, with a wrong one, or from another origin', async () => {
    for (const [form, headers] of [
      [{ name: 'x', expiresInDays: '1' }, {}],
      [{ name: 'x', expiresInDays: '1', csrf: aliceCsrf }, {}],
      [{ name: 'x', expiresInDays: '1', csrf: bobCsrf }, { origin: 'https://evil.example' }],
    ] as const) {
      const res = await post(bob, '/tokens', form, headers);
      expect(res.status).toBe(403);
      expect(res.text).toContain('CSRF check failed');
    }
  });
});

describe('admin pages', () => {
  it('refuses a non-admin with a 403 page', async () => {
    for (const path of ['/test', '/audit', '/status']) {
      const res = await bob.request(`${f.base}/restauth${path}`);
      expect(res.status).toBe(403);
      expect(res.text).toContain('Admins only');
    }
    expect((await post(bob, '/test', { csrf: bobCsrf, token: 'x', method: 'GET', path: '/' })).status).toBe(403);
    expect((await bob.request(`${f.base}/restauth/tokens`)).text).not.toContain('href="/restauth/audit"');
  });

  it('tests a valid token: the trace, the decoded claims and the attribute finder', async () => {
    const token = await f.idp.userToken('carol');
    const res = await post(alice, '/test', { csrf: aliceCsrf, token, method: 'DELETE', path: '/api/items/1' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Allowed');
    expect(res.text).toMatch(/<code>verify<\/code><\/td><td class="pass">pass/);
    expect(res.text).toContain('<code>preferred_username</code> <span class="badge">configured</span> <span class="badge">best fit</span>');
    expect(res.text).toMatch(/<code>groups<\/code>.*users, auditors/);
    expect(res.text).not.toContain(token);
  });

  it('shows "expired" on the trace of an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await f.idp.signJwt({ iss: f.idp.issuer, aud: 'api', sub: 'alice', preferred_username: 'alice', groups: ['users'], iat: now - 7200, exp: now - 3600 });
    const res = await post(alice, '/test', { csrf: aliceCsrf, token, method: 'GET', path: '/api/items' });
    expect(res.text).toContain('Refused');
    expect(res.text).toMatch(/<td class="fail">fail<\/td><td>[^<]*expired/);
    expect(res.text).toContain('EXPIRED');
  });

  it('says what an API token and an opaque token are, and refuses 1 MiB', async () => {
    const apiToken = await post(alice, '/test', { csrf: aliceCsrf, token: 'rat_notarealtoken', method: 'GET', path: '/api/items' });
    expect(apiToken.text).toContain('A restauth API token');
    const opaque = await post(alice, '/test', { csrf: aliceCsrf, token: await f.idp.opaqueUserToken('bob'), method: 'GET', path: '/api/items' });
    expect(opaque.text).toContain('Not a JWT');
    const huge = await post(alice, '/test', { csrf: aliceCsrf, token: 'a'.repeat(1024 * 1024), method: 'GET', path: '/' });
    expect(huge.status).toBe(413);
    expect(huge.text).toContain('Nothing was kept');
  });

  it('lists audit events with filters and pages, from the file sink', async () => {
    await f.api('/api/items');
    await f.api('/api/secret-area', await f.idp.userToken('eve'));
    let page: Answer | undefined;
    for (let i = 0; i < 50; i++) {
      page = await alice.request(`${f.base}/restauth/audit?decision=deny&path=%2Fapi%2Fsecret`);
      if (page.text.includes('/api/secret-area')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(page?.status).toBe(200);
    expect(page?.text).toContain('<code>GET /api/secret-area</code>');
    expect(page?.text).toContain('eve');
    expect(page?.text).not.toContain('<code>GET /api/items</code>');
    const trail = await readFile(f.auditFile, 'utf8');
    expect(trail).not.toMatch(/rat_|eyJ/);
  });

  it('says clearly when the sink cannot be queried', async () => {
    const g = await startConsoleFixture();
    try {
      // stdout sink: events are not kept where the console can read them
      await g.auth.reload({ ...g.auth.config, audit: { ...g.auth.config.audit, sink: { type: 'stdout' } } });
      const b = new HttpBrowser();
      await b.signIn(`${g.base}/restauth/tokens`, 'alice');
      const res = await b.request(`${g.base}/restauth/audit`);
      expect(res.text).toContain('The audit sink is &quot;stdout&quot;: its events are not kept where the console can read them.');
    } finally {
      await g.close();
    }
  });

  it('shows status: providers, stores and the config with every secret redacted', async () => {
    const res = await alice.request(`${f.base}/restauth/status`);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<td>local<\/td><td><span class="(ok|degraded)">/);
    expect(res.text).toContain('apiTokens');
    expect(res.text).toContain('&quot;issuer&quot;');
  });
});
