import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { junkRequests, sendRawHttp } from './raw-http.js';

let server: Server;
let port: number;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => { seen.push(req.url ?? ''); res.writeHead(418).end('teapot'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('sendRawHttp', () => {
  it('sends the request line as written and reads the status', async () => {
    const res = await sendRawHttp(port, 'GET http://elsewhere/a?b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(418);
    expect(res.text).toContain('teapot');
    expect(seen).toContain('http://elsewhere/a?b');
  });
  it('answers 0 when nothing comes back before the timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const res = await sendRawHttp((silent.address() as AddressInfo).port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 200 });
    expect(res.status).toBe(0);
    silent.closeAllConnections();
    silent.close();
  });
  it('Node itself answers every junk request (4xx or the handler), never hangs', async () => {
    for (const req of junkRequests('/api')) {
      const { status } = await sendRawHttp(port, req);
      expect(status === 418 || (status >= 400 && status < 500), req.toString('latin1').slice(0, 40)).toBe(true);
    }
  });
});
