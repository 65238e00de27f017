import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRestAuth, type RestAuth, type RestAuthConfig } from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';
import { startIdp, type TestIdp } from '@restauth/testing';
import { createConsole, type RestAuthConsole } from './console.js';
import type { ConsoleOptions } from './options.js';

/** The console's client at the test IdP (a loopback redirect URI: any port). */
export const CONSOLE_CLIENT = { clientId: 'restauth-console', clientSecret: 'console-secret', redirectUris: ['http://127.0.0.1/restauth/callback'] };

export interface ConsoleFixture {
  readonly idp: TestIdp;
  readonly auth: RestAuth;
  readonly console: RestAuthConsole;
  /** `http://127.0.0.1:<port>`: the console under /restauth, everything else behind the gate. */
  readonly base: string;
  readonly auditFile: string;
  /** Calls the API behind the gate with a bearer token, as curl would. */
  api(path: string, token?: string, method?: string): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

/** A local IdP, a gate with API tokens and a file audit sink, and the console in front of it, over real HTTP. */
export async function startConsoleFixture(options: ConsoleOptions = {}): Promise<ConsoleFixture> {
  const idp = await startIdp({ audience: 'api', loginClients: [CONSOLE_CLIENT] });
  const auditFile = join(mkdtempSync(join(tmpdir(), 'restauth-console-')), 'audit.log');
  const config: RestAuthConfig = {
    realm: 'console-test',
    providers: [{ name: 'local', type: 'jwt', issuer: idp.issuer, audience: 'api', discovery: true }],
    policy: { allowGroups: ['users'] },
    apiTokens: { enabled: true, adminGroups: ['admins'] },
    audit: { enabled: true, sink: { type: 'file', path: auditFile } },
  };
  const auth = createRestAuth(config, { plugins: [jwtPlugin()] });
  const console = createConsole(auth, {
    secureCookies: false,
    login: { issuer: idp.issuer, clientId: CONSOLE_CLIENT.clientId, clientSecret: CONSOLE_CLIENT.clientSecret, scopes: ['openid', 'profile', 'email', 'items:read', 'items:write'] },
    ...options,
  });
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (await console(req, res)) return;
      const decision = await auth.authenticate({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, remoteAddress: req.socket.remoteAddress });
      for (const [k, v] of Object.entries(decision.headers)) res.setHeader(k, v);
      res.writeHead(decision.allowed ? 200 : decision.status, { 'content-type': 'application/json' });
      res.end(decision.allowed ? JSON.stringify({ username: decision.principal?.username ?? null }) : decision.body);
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    idp, auth, console, base, auditFile,
    async api(path, token, method = 'GET') {
      const res = await fetch(base + path, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { status: res.status, body: await res.text() };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
      await auth.close();
      await idp.close();
    },
  };
}
