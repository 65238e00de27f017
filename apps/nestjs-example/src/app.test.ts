import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { exampleAppChecks, exampleAppConfig, exampleAppTarget, startIdp, type ExampleAppTarget, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type Platform } from './app.js';

let idp: TestIdp;

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
});
afterAll(() => idp?.close());

describe.each<Platform>(['express', 'fastify'])('nestjs-example on %s', (platform) => {
  let app: INestApplication;
  let target: ExampleAppTarget;
  const post = (body: string, token?: string) =>
    fetch(`${target.baseUrl}/api/items`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });

  beforeAll(async () => {
    ({ app } = await createApp(platform, exampleAppConfig(idp, 'nestjs-example')));
    await app.listen(0, '127.0.0.1');
    target = await exampleAppTarget(idp, (await app.getUrl()).replace('[::1]', '127.0.0.1'));
  });
  afterAll(() => app?.close());

  // The example-app contract, over real HTTP with tokens from the oidc-provider IdP.
  for (const check of exampleAppChecks()) it(check.name, () => check.run(target));

  it('a bad body is judged only after the gate, as in the Express example', async () => {
    expect((await post('{"name":')).status).toBe(401);
    const bad = await post('{"name":', target.tokens.alice);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('ratelimit-limit')).toBe('100');
    expect(await bad.text()).toBe('{"error":"bad_request","message":"Malformed request"}');
  });

  it('unknown routes: refused by the gate before the 404, as in the Express example', async () => {
    const res = await fetch(`${target.baseUrl}/api/nope`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="nestjs-example"');
    expect(await res.text()).toBe('{"error":"unauthorized","message":"Authentication required"}');
  });
});
