import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { exampleAppChecks, exampleAppConfig, exampleAppTarget, startIdp, type ExampleAppTarget, type TestIdp } from '@restauth/testing';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createApp } from './app.js';

let idp: TestIdp;
let server: Server;
let target: ExampleAppTarget;

beforeAll(async () => {
  idp = await startIdp({ audience: 'api' });
  const { app } = createApp(exampleAppConfig(idp, 'koa-example'));
  await new Promise<void>((resolve) => { server = app.listen(0, '127.0.0.1', () => resolve()); });
  target = await exampleAppTarget(idp, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  server?.close();
  await idp?.close();
});

// The example-app contract, over real HTTP with tokens from the oidc-provider IdP.
describe('koa-example', () => {
  for (const check of exampleAppChecks()) it(check.name, () => check.run(target));
});
