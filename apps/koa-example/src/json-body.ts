import type { IncomingMessage } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';

/** A request body that cannot be read: its `status` is the one Express's `express.json()` gives. */
export class BodyError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'BodyError';
  }
}

/** The options the Express example passes to `express.json()`: 16 KB, strict, inflate. */
const LIMIT_BYTES = 16 * 1024;
const DECODERS: Record<string, string> = { 'utf-8': 'utf-8', 'utf-16le': 'utf-16le', 'utf-16be': 'utf-16be' };

function mediaType(header: string): { type: string; charset: string | undefined } {
  const [type = '', ...params] = header.split(';');
  let charset: string | undefined;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq === -1 || p.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const v = p.slice(eq + 1).trim();
    charset = (v.startsWith('"') ? v.slice(1, v.indexOf('"', 1) === -1 ? undefined : v.indexOf('"', 1)) : v).toLowerCase();
    break;
  }
  return { type: type.trim().toLowerCase(), charset };
}

function decompressed(req: IncomingMessage, encoding: string): Readable {
  const stream = encoding === 'gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : createBrotliDecompress();
  req.pipe(stream);
  return stream;
}

// Event-based rather than `for await`: leaving an async iterator destroys the request, and with
// it the socket, before the 413 could be sent. The rest of the body is drained instead.
function readAll(req: IncomingMessage, stream: Readable, expected: number | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const fail = (err: BodyError) => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      if (stream !== req) {
        req.unpipe();
        stream.on('error', () => {});
        stream.destroy();
      }
      req.resume();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > LIMIT_BYTES) fail(new BodyError(413, 'request entity too large'));
      else chunks.push(chunk);
    };
    const onEnd = () => {
      if (expected !== undefined && received !== expected) reject(new BodyError(400, 'request size did not match content length'));
      else resolve(Buffer.concat(chunks));
    };
    if (expected !== undefined && expected > LIMIT_BYTES) return fail(new BodyError(413, 'request entity too large'));
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', () => fail(new BodyError(400, 'request body could not be read')));
    req.once('aborted', () => fail(new BodyError(400, 'request aborted')));
  });
}

/**
 * Reads a JSON request body the way the Express example's `express.json({ limit: '16kb' })`
 * does: only `application/json` requests that have a body; UTF charsets; identity, gzip,
 * deflate or br encoding; at most 16 KB; an object or array at the top (an empty body is `{}`).
 * Resolves `undefined` when the request is not JSON; rejects with a {@link BodyError}.
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] === undefined && (length === undefined || Number.isNaN(Number(length)))) return undefined;
  const { type, charset = 'utf-8' } = mediaType(req.headers['content-type'] ?? '');
  if (type !== 'application/json') return undefined;
  const decoder = DECODERS[charset];
  if (!decoder) {
    req.resume();
    throw new BodyError(415, 'unsupported charset');
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'deflate' && encoding !== 'br') {
    req.resume();
    throw new BodyError(415, 'unsupported content encoding');
  }
  const raw = encoding === 'identity'
    ? await readAll(req, req, length === undefined ? undefined : Number(length))
    : await readAll(req, decompressed(req, encoding), undefined);
  const text = new TextDecoder(decoder).decode(raw);
  if (text.length === 0) return {};
  const first = /^[\x20\x09\x0a\x0d]*(.?)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw new BodyError(400, 'JSON body must be an object or an array');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError(400, 'malformed JSON');
  }
}
