import { createRestAuth, generateApiToken, type Principal } from '@restauth/core';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresPlugin } from '../src/index.js';
import { requirePostgres, uniqueTable, DATABASE_URL } from './pg-available.js';

const DOWN = 'postgres://127.0.0.1:1/x';

describe('store unreachable: 503, never an allow', () => {
  const auth = createRestAuth(
    { apiTokens: { enabled: true, store: { type: 'postgres', url: DOWN } } },
    { plugins: [postgresPlugin()] },
  );
  afterAll(() => auth.close());

  for (const [how, headers] of [
    ['bearer', (t: string) => ({ authorization: `Bearer ${t}` })],
    ['x-api-key', (t: string) => ({ 'x-api-key': t })],
  ] as const) {
    it(`answers 503 to a well-formed ${how} API token`, async () => {
      const { token } = generateApiToken();
      const decision = await auth.authenticate({ method: 'GET', url: '/api/items', headers: headers(token), remoteAddress: '127.0.0.1' });
      expect(decision.allowed).toBe(false);
      expect(decision.status).toBe(503);
      expect(decision.body).not.toContain(token);
    });
  }

  it('answers 503 on the token routes', async () => {
    const principal: Principal = { subject: 's', username: 'alice', groups: [], scopes: [], provider: 'idp', tokenType: 'jwt', claims: {} };
    const request = { method: 'GET', url: '/auth/tokens', headers: {}, remoteAddress: '127.0.0.1' };
    expect((await auth.handleTokenRequest(request, principal, undefined))?.status).toBe(503);
    expect((await auth.handleTokenRequest({ ...request, method: 'POST' }, principal, { name: 'x' }))?.status).toBe(503);
  });
});

const pgUp = await requirePostgres();

describe.skipIf(!pgUp)('table missing and autoMigrate off: 503', () => {
  const table = uniqueTable('missing');
  it('answers 503, and creates nothing', async () => {
    const auth = createRestAuth(
      { apiTokens: { enabled: true, store: { type: 'postgres', url: DATABASE_URL, table } } },
      { plugins: [postgresPlugin({ autoMigrate: false })] },
    );
    try {
      const { token } = generateApiToken();
      const decision = await auth.authenticate({ method: 'GET', url: '/api/items', headers: { authorization: `Bearer ${token}` }, remoteAddress: '127.0.0.1' });
      expect(decision.status).toBe(503);
    } finally {
      await auth.close();
    }
  });
});
