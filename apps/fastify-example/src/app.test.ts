import type { FastifyInstance } from 'fastify';
import { exampleAppChecks, exampleAppConfig, exampleAppTarget, startIdp, type ExampleAppTarget, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';

let idp: TestIdp;
let app: FastifyInstance;
let target: ExampleAppTarget;

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  app = await createApp(exampleAppConfig(idp, 'fastify-example'));
  target = await exampleAppTarget(idp, await app.listen({ port: 0, host: '127.0.0.1' }));
});

afterAll(async () => {
  await app?.close();
  await idp?.close();
});

// The example-app contract, over real HTTP with tokens from the oidc-provider IdP.
describe('fastify-example', () => {
  for (const check of exampleAppChecks()) it(check.name, () => check.run(target));

  it('an unknown route without a token is a 401: the gate runs before the 404 handler', async () => {
    const res = await fetch(`${target.baseUrl}/nope`);
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('{"error":"unauthorized","message":"Authentication required"}');
  });
});
