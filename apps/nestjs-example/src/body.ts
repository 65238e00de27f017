import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Observable } from 'rxjs';

// Nest parses bodies before guards run. To keep the order of the Express example (the gate
// first, then `express.json`), a body error is kept on the request and thrown only after the
// guard, by BodyErrorInterceptor.
const BODY_ERROR = Symbol('bodyError');
const LIMIT_BYTES = 16 * 1024;
type WithBodyError = { [BODY_ERROR]?: unknown };

function httpError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status });
}

/** Express: the very `express.json({ limit: '16kb' })` of the Express example; its errors are deferred. */
export function useExpressBody(app: NestExpressApplication): void {
  app.useBodyParser('json', { limit: LIMIT_BYTES });
  app.use((err: unknown, req: WithBodyError, _res: unknown, next: () => void) => {
    req[BODY_ERROR] = err;
    next();
  });
}

/** Fastify: JSON as body-parser reads it (strict, empty is `{}`, utf-* only, 16 KiB); other types are ignored. */
export function useFastifyBody(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    try {
      done(null, parseJson(body, String(req.headers['content-type'])));
    } catch (err) {
      (req as WithBodyError)[BODY_ERROR] = err;
      done(null, undefined);
    }
  });
  fastify.addContentTypeParser('*', (_req, payload, done) => {
    payload.on('error', done).on('end', () => done(null, undefined)).resume();
  });
}

function parseJson(body: Buffer, contentType: string): unknown {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase() ?? 'utf-8';
  if (!charset.startsWith('utf-')) throw httpError(415, `unsupported charset "${charset.toUpperCase()}"`);
  if (body.length > LIMIT_BYTES) throw httpError(413, 'request entity too large');
  const text = body.toString('utf8');
  if (text.length === 0) return {};
  const first = /^[\x20\x09\x0a\x0d]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw httpError(400, 'strict JSON: object or array expected');
  try {
    return JSON.parse(text);
  } catch {
    throw httpError(400, 'malformed JSON');
  }
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
