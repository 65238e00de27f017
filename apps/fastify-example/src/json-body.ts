import type { FastifyInstance } from 'fastify';

/** The same limit as the Express example's `express.json({ limit: '16kb' })`. */
export const JSON_BODY_LIMIT = 16 * 1024;

function badRequest(message: string, statusCode: number): Error {
  return Object.assign(new Error(message), { statusCode });
}

/**
 * Parses bodies the way `express.json()` does, so every example answers alike: only
 * `application/json` is read (strict: an object or array; empty means `{}`; a non-UTF
 * charset is a 415), any other content type is ignored rather than refused.
 */
export function useExpressLikeJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: JSON_BODY_LIMIT }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase() ?? 'utf-8';
    if (!charset.startsWith('utf-')) return done(badRequest('Unsupported charset', 415), undefined);
    const text = body as string;
    if (text.length === 0) return done(null, {});
    const first = /^[\x20\x09\x0a\x0d]*(.?)/.exec(text)?.[1];
    if (first !== '{' && first !== '[') return done(badRequest('Malformed JSON', 400), undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(badRequest('Malformed JSON', 400), undefined);
    }
  });
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
}
