import { Socket } from 'node:net';

/** A raw HTTP answer: the status (0 when the server closed without one) and the whole text. */
export interface RawHttpResponse {
  readonly status: number;
  readonly text: string;
}

/**
 * Sends bytes as they are to `127.0.0.1:port` and resolves with the raw answer: for requests
 * `fetch` cannot send (absolute-form targets, bad encodings, repeated headers, junk). The socket
 * is written, not ended, so the server answers before it sees the client close; send
 * `Connection: close` so it closes after answering.
 *
 * @example
 * const { status } = await sendRawHttp(port, 'GET http://x/api HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
 */
export function sendRawHttp(port: number, request: string | Buffer, options: { timeoutMs?: number } = {}): Promise<RawHttpResponse> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let text = '';
    const done = () => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text });
    };
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 5000);
    socket.connect(port, '127.0.0.1', () => socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request));
    socket.on('data', (d) => { text += d.toString('latin1'); });
    socket.on('error', () => undefined);
    socket.on('close', done);
  });
}

/**
 * Malformed and hostile requests for `path` that every adapter must answer with a 4xx, without
 * crashing or hanging: bad bytes in Authorization, a 20 KB header, repeated Authorization
 * headers, invalid percent-encoding, overlong UTF-8, an absolute-form target, control characters
 * in X-Forwarded-For, a token twice in the query, a truncated JSON body, a garbage request line.
 *
 * @example
 * for (const req of junkRequests('/api/items')) expect((await sendRawHttp(port, req)).status).toBeLessThan(500);
 */
export function junkRequests(path: string): Buffer[] {
  const end = 'Connection: close\r\n\r\n';
  const text = [
    `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00ff\u00fe\r\n${end}`,
    `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${'A'.repeat(20_000)}\r\n${end}`,
    `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n${end}`,
    `GET /%zz%%${path} HTTP/1.1\r\nHost: x\r\n${end}`,
    `GET ${path}/%c0%ae%c0%ae%E0%A4%A HTTP/1.1\r\nHost: x\r\n${end}`,
    `GET http://evil.example${path} HTTP/1.1\r\nHost: x\r\n${end}`,
    `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: \u0001garbage\r\n${end}`,
    `GET ${path}?access_token=a&access_token=b HTTP/1.1\r\nHost: x\r\n${end}`,
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n${end}{"a":`,
    `GARBAGE\r\n\r\n`,
  ].map((s) => Buffer.from(s, 'latin1'));
  text.push(Buffer.concat([Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer `), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from(`\r\n${end}`)]));
  return text;
}
