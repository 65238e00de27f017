import type { IncomingMessage, ServerResponse } from 'node:http';
import bodyParser from 'body-parser';
import type { FastifyInstance } from 'fastify';

/** The Express example's own `express.json({ limit: '16kb' })`: body-parser, the same library. */
const json = bodyParser.json({ limit: '16kb' });

/**
 * Reads JSON bodies with body-parser, exactly as the Express example does, so every example
 * answers alike: only `application/json` is read (strict: an object or array; empty means `{}`;
 * gzip, deflate or br; a non-UTF charset or another encoding is a 415; over 16 KB a 413), and
 * any other content type is ignored rather than refused.
 */
export function useExpressLikeJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', (request, _payload, done) => {
    // No preParsing hook is registered, so the payload is the request itself, still unread.
    const req = request.raw as IncomingMessage & { body?: unknown };
    json(req, {} as ServerResponse, (err?: { status?: number; message?: string }) => {
      if (err) done(Object.assign(new Error(err.message ?? 'Malformed request'), { statusCode: err.status ?? 400 }), undefined);
      else done(null, req.body);
    });
  });
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
}
