import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import bodyParser from 'body-parser';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Observable } from 'rxjs';

// Nest parses bodies before guards run. To keep the order of the Express example (the gate
// first, then `express.json`), a body error is kept on the request and thrown only after the
// guard, by BodyErrorInterceptor.
const BODY_ERROR = Symbol('bodyError');
const LIMIT_BYTES = 16 * 1024;
type WithBodyError = { [BODY_ERROR]?: unknown };

/** Express: the very `express.json({ limit: '16kb' })` of the Express example; its errors are deferred. */
export function useExpressBody(app: NestExpressApplication): void {
  app.useBodyParser('json', { limit: LIMIT_BYTES });
  app.use((err: unknown, req: WithBodyError, _res: unknown, next: () => void) => {
    req[BODY_ERROR] = err;
    next();
  });
}

/**
 * Fastify: the same body-parser `json({ limit: '16kb' })` as on Express (gzip, deflate, br; 415 for
 * another encoding or charset; 413 over 16 KB; strict); other types are ignored. Errors deferred.
 */
export function useFastifyBody(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const json = bodyParser.json({ limit: LIMIT_BYTES });
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', (req, _payload, done) => {
    // No preParsing hook is registered, so the payload is the request itself, still unread.
    const raw = req.raw as IncomingMessage & { body?: unknown };
    json(raw, {} as ServerResponse, (err?: unknown) => {
      if (err !== undefined) (req as WithBodyError)[BODY_ERROR] = err;
      done(null, err === undefined ? raw.body : undefined);
    });
  });
  fastify.addContentTypeParser('*', (_req, payload, done) => {
    payload.on('error', done).on('end', () => done(null, undefined)).resume();
  });
}

/** Throws a body error kept by the parsers above, now that the guard has let the request in. */
@Injectable()
export class BodyErrorInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<WithBodyError>();
    if (request[BODY_ERROR] !== undefined) throw request[BODY_ERROR];
    return next.handle();
  }
}
