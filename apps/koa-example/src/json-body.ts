import type { IncomingMessage, ServerResponse } from 'node:http';
import bodyParser from 'body-parser';

/** The Express example's own `express.json({ limit: '16kb' })`: body-parser, the same library. */
const json = bodyParser.json({ limit: '16kb' });

/**
 * Reads a JSON request body exactly as the Express example does: only `application/json`
 * requests that have a body; UTF charsets; identity, gzip, deflate or br encoding; at most
 * 16 KB; an object or array at the top (an empty body is `{}`). Resolves `undefined` when the
 * request is not JSON; rejects with body-parser's error, whose `status` is 400, 413 or 415.
 */
export function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const r = req as IncomingMessage & { body?: unknown };
  return new Promise((resolve, reject) => {
    json(r, {} as ServerResponse, (err?: unknown) => (err === undefined ? resolve(r.body) : reject(err)));
  });
}
