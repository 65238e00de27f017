import { describe, expect, it } from 'vitest';
import { startIdp } from './idp.js';

// The full sign-in through the login page runs in @restauth/console's tests and in Chromium.
describe('login clients', () => {
  it('needs a secret and a redirect URI', async () => {
    await expect(startIdp({ loginClients: [{ clientId: 'c', clientSecret: 's', redirectUris: [] }] })).rejects.toThrow('startIdp: options.loginClients[0] needs clientId, clientSecret and at least one redirect URI');
  });

  it('sends a browser with a valid authorization request to the login page, and refuses an unknown redirect URI', async () => {
    const idp = await startIdp({ loginClients: [{ clientId: 'web', clientSecret: 'web-secret', redirectUris: ['http://127.0.0.1/cb'] }] });
    try {
      const authorize = (redirect: string) => fetch(`${idp.issuer}/auth?${new URLSearchParams({
        client_id: 'web', response_type: 'code', scope: 'openid', redirect_uri: redirect, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256',
      })}`, { redirect: 'manual' });
      const ok = await authorize('http://127.0.0.1:45678/cb'); // any loopback port
      expect(ok.status).toBe(303);
      const page = await fetch(new URL(ok.headers.get('location')!, idp.issuer), { headers: { cookie: ok.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') } });
      const html = await page.text();
      expect(html).toContain('<label for="password">Password</label>');
      expect(html).toContain('<strong>web</strong>');
      expect((await authorize('https://evil.example/cb')).status).toBe(400);
    } finally {
      await idp.close();
    }
  });
});
