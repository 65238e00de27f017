import { execFile, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const demoDir = fileURLToPath(new URL('..', import.meta.url));
const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});
/** Holds `port` for the test; undefined when something else holds it already (busy either way). */
const occupy = (port: number) => new Promise<Server | undefined>((resolve, reject) => {
  const s = createServer();
  s.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(undefined) : reject(e)));
  s.listen(port, '127.0.0.1', () => resolve(s));
});
/** The environment without the demo's port settings. */
function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of names) delete env[name];
  return env;
}
const realTokenCurl = /curl -i -H "Authorization: Bearer ([\w-]+\.[\w-]+\.[\w-]+)" (http:\/\/127\.0\.0\.1:(\d+)\/api\/me)/;

// The two runs are independent (the first holds the defaults, the second sets free ports): concurrent keeps the file quick.
describe.concurrent('npm run demo', () => {
  it('walks the whole tour on the ports PORT and IDP_PORT name', async () => {
    const [idpPort, port] = await Promise.all([freePort(), freePort()]);
    const { stdout } = await run(process.execPath, ['dist/main.js'], {
      cwd: demoDir,
      env: { ...envWithout(), DEMO_EXIT: '1', IDP_PORT: String(idpPort), PORT: String(port) },
      timeout: 60_000,
    });
    expect(stdout).not.toMatch(/expected \d{3}/);
    expect(stdout).not.toContain('is busy');
    for (const line of ['→ 401', '→ 200', '→ 403', '→ 201', '→ 204', 'insufficient_scope', 'Try it yourself', `http://127.0.0.1:${port}/api/items`]) {
      expect(stdout).toContain(line);
    }
    expect(stdout).toContain(`local OpenID provider  http://127.0.0.1:${idpPort}`);
    expect(stdout).toContain(`Express example        http://127.0.0.1:${port}`);
    expect(stdout).toContain(`restauth console       http://127.0.0.1:${port}/restauth   (sign in as alice / alice-password (admin), bob / bob-password, carol / carol-password)`);
    expect(stdout).toMatch(realTokenCurl);
    expect(stdout).toContain('www-authenticate: Bearer realm="restauth-demo"');
    expect(stdout).toContain('The audit trail of this tour');
    expect(stdout).toMatch(/DELETE \/api\/items\/1 +403 deny +rule +bob/);
    expect(stdout).toMatch(/GET +\/api\/items +403 deny +allowGroups +eve/);
    expect(stdout).toContain('restauth test-token');
    expect(stdout).toMatch(/deny/i);
  }, 90_000);

  it('refuses a busy port it was told to use, naming it', async () => {
    const port = await freePort();
    const held = await occupy(port);
    try {
      const failed = await run(process.execPath, ['dist/main.js'], { cwd: demoDir, env: { ...envWithout('IDP_PORT'), PORT: String(port) }, timeout: 30_000 })
        .then(() => undefined, (e: { code: number; stderr: string }) => e);
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toContain(`PORT=${port} is busy: set PORT to a free port, or leave it unset to let the demo pick one.`);
    } finally {
      await new Promise((resolve) => held!.close(resolve));
    }
  }, 60_000);

  it('moves to free ports when 3000 and 8400 are busy, says so, and its curl line answers', async () => {
    const held = await Promise.all([occupy(3000), occupy(8400)]);
    const demo = spawn(process.execPath, ['dist/main.js'], { cwd: demoDir, env: envWithout('PORT', 'IDP_PORT', 'DEMO_EXIT'), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      // Without DEMO_EXIT the demo keeps serving after the tour: read up to the end of its curl lines.
      const stdout = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        demo.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('(users: alice')) resolve(out);
        });
        demo.stderr.on('data', (d: Buffer) => { err += d.toString(); });
        demo.once('exit', (code) => reject(new Error(`the demo exited with ${code}: ${err}${out}`)));
      });
      expect(stdout).toMatch(/port 8400 is busy: the local OpenID provider uses the free port \d+ instead \(set IDP_PORT to choose one\)/);
      expect(stdout).toMatch(/port 3000 is busy: the Express example uses the free port \d+ instead \(set PORT to choose one\)/);
      const idpPort = /the local OpenID provider uses the free port (\d+)/.exec(stdout)![1];
      const appPort = /the Express example uses the free port (\d+)/.exec(stdout)![1];
      expect(stdout).toContain(`local OpenID provider  http://127.0.0.1:${idpPort}`);
      expect(stdout).toContain(`Express example        http://127.0.0.1:${appPort}`);
      expect(stdout).not.toMatch(/expected \d{3}/);
      const [, token, url, curlPort] = realTokenCurl.exec(stdout)!;
      expect(curlPort).toBe(appPort);
      // The printed line works as printed: the app trusts the IdP on its fallback port.
      const res = await fetch(url!, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ username: 'alice', provider: 'local' });
      expect((await fetch(url!)).status).toBe(401);
      // The console it prints sends a browser to the IdP's authorization endpoint as its registered client.
      expect(stdout).toContain(`restauth console       http://127.0.0.1:${appPort}/restauth   (sign in as alice / alice-password (admin)`);
      const login = await fetch(`http://127.0.0.1:${appPort}/restauth/login`, { redirect: 'manual' });
      expect(login.status).toBe(303);
      const authorize = new URL(login.headers.get('location')!);
      expect(authorize.origin).toBe(`http://127.0.0.1:${idpPort}`);
      expect(authorize.searchParams.get('client_id')).toBe('restauth-console');
      expect(authorize.searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${appPort}/restauth/callback`);
      const idpAnswer = await fetch(authorize, { redirect: 'manual' });
      expect(idpAnswer.status).toBe(303); // on to the IdP's login page: client and redirect URI accepted
      expect(idpAnswer.headers.get('location')).toMatch(/\/interaction\/[\w-]+$/);
    } finally {
      if (demo.exitCode === null && demo.signalCode === null) {
        const exited = new Promise((resolve) => demo.once('exit', resolve));
        demo.kill('SIGTERM');
        await exited;
      }
      await Promise.all(held.map((s) => new Promise((resolve) => (s ? s.close(resolve) : resolve(undefined)))));
    }
  }, 90_000);
});
