import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsole } from './console.js';
import { CONSOLE_CLIENT, startConsoleFixture, type ConsoleFixture } from './fixture.test-helper.js';
import { HttpBrowser, inputValue } from './http-browser.test-helper.js';
import { safeReturnTo } from './request.js';
import { CSP } from './html.js';

let f: ConsoleFixture;
let alice: HttpBrowser;
beforeAll(async () => {
  f = await startConsoleFixture();
  alice = new HttpBrowser();
  await alice.signIn(`${f.base}/restauth/tokens`, 'alice');
});
afterAll(() => f?.close());

describe('sign-in', () => {
  it('signs alice in through the IdP login page, with an HttpOnly, SameSite=Lax, expiring session cookie', async () => {
    const b = new HttpBrowser();
    const start = await b.request(`${f.base}/restauth/tokens`, { follow: false });
    expect(start.status).toBe(303);
    expect(start.headers.get('location')).toBe('/restauth/login?returnTo=%2Frestauth%2Ftokens');
    const login = await b.request(`${f.base}/restauth/login?returnTo=%2Frestauth%2Ftokens`, { follow: false });
    const flowCookie = login.headers.getSetCookie()[0] ?? '';
    expect(flowCookie).toMatch(/^restauth_console_flow=[\w-]+\.[\w-]+; Path=\/restauth; Max-Age=600; HttpOnly; SameSite=Lax$/);
    const to = new URL(login.headers.get('location') ?? '');
    expect(to.origin).toBe(new URL(f.idp.issuer).origin);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('redirect_uri')).toBe(`${f.base}/restauth/callback`);

    const page = await b.signIn(`${f.base}/restauth/tokens`, 'alice');
    expect(page.status).toBe(200);
    expect(page.url).toBe(`${f.base}/restauth/tokens`);
    expect(page.text).toContain('Signed in as <strong>alice</strong> (admin)');
    expect(page.headers.get('content-security-policy')).toBe(CSP);
    expect(page.headers.get('cache-control')).toBe('no-store');
    // the API scopes granted at sign-in are the ones offered for tokens
    expect(page.text).toMatch(/value="items:read" checked/);
  });

  it('refuses a wrong password on the IdP page', async () => {
    const page = await new HttpBrowser().signIn(`${f.base}/restauth/tokens`, 'bob', 'wrong');
    expect(page.text).toContain('Wrong username or password.');
  });

  it('refuses a person outside policy.allowGroups', async () => {
    const page = await new HttpBrowser().signIn(`${f.base}/restauth/tokens`, 'eve');
    expect(page.status).toBe(403);
    expect(page.text).toContain('eve is not in a group the access policy allows');
  });

  it('sets Secure cookies unless told otherwise', async () => {
    const secure = createConsole(f.auth, { login: { issuer: f.idp.issuer, clientId: CONSOLE_CLIENT.clientId, clientSecret: CONSOLE_CLIENT.clientSecret }, prefix: '/secure' });
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => void secure(req, res));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/secure/login`, { redirect: 'manual' });
      expect(res.headers.getSetCookie()[0]).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
    } finally {
      server.close();
    }
  });

  it('logs out: the cookie is cleared and pages ask for sign-in again', async () => {
    const b = new HttpBrowser();
    const page = await b.signIn(`${f.base}/restauth/tokens`, 'bob');
    const csrf = inputValue(page.text, 'csrf') as string;
    const out = await b.request(`${f.base}/restauth/logout`, { method: 'POST', form: { csrf } });
    expect(out.status).toBe(200);
    expect(out.text).toContain('You are signed out');
    expect(out.text).toContain(`href="${f.idp.issuer}/session/end?client_id=restauth-console"`);
    expect(b.cookie(new URL(f.base).origin, 'restauth_console')).toBeUndefined();
    const again = await b.request(`${f.base}/restauth/tokens`, { follow: false });
    expect(again.status).toBe(303);
  });
});

describe('bad input at sign-in', () => {
  it('treats a forged session cookie as signed out', async () => {
    const b = new HttpBrowser();
    const origin = new URL(f.base).origin;
    const real = alice.cookie(origin, 'restauth_console') as string;
    const [body, mac] = real.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    claims.p.username = 'mallory';
    b.setCookie(origin, 'restauth_console', `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`);
    const res = await b.request(`${f.base}/restauth/status`, { follow: false });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/restauth\/login\?returnTo=/);
    const post = await b.request(`${f.base}/restauth/tokens`, { method: 'POST', form: { name: 'x' } });
    expect(post.status).toBe(401);
  });

  it('treats an expired session cookie as signed out', async () => {
    let now = Date.now();
    const g = await startConsoleFixture({ now: () => now, sessionTtlSec: 60 });
    try {
      const b = new HttpBrowser();
      expect((await b.signIn(`${g.base}/restauth/tokens`, 'alice')).status).toBe(200);
      now += 61_000;
      const res = await b.request(`${g.base}/restauth/tokens`, { method: 'POST', form: { name: 'late' } });
      expect(res.status).toBe(401);
      expect(res.text).toContain('Your session has expired.');
    } finally {
      await g.close();
    }
  });

  it('refuses a callback whose state does not match, or without the flow cookie', async () => {
    const b = new HttpBrowser();
    await b.request(`${f.base}/restauth/login`, { follow: false });
    const wrong = await b.request(`${f.base}/restauth/callback?code=abc&state=forged`);
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('Sign-in failed');
    expect(wrong.text).not.toMatch(/at \w+ \(|node_modules/);
    const none = await new HttpBrowser().request(`${f.base}/restauth/callback?code=abc&state=x`);
    expect(none.status).toBe(400);
    expect(none.text).toContain('was not started in this browser');
  });

  it('refuses a replayed callback (the flow cookie is spent)', async () => {
    const b = new HttpBrowser();
    const login = await b.request(`${f.base}/restauth/login`, { follow: false });
    const idpPage = await b.request(login.headers.get('location') as string);
    const action = /action="([^"]+)"/.exec(idpPage.text)?.[1] as string;
    // stop at the redirect back to the console to keep the callback URL
    let res = await b.request(new URL(action, idpPage.url).href, { method: 'POST', form: { username: 'bob', password: 'bob-password' }, follow: false });
    while (!(res.headers.get('location') ?? '').includes('/restauth/callback')) res = await b.request(new URL(res.headers.get('location') as string, res.url).href, { follow: false });
    const callback = new URL(res.headers.get('location') as string, res.url).href;
    expect((await b.request(callback)).status).toBe(200);
    const replay = await new HttpBrowser().request(callback);
    expect(replay.status).toBe(400);
  });

  it('shows a clear page when the IdP is down', async () => {
    const down = createConsole(f.auth, { secureCookies: false, prefix: '/down', login: { issuer: 'http://127.0.0.1:9/realm', clientId: 'c', clientSecret: 's' } });
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => void down(req, res));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/down/login`, { redirect: 'manual' });
      const text = await res.text();
      expect(res.status).toBe(503);
      expect(text).toContain('The identity provider at http://127.0.0.1:9/realm cannot be reached');
      expect(text).not.toMatch(/at \w+ \(|node_modules/);
    } finally {
      server.close();
    }
  });

  it('keeps returnTo inside the console (no open redirect)', async () => {
    for (const evil of ['https://evil.example/', '//evil.example/restauth/', '/restauth/../../evil', '/\\evil.example', '/restauth//evil.example', 'javascript:alert(1)', '/other']) {
      expect(safeReturnTo(evil, '/restauth')).toBe('/restauth/');
    }
    expect(safeReturnTo('/restauth/audit?decision=deny', '/restauth')).toBe('/restauth/audit?decision=deny');
    const b = new HttpBrowser();
    const page = await b.signIn(`${f.base}/restauth/login?returnTo=${encodeURIComponent('https://evil.example/')}`, 'bob');
    expect(page.url).toBe(`${f.base}/restauth/tokens`);
  });
});
