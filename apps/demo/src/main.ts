/**
 * `npm run demo`: starts the local OpenID provider and the Express example, walks through real
 * calls printing each request and response, then leaves both running with curl lines to paste.
 * DEMO_EXIT=1 ends after the tour (used by the demo's own test). IDP_PORT (default 8400) and PORT
 * (default 3000) choose the ports; a busy default is replaced by a free port, and said so.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run as restauthCli } from '@restauth/cli';
import { startIdp, TEST_USER_GRANT_TYPE, TEST_USERS } from '@restauth/testing';

const color = process.stdout.isTTY && !process.env['NO_COLOR'];
const paint = (code: number) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint(1);
const dim = paint(2);
const green = paint(32);
const red = paint(31);
const yellow = paint(33);

const exampleDir = fileURLToPath(new URL('../../express-example', import.meta.url));
const appHost = process.env['HOST'] ?? '127.0.0.1';
const TOKEN_TTL_SEC = 3600; // long enough to paste the printed token for a while
// The console (@restauth/console) signs people in at the IdP's login page; a loopback redirect URI matches any port.
const CONSOLE_CLIENT = { clientId: 'restauth-console', clientSecret: 'demo-console-secret', redirectUris: ['http://127.0.0.1/restauth/callback'] };
const idpOptions = { audience: 'api', accessTokenTtlSec: TOKEN_TTL_SEC, loginClients: [CONSOLE_CLIENT] };
/** Who may sign in to the console (the users group), with their IdP passwords. */
const DEMO_USERS = Object.values(TEST_USERS)
  .filter((u) => u.groups.includes('users'))
  .map((u) => `${u.username} / ${u.password}${u.groups.includes('admins') ? ' (admin)' : ''}`)
  .join(', ');

/** A port from the environment (`explicit`), or the default. */
function portSetting(name: string, fallback: number): { port: number; explicit: boolean } {
  const value = process.env[name];
  if (value === undefined || value === '') return { port: fallback, explicit: false };
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a port number from 1 to 65535, not "${value}".`);
  return { port, explicit: true };
}

/** Binds `port` (0: any free one) for a moment; the port, or undefined when it is taken. */
function tryPort(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(undefined) : reject(e)));
    server.listen(port, host, () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

const isBusy = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
const busyNote = (what: string, port: number, used: number, name: string) =>
  yellow(`  port ${port} is busy: ${what} uses the free port ${used} instead (set ${name} to choose one)`);

async function main(): Promise<void> {
  const notes: string[] = [];
  const idpSetting = portSetting('IDP_PORT', 8400);
  const appSetting = portSetting('PORT', 3000);
  const idp = await startIdp({ ...idpOptions, port: idpSetting.port }).catch(async (e: Error) => {
    if (!isBusy(e) || idpSetting.explicit) {
      throw new Error(`Could not start the local IdP on port ${idpSetting.port} (${e.message}). Set IDP_PORT to another port.`);
    }
    const fallback = await startIdp(idpOptions);
    notes.push(busyNote('the local OpenID provider', idpSetting.port, fallback.port, 'IDP_PORT'));
    return fallback;
  });
  let appPort = appSetting.port;
  if ((await tryPort(appPort, appHost)) === undefined) {
    if (appSetting.explicit) {
      await idp.close();
      throw new Error(`PORT=${appPort} is busy: set PORT to a free port, or leave it unset to let the demo pick one.`);
    }
    appPort = (await tryPort(0, appHost))!;
    notes.push(busyNote('the Express example', appSetting.port, appPort, 'PORT'));
  }
  // The issuer URL holds the IdP's port: the example's config follows the port actually used.
  const config = JSON.parse(readFileSync(join(exampleDir, 'restauth.config.json'), 'utf8'));
  config.providers[0].issuer = idp.issuer;
  const auditFile = join(tmpdir(), `restauth-demo-${process.pid}-audit.log`);
  config.audit = { enabled: true, sink: { type: 'file', path: auditFile } };
  config.console = {
    login: { issuer: idp.issuer, clientId: CONSOLE_CLIENT.clientId, clientSecret: CONSOLE_CLIENT.clientSecret, scopes: ['openid', 'profile', 'email', 'items:read', 'items:write'] },
    adminGroups: ['admins'],
    secureCookies: false, // the demo is plain HTTP on 127.0.0.1
  };
  const configFile = join(tmpdir(), `restauth-demo-${process.pid}.json`);
  writeFileSync(configFile, JSON.stringify(config, null, 2));

  const app = spawn(process.execPath, ['dist/main.js'], {
    cwd: exampleDir,
    env: { ...process.env, PORT: String(appPort), RESTAUTH_CONFIG: configFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    app.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve();
    });
    app.once('exit', (code) => reject(new Error(`the Express example exited with ${code}: is port ${appPort} free? Set PORT to another port.`)));
  });
  const base = `http://127.0.0.1:${appPort}`;
  const stop = async () => {
    app.kill('SIGTERM');
    await idp.close();
  };

  const where = () => {
    console.log(`  local OpenID provider  ${idp.issuer}   (oidc-provider, users alice, bob, carol, eve)`);
    console.log(`  Express example        ${base}   (policy: apps/express-example/restauth.config.json, issuer: the IdP above)`);
    console.log(`  restauth console       ${base}/restauth   (sign in as ${DEMO_USERS})`);
  };
  console.log(bold('\nrestauth demo'));
  for (const note of notes) console.log(note);
  where();
  console.log('');

  const tokens = {
    alice: await idp.userToken('alice'),
    bob: await idp.userToken('bob', { scope: 'items:read' }),
    carol: await idp.userToken('carol'),
    eve: await idp.userToken('eve'),
    tampered: '',
  };
  // Same signature, payload edited to claim the admins group: the signature no longer matches.
  const [h, p, sig] = tokens.alice.split('.') as [string, string, string];
  const claims = { ...JSON.parse(Buffer.from(p, 'base64url').toString()), groups: ['users', 'admins', 'root'] };
  tokens.tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
  type Who = keyof typeof tokens;

  let failures = 0;
  async function step(title: string, method: string, path: string, who: Who | undefined, expect: number, body?: unknown): Promise<void> {
    const headers: Record<string, string> = {};
    if (who) headers['authorization'] = `Bearer ${tokens[who]}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    const ok = res.status === expect;
    if (!ok) failures++;
    console.log(`${bold(title)}`);
    console.log(dim(`  ${method} ${path}${who ? `   (token of ${who})` : '   (no token)'}${body ? `   ${JSON.stringify(body)}` : ''}`));
    const status = res.status < 300 ? green(String(res.status)) : res.status < 500 ? yellow(String(res.status)) : red(String(res.status));
    console.log(`  → ${status}${ok ? '' : red(`  (expected ${expect})`)}`);
    for (const h of ['www-authenticate', 'ratelimit-remaining']) {
      const v = res.headers.get(h);
      if (v) console.log(dim(`    ${h}: ${v}`));
    }
    if (text) console.log(`    ${text.length > 300 ? text.slice(0, 300) + '…' : text}`);
    console.log('');
  }

  await step('1. The health check is bypassed', 'GET', '/health', undefined, 200);
  await step('2. No token: 401 with an RFC 6750 challenge', 'GET', '/api/items', undefined, 401);
  await step('3. A valid token from the IdP: 200', 'GET', '/api/items', 'alice', 200);
  await step('4. Who am I?', 'GET', '/api/me', 'alice', 200);
  await step('5. A user outside the allowed group: 403', 'GET', '/api/items', 'eve', 403);
  await step('6. A read-only (auditors) member may not write: 403', 'POST', '/api/items', 'carol', 403, { name: 'x' });
  await step('7. A token without the items:write scope: 403 insufficient_scope', 'POST', '/api/items', 'bob', 403, { name: 'x' });
  await step('8. With the scope: 201', 'POST', '/api/items', 'alice', 201, { name: 'demo item' });
  await step('9. Deleting needs the admins group: 403 for bob', 'DELETE', '/api/items/1', 'bob', 403);
  await step('10. …and 204 for alice (admins)', 'DELETE', '/api/items/1', 'alice', 204);
  await step('11. A route the app declares public: anonymous is fine', 'GET', '/public/info', undefined, 200);
  await step('12. A tampered token: 401', 'GET', '/api/items', 'tampered', 401);

  // The audit trail of the tour: one JSON line per decision, written off the request path.
  await new Promise((r) => setTimeout(r, 300));
  console.log(bold('The audit trail of this tour') + dim(` (${auditFile}, one JSON line per decision; never a token):`));
  const lines = existsSync(auditFile) ? readFileSync(auditFile, 'utf8').trim().split('\n') : [];
  for (const line of lines) {
    const e = JSON.parse(line) as Record<string, unknown>;
    const who = e['username'] ?? 'anonymous';
    console.log(`  ${String(e['method']).padEnd(6)} ${String(e['path']).padEnd(16)} ${String(e['status'])} ${String(e['decision']).padEnd(5)} ${String(e['reason']).padEnd(13)} ${who}`);
  }
  if (!lines.length) failures++;
  console.log('');

  console.log(bold('Test a token before you blame the gate:') + dim(` restauth test-token --config <file> --method DELETE --path /api/items/2 <bob's token>`));
  const verdict = await restauthCli(['test-token', '--config', configFile, '--method', 'DELETE', '--path', '/api/items/2', tokens.bob]);
  if (verdict !== 1) failures++; // bob is not in admins: the rule denies, exit code 1
  console.log('');

  const tokenCurl = (user: string) =>
    `curl -s -u restauth-test:restauth-test-secret -d grant_type=${TEST_USER_GRANT_TYPE} -d username=${user} -d resource=urn:restauth:audience:api ${idp.tokenEndpoint}`;
  const fresh = await idp.userToken('alice');
  console.log(bold('Try it yourself') + dim(' (both servers keep running until Ctrl-C):'));
  for (const note of notes) console.log(note);
  where();
  console.log(dim(`  with alice's token, valid for ${TOKEN_TTL_SEC / 60} minutes:`));
  console.log(`  curl -i -H "Authorization: Bearer ${fresh}" ${base}/api/me`);
  console.log(dim('  or get a token yourself, then call the API:'));
  console.log(`  TOKEN=$(${tokenCurl('alice')} | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`);
  console.log(`  curl -i ${base}/api/items`);
  console.log(`  curl -i -H "Authorization: Bearer $TOKEN" ${base}/api/items`);
  console.log(`  curl -i -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"name":"mine"}' ${base}/api/items`);
  console.log(`  curl -i -H "Authorization: Bearer $TOKEN" ${base}/api/me`);
  console.log(dim(`  (users: alice, bob, carol, eve; edit apps/express-example/restauth.config.json and re-run to change the policy)\n`));

  if (failures) console.log(red(`${failures} step(s) did not answer as expected.`));
  if (process.env['DEMO_EXIT'] === '1') {
    await stop();
    process.exitCode = failures ? 1 : 0;
    return;
  }
  const shutdown = () => void stop().then(() => process.exit(0));
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((e: Error) => {
  console.error(red(e.message));
  process.exit(1);
});
