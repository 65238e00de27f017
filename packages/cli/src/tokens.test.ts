import { randomUUID } from 'node:crypto';
import { createRestAuth } from '@restauth/core';
import { createPostgresAuditSink, postgresPlugin } from '@restauth/postgres';
import { redisPlugin } from '@restauth/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, deleteRedisKeys, requireServer, restauth, tempDir, writeJson } from './cli-process.test-helper.js';

const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env['DATABASE_URL'] || 'postgres://127.0.0.1:5432/test';
const RUN = `${process.pid}_${randomUUID().slice(0, 8)}`;
const PG_TABLE = `restauth_cli_tokens_${RUN}`.replace(/-/g, '_');

let tmp: { dir: string; remove: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp?.remove());

/** A config whose only provider never gets asked: API tokens are checked against the store. */
function configWith(store: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    providers: [{ name: 'corp', type: 'jwt', issuer: 'https://idp.example', audience: 'api', jwksUri: 'https://idp.example/jwks' }],
    apiTokens: { enabled: true, store, creatorGroups: ['users'], adminGroups: ['admins'], maxLifetimeDays: 365 },
    policy: { rules: [{ match: '/api/admin/**', groups: ['admins'] }] },
    ...extra,
  };
}

describe('restauth tokens: stores it refuses', () => {
  it('refuses the memory store with a clear message (exit 2)', async () => {
    const config = await writeJson(tmp.dir, 'memory.json', configWith({ type: 'memory' }));
    const r = await restauth(['tokens', 'list', '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/apiTokens\.store in \S*memory\.json is "memory": those tokens live inside each running app/);
    expect(r.stderr).toContain('Use a shared store');
    const json = await restauth(['tokens', 'create', '--config', config, '--user', 'a', '--name', 'n', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error.code).toBe('config');
  });

  it('says when API tokens are off (exit 2)', async () => {
    const config = await writeJson(tmp.dir, 'off.json', { providers: [] });
    const r = await restauth(['tokens', 'revoke', 'abc', '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('API tokens are off');
  });

  it('checks its arguments before touching any store (exit 2)', async () => {
    const config = await writeJson(tmp.dir, 'args.json', configWith({ type: 'redis', url: 'redis://127.0.0.1:1' }));
    expect((await restauth(['tokens', 'create', '--config', config, '--name', 'x'])).stderr).toContain('--user is required');
    expect((await restauth(['tokens', 'create', '--config', config, '--user', 'x'])).stderr).toContain('--name is required');
    const days = await restauth(['tokens', 'create', '--config', config, '--user', 'x', '--name', 'n', '--days', 'ten']);
    expect(days.code).toBe(2);
    expect(days.stderr).toContain('--days must be a whole number');
    const both = await restauth(['tokens', 'list', '--config', config, '--user', 'x', '--all']);
    expect(both.code).toBe(2);
    const provider = await restauth(['tokens', 'create', '--config', config, '--user', 'x', '--name', 'n', '--provider', 'github']);
    expect(provider.code).toBe(2);
    expect(provider.stderr).toContain('--provider "github" is not a provider of');
  });
});

const stores = [
  {
    name: 'Redis',
    up: () => requireServer('Redis', REDIS_URL),
    store: { type: 'redis', url: REDIS_URL, keyPrefix: `restauth-cli-test:${RUN}:` },
    plugin: () => redisPlugin(),
    cleanup: () => deleteRedisKeys(REDIS_URL, `restauth-cli-test:${RUN}:`),
  },
  {
    name: 'PostgreSQL',
    up: () => requireServer('PostgreSQL', DATABASE_URL),
    store: { type: 'postgres', url: DATABASE_URL, table: PG_TABLE },
    plugin: () => postgresPlugin(),
    async cleanup() {
      const sink = createPostgresAuditSink({ url: DATABASE_URL, autoMigrate: false, pruneIntervalMs: 0 });
      try {
        await sink.pool.query(`DROP TABLE IF EXISTS "${PG_TABLE}"`);
      } finally {
        await sink.close();
      }
    },
  },
] as const;

for (const s of stores) {
  const up = await s.up();
  describe.skipIf(!up)(`restauth tokens against ${s.name}`, () => {
    let config: string;
    beforeAll(async () => {
      config = await writeJson(tmp.dir, `${s.name}.json`, configWith(s.store));
    });
    afterAll(() => s.cleanup());

    it('creates a token for a user, prints the secret once, and the gate accepts it', async () => {
      const r = await restauth(['tokens', 'create', '--config', config, '--user', 'alice', '--groups', 'users,admins', '--name', 'ci deploy', '--scopes', 'items:read', '--days', '30']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/✔ Created API token "ci deploy" for alice \(corp\)/);
      const secret = /^ {2}(rat_[0-9A-Za-z]+)$/m.exec(r.stdout)?.[1];
      expect(secret).toBeDefined();
      expect(r.stdout.split(secret as string)).toHaveLength(2); // shown exactly once
      expect(r.stdout).toMatch(/expires\s+\S+ \(in 29 days\)|expires\s+\S+ \(in 30 days\)/);
      expect(r.stdout).toContain('Copy the token now: it is not shown again.');
      expect(r.stdout).not.toMatch(ANSI);

      const gate = await restauth(['test-token', '--config', config, secret as string, '--path', '/api/admin/x', '--json']);
      expect(gate.code).toBe(0);
      expect(JSON.parse(gate.stdout).principal).toMatchObject({ username: 'alice', groups: ['users', 'admins'], scopes: ['items:read'], tokenType: 'api-token', provider: 'api-token' });
    });

    it('lists tokens per user and all of them, never a secret', async () => {
      const created = JSON.parse((await restauth(['tokens', 'create', '--config', config, '-u', 'bob', '-g', 'users', '-n', 'laptop', '--json'])).stdout);
      expect(created).toMatchObject({ name: 'laptop', scopes: [], owner: { username: 'bob', provider: 'corp', groups: ['users'] } });
      expect(created.token).toMatch(/^rat_/);

      const bob = await restauth(['tokens', 'list', '--config', config, '--user', 'bob', '--json']);
      expect(bob.code).toBe(0);
      const tokens = JSON.parse(bob.stdout).tokens;
      expect(tokens).toEqual([expect.objectContaining({ id: created.id, name: 'laptop', status: 'active', owner: expect.objectContaining({ username: 'bob', provider: 'corp' }), revokedAt: null })]);
      expect(bob.stdout).not.toContain('rat_');

      const all = await restauth(['tokens', 'list', '--config', config, '--all']);
      expect(all.code).toBe(0);
      expect(all.stdout).toMatch(/^ID\s+NAME\s+OWNER\s+SCOPES\s+STATUS\s+CREATED\s+EXPIRES\s+LAST USED$/m);
      expect(all.stdout).toMatch(new RegExp(`^${created.id}\\s+laptop\\s+bob \\(corp\\)\\s+-\\s+active`, 'm'));
      expect(all.stdout).toMatch(/ci deploy\s+alice \(corp\)\s+items:read\s+active/);
      expect(all.stdout).not.toContain('rat_');
      expect((await restauth(['tokens', 'list', '--config', config, '--user', 'nobody'])).stdout).toContain('No API tokens owned by nobody.');
    });

    it('revokes a token: the gate refuses it at once and the listing says so', async () => {
      const created = JSON.parse((await restauth(['tokens', 'create', '--config', config, '-u', 'carol', '-g', 'users', '-n', 'temp', '--json'])).stdout);
      expect((await restauth(['test-token', '--config', config, created.token])).code).toBe(0);

      const r = await restauth(['tokens', 'revoke', '--config', config, created.id]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`✔ Revoked ${created.id}`);

      const denied = await restauth(['test-token', '--config', config, created.token, '--json']);
      expect(denied.code).toBe(1);
      expect(JSON.parse(denied.stdout)).toMatchObject({ status: 401, reason: 'verify', error: { message: 'API token has been revoked' } });

      const listed = JSON.parse((await restauth(['tokens', 'list', '--config', config, '--user', 'carol', '--json'])).stdout).tokens;
      expect(listed[0]).toMatchObject({ id: created.id, status: 'revoked', revokedAt: expect.any(String) });
      expect(JSON.parse((await restauth(['tokens', 'list', '--config', config, '--user', 'carol', '--active', '--json'])).stdout).tokens).toEqual([]);
    });

    it('exits 1 for an unknown id, and enforces the token policy of the config', async () => {
      const unknown = await restauth(['tokens', 'revoke', '--config', config, 'NoSuchToken00000', '--json']);
      expect(unknown.code).toBe(1);
      expect(JSON.parse(unknown.stdout)).toEqual({ revoked: [], unknown: ['NoSuchToken00000'] });

      const notCreator = await restauth(['tokens', 'create', '--config', config, '--user', 'eve', '--groups', 'guests', '--name', 'x']);
      expect(notCreator.code).toBe(1);
      expect(notCreator.stderr).toContain('Not allowed to create API tokens');

      const tooLong = await restauth(['tokens', 'create', '--config', config, '--user', 'alice', '--groups', 'users', '--name', 'x', '--days', '999']);
      expect(tooLong.code).toBe(2);
      expect(tooLong.stderr).toContain('expiresInDays must be a whole number from 1 to 365');
    });

    it('rolls a token on behalf of its owner: new secret once, the old one works for the grace, then not', async () => {
      const created = JSON.parse((await restauth(['tokens', 'create', '--config', config, '-u', 'dan', '-g', 'users', '-n', 'deploy', '--json'])).stdout);
      const r = await restauth(['tokens', 'roll', '--config', config, created.id, '--grace-sec', '60']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/✔ Rolled API token "deploy" of dan \(corp\)/);
      expect(r.stdout).toMatch(/old secret\s+works until \S+ \(in 1 min\)|old secret\s+works until \S+ \(in 60 s\)|old secret\s+works until/);
      const secret = /^ {2}(rat_[0-9A-Za-z]+)$/m.exec(r.stdout)?.[1] as string;
      expect(secret.slice(4, 20)).toBe(created.id);
      expect(secret).not.toBe(created.token);
      expect(r.stdout.split(secret)).toHaveLength(2);
      expect((await restauth(['test-token', '--config', config, secret])).code).toBe(0);
      expect((await restauth(['test-token', '--config', config, created.token])).code).toBe(0); // within the grace

      const again = await restauth(['tokens', 'roll', '--config', config, created.id, '--json']);
      expect(again.code).toBe(0);
      const rolled = JSON.parse(again.stdout);
      expect(rolled).toMatchObject({ id: created.id, name: 'deploy', graceSec: 0, oldSecretUntil: null, owner: { username: 'dan', provider: 'corp' } });
      expect((await restauth(['test-token', '--config', config, rolled.token])).code).toBe(0);
      for (const old of [secret, created.token]) expect((await restauth(['test-token', '--config', config, old])).code).toBe(1);
    });

    it('roll: exit 1 for an unknown, revoked or expired token, exit 2 for a bad --grace-sec, nothing changed', async () => {
      const created = JSON.parse((await restauth(['tokens', 'create', '--config', config, '-u', 'erin', '-g', 'users', '-n', 'x', '--json'])).stdout);
      for (const grace of ['604801', 'soon', '1.5']) {
        const bad = await restauth(['tokens', 'roll', '--config', config, created.id, `--grace-sec=${grace}`]);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain('--grace-sec must be a whole number from 0 to 604800');
      }
      expect((await restauth(['test-token', '--config', config, created.token])).code).toBe(0);
      const unknown = await restauth(['tokens', 'roll', '--config', config, 'NoSuchToken00000', '--json']);
      expect(unknown.code).toBe(1);
      expect(JSON.parse(unknown.stdout).error).toMatchObject({ code: 'not_found', message: 'No token with id NoSuchToken00000' });
      expect((await restauth(['tokens', 'revoke', '--config', config, created.id])).code).toBe(0);
      const revoked = await restauth(['tokens', 'roll', '--config', config, created.id]);
      expect(revoked.code).toBe(1);
      expect(revoked.stderr).toContain('A revoked token cannot be rolled');
      expect(revoked.stdout).not.toContain('rat_');
    });

    it('shows per-day usage written by the gate, exit 1 for an unknown id, exit 2 for bad --days', async () => {
      const created = JSON.parse((await restauth(['tokens', 'create', '--config', config, '-u', 'finn', '-g', 'users', '-n', 'u', '--json'])).stdout);
      // An app's gate counts its decisions and writes them on close (test-token only explains, counting nothing).
      const app = createRestAuth({ apiTokens: { enabled: true, store: s.store }, policy: configWith(s.store).policy }, { plugins: [s.plugin()] });
      const call = (path: string) => app.authenticate({ method: 'GET', url: path, headers: { authorization: `Bearer ${created.token}` }, remoteAddress: '127.0.0.1' });
      expect((await call('/api/items')).allowed).toBe(true);
      expect((await call('/api/items')).allowed).toBe(true);
      expect((await call('/api/admin/x')).status).toBe(403);
      await app.close();
      const today = new Date().toISOString().slice(0, 10);
      const json = await restauth(['tokens', 'usage', '--config', config, created.id, '--days', '3', '--json']);
      expect(json.code).toBe(0);
      const usage = JSON.parse(json.stdout);
      expect(usage.id).toBe(created.id);
      expect(usage.days).toHaveLength(3);
      expect(usage.days[2]).toEqual({ day: today, allowed: 2, refused: 1 });
      expect(usage.total).toEqual({ allowed: 2, refused: 1 });
      const text = await restauth(['tokens', 'usage', '--config', config, created.id]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^DAY\s+ALLOWED\s+REFUSED$/m);
      expect(text.stdout).toMatch(new RegExp(`^${today}\\s+2\\s+1$`, 'm'));
      expect(text.stdout).toContain('2 allowed, 1 refused in 7 days (UTC)');
      const unknown = await restauth(['tokens', 'usage', '--config', config, 'NoSuchToken00000']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('No token with id NoSuchToken00000');
      for (const days of ['0', '91', 'x']) {
        const bad = await restauth(['tokens', 'usage', '--config', config, created.id, '--days', days]);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/--days must be a whole number from 1 to (400|90)/);
      }
    });
  });
}
