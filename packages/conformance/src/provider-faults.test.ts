import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startApp, writeConfig, type RunningApp } from './process.js';
import { TARGETS } from './targets.js';

// Provider faults seen by every example app over real HTTP: an introspection endpoint answering
// junk, and a JWKS that is down (connection refused) when the apps start, then comes up.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
let jwksPort: number;
let jwks: Server | undefined;
let junk: Server;
const apps = new Map<string, RunningApp>();

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function jwt(): string {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${b64({ iss: `http://127.0.0.1:${jwksPort}`, aud: 'api', sub: 'alice', preferred_username: 'alice', iat: now, exp: now + 600 })}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

beforeAll(async () => {
  jwksPort = await freePort(); // nothing listens there yet
  junk = createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Sign in</html>'); });
  await new Promise<void>((r) => junk.listen(0, '127.0.0.1', r));
  const junkUrl = `http://127.0.0.1:${(junk.address() as { port: number }).port}`;
  const config = writeConfig('provider-faults', {
    realm: 'faults',
    providers: [
      { name: 'corp', type: 'jwt', issuer: `http://127.0.0.1:${jwksPort}`, audience: 'api', jwksUri: `http://127.0.0.1:${jwksPort}/jwks` },
      { name: 'opaque', type: 'introspection', introspectionEndpoint: `${junkUrl}/introspect`, clientId: 'rs', clientSecret: 'rs-secret' },
    ],
    policy: { bypass: ['GET /health'] },
  });
  await Promise.all(TARGETS.map(async (t) => { apps.set(t.name, await startApp(t, config)); }));
}, 180_000);

afterAll(async () => {
  await Promise.all([...apps.values()].map((a) => a.stop()));
  junk?.closeAllConnections();
  await new Promise<void>((r) => junk?.close(() => r()));
  jwks?.closeAllConnections();
  await new Promise<void>((r) => (jwks ? jwks.close(() => r()) : r()));
});

const me = (app: RunningApp, token: string) => fetch(`${app.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });

describe('provider faults, the same in every framework', () => {
  it('an introspection endpoint answering 200 with HTML is a 503 with Retry-After, not a 401', async () => {
    for (const [name, app] of apps) {
      const res = await me(app, 'some-opaque-token');
      expect(res.status, name).toBe(503);
      expect(res.headers.get('retry-after'), name).toBe('5');
      expect(((await res.json()) as { error?: string }).error, name).toBe('temporarily_unavailable');
    }
  });

  it('apps started while the JWKS was down answer 200 within 5 s of it coming back', async () => {
    const token = jwt();
    for (const [name, app] of apps) expect((await me(app, token)).status, name).toBe(503);
    await new Promise((r) => setTimeout(r, 700));
    jwks = createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })); });
    await new Promise<void>((r) => jwks!.listen(jwksPort, '127.0.0.1', r));
    const upAt = Date.now();
    const recovered = await Promise.all([...apps].map(async ([name, app]) => {
      for (;;) {
        const res = await me(app, token);
        if (res.status === 200) return Date.now() - upAt;
        expect(res.status, name).toBe(503);
        if (Date.now() - upAt > 8000) return Infinity;
        await new Promise((r) => setTimeout(r, 100));
      }
    }));
    for (const ms of recovered) expect(ms).toBeLessThanOrEqual(5000);
  });
});
