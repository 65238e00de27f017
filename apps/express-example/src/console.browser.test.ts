/// <reference lib="dom" />
// The restauth console in a real browser (Debian's chromium, driven by playwright-core) against
// this example app and the local IdP's real login page. One browser for the file, one page per
// person. UPDATE_SCREENSHOTS=1 also writes the screenshots of docs/console.md.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exampleAppConfig, startIdp, type TestIdp } from '@restauth/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = process.env['UPDATE_SCREENSHOTS'] === '1' ? fileURLToPath(new URL('../../../docs/console/', import.meta.url)) : undefined;
const CLIENT = { clientId: 'restauth-console', clientSecret: 'console-secret', redirectUris: ['http://127.0.0.1/restauth/callback'] };

let idp: TestIdp;
let server: Server;
let base: string;
let browser: Browser;
let alice: Page;
let bob: Page;
let close: () => Promise<void>;

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Signs in through the IdP's login page, starting from a console page. */
async function signIn(page: Page, username: string, screenshot?: string): Promise<void> {
  await page.goto(`${base}/restauth/tokens`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(`${username}-password`);
  if (screenshot) await shot(page, screenshot);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/restauth/tokens`);
}

const api = async (path: string, token: string) => (await fetch(base + path, { headers: { authorization: `Bearer ${token}` } })).status;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium package (.ci/run does) or set CHROMIUM_PATH`);
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  idp = await startIdp({ audience: 'api', loginClients: [CLIENT] });
  const auditFile = join(mkdtempSync(join(tmpdir(), 'console-browser-')), 'audit.log');
  const { app, auth } = createApp({
    ...exampleAppConfig(idp, 'express-example'),
    apiTokens: { enabled: true, adminGroups: ['admins'] },
    audit: { enabled: true, sink: { type: 'file', path: auditFile } },
    console: {
      login: { issuer: idp.issuer, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, scopes: ['openid', 'profile', 'email', 'items:read', 'items:write'] },
      adminGroups: ['admins'],
      secureCookies: false,
    },
  });
  await new Promise<void>((resolve) => { server = app.listen(0, '127.0.0.1', () => resolve()); });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const context = (name: string) => browser.newContext({ viewport: { width: 1100, height: 800 }, baseURL: base }).then(async (c) => {
    await c.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const page = await c.newPage();
    page.on('dialog', (d) => void d.accept());
    page.setDefaultTimeout(30_000);
    return Object.assign(page, { who: name });
  });
  [alice, bob] = await Promise.all([context('alice'), context('bob')]);
  close = async () => {
    await browser?.close();
    server?.closeAllConnections();
    server?.close();
    await auth.close();
    await idp?.close();
  };
}, 60_000);

afterAll(() => close?.());

describe('restauth console in Chromium', { timeout: 120_000 }, () => {
  it('signs in through the IdP login page; creates, copies, uses and revokes a token', async () => {
    await signIn(alice, 'alice', 'sign-in');
    await expect(alice.getByRole('heading', { name: 'My API tokens' }).isVisible()).resolves.toBe(true);
    await alice.getByLabel(/^Name/).fill('nightly export');
    await alice.getByLabel('Expires in days').fill('30');
    await alice.getByRole('button', { name: 'Create token' }).click();
    await alice.getByRole('heading', { name: 'Token created' }).waitFor();
    const secret = await alice.locator('#secret').inputValue();
    expect(secret).toMatch(/^rat_/);
    expect(alice.url()).not.toContain(secret);
    // the copy button works under the strict CSP (the script is the package's file, not inline)
    await alice.getByRole('button', { name: 'Copy' }).click();
    await alice.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await alice.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await shot(alice, 'token-created');

    expect(await api('/api/items', secret)).toBe(200);
    await alice.getByRole('link', { name: 'Back to my tokens' }).click();
    await shot(alice, 'tokens');
    await alice.getByRole('link', { name: 'Revoke', exact: true }).first().click(); // in her own list (the admin list follows)
    await alice.getByRole('button', { name: 'Revoke nightly export' }).click(); // the confirm dialog is accepted
    await alice.getByText('The token is revoked').waitFor();
    expect(await api('/api/items', secret)).toBe(401);
  });

  it('tests an expired token: "expired" on the trace', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await idp.signJwt({ iss: idp.issuer, aud: 'api', sub: 'bob', preferred_username: 'bob', groups: ['users'], azp: 'restauth-test', iat: now - 7200, exp: now - 60 });
    await alice.getByRole('link', { name: 'Test a token' }).click();
    await alice.getByLabel('Token').fill(expired);
    await alice.getByLabel('Method').selectOption('DELETE');
    await alice.getByLabel('Path').fill('/api/items/1');
    await alice.getByRole('button', { name: 'Test' }).click();
    await alice.getByRole('heading', { name: 'Checks, in order' }).waitFor();
    const verify = alice.locator('tr', { has: alice.locator('code', { hasText: /^verify$/ }) });
    expect(await verify.innerText()).toMatch(/fail[\s\S]*expired/);
    await shot(alice, 'test-a-token');
  });

  it('shows the audit trail and the status to an admin', async () => {
    // a few decisions for the trail: a bad token, a rule (bob may not delete), a group outside the policy
    await api('/api/items', 'not-a-token');
    await fetch(`${base}/api/items/2`, { method: 'DELETE', headers: { authorization: `Bearer ${await idp.userToken('bob')}` } });
    await api('/api/me', await idp.userToken('eve'));
    await api('/api/me', await idp.userToken('carol'));
    await alice.getByRole('link', { name: 'Audit' }).click();
    await alice.getByLabel('Decision').selectOption('deny');
    await alice.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(async () => {
      await alice.reload();
      return alice.locator('td.deny').count();
    }, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    expect(await alice.locator('td.allow').count()).toBe(0); // the filter keeps denials only
    await shot(alice, 'audit');
    await alice.getByRole('link', { name: 'Status' }).click();
    await alice.getByRole('heading', { name: 'Effective configuration' }).waitFor();
    expect(await alice.locator('pre').innerText()).toContain('[redacted]');
    await shot(alice, 'status');
  });

  it('refuses a non-admin on admin pages, and a form without the CSRF token', async () => {
    await signIn(bob, 'bob');
    const res = await bob.goto(`${base}/restauth/audit`);
    expect(res?.status()).toBe(403);
    await expect(bob.getByRole('heading', { name: 'Admins only' }).isVisible()).resolves.toBe(true);
    await shot(bob, 'forbidden');
    await bob.goto(`${base}/restauth/tokens`);
    await bob.locator('form[action="/restauth/tokens"] input[name="csrf"]').evaluate((el) => el.remove());
    await bob.getByLabel(/^Name/).fill('no csrf');
    const [answer] = await Promise.all([bob.waitForResponse((r) => r.request().method() === 'POST'), bob.getByRole('button', { name: 'Create token' }).click()]);
    expect(answer.status()).toBe(403);
    await bob.getByText('CSRF check failed').waitFor();
  });

  it('signs out', async () => {
    await bob.goto(`${base}/restauth/tokens`);
    await bob.getByRole('button', { name: 'Sign out' }).click();
    await bob.getByText('You are signed out').waitFor();
    expect((await bob.context().cookies(base)).map((c) => c.name)).not.toContain('restauth_console');
    // without a session, a page sends the browser to the IdP again (which may still know bob: single sign-on)
    const res = await bob.request.get(`${base}/restauth/tokens`, { maxRedirects: 0 });
    expect(res.status()).toBe(303);
  });

  it('is readable on a phone', async () => {
    await alice.setViewportSize({ width: 390, height: 800 });
    await alice.goto(`${base}/restauth/tokens`);
    const overflow = await alice.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(alice, 'phone');
  });
});
