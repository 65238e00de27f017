import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as a local provider saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A local HTTP server standing in for a provider, counting calls and concurrent calls. */
export interface TestServer {
  readonly url: string;
  readonly seen: SeenRequest[];
  /** Most requests in progress at once so far. */
  readonly maxInFlight: number;
  readonly inFlight: number;
  close(): Promise<void>;
}

export type TestHandler = (req: SeenRequest, res: ServerResponse) => unknown;

/** JSON answer helper. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Starts a provider double on 127.0.0.1. */
export async function startServer(handler: TestHandler): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const finish = () => { if (!done) { done = true; inFlight--; } };
    res.on('close', finish);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(r);
      Promise.resolve(handler(r, res)).catch(() => { res.destroy(); });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get maxInFlight() { return maxInFlight; },
    get inFlight() { return inFlight; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A RequestLike for createRestAuth, with a bearer token. */
export function bearer(token: string, url = '/api/items'): { method: string; url: string; headers: Record<string, string>; remoteAddress: string } {
  return { method: 'GET', url, headers: { authorization: `Bearer ${token}` }, remoteAddress: '127.0.0.1' };
}
