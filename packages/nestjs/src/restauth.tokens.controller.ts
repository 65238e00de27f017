import { All, Controller, Inject, NotFoundException, Req, Res } from '@nestjs/common';
import type { HttpResult, RestAuth } from '@restauth/core';
import { RESTAUTH } from './restauth.constants.js';
import { toRequestLike, type RestAuthHttpRequest } from './restauth.guard.js';

interface PlatformReply {
  raw?: unknown;
  code?(status: number): PlatformReply;
  headers?(values: Record<string, string>): PlatformReply;
  send?(body: string): unknown;
  statusCode?: number;
  setHeader?(name: string, value: string): unknown;
  end?(body: string): unknown;
}

/**
 * The API-token routes (`POST`/`GET /auth/tokens`, `DELETE /auth/tokens/:id`, `POST .../:id/roll`,
 * `GET .../:id/usage`) behind the
 * global guard; registered by {@link RestAuthModule} unless `tokenRoutes: false`. Answers 404
 * when `apiTokens.enabled` is off.
 *
 * @example
 * RestAuthModule.forRoot('restauth.config.json') // mounts /auth/tokens
 */
@Controller('auth/tokens')
export class RestAuthTokensController {
  constructor(@Inject(RESTAUTH) private readonly restauth: RestAuth) {}

  @All()
  collection(@Req() request: RestAuthHttpRequest & { body?: unknown }, @Res() reply: PlatformReply): Promise<unknown> {
    return this.handle(request, reply);
  }

  @All(':id')
  item(@Req() request: RestAuthHttpRequest & { body?: unknown }, @Res() reply: PlatformReply): Promise<unknown> {
    return this.handle(request, reply);
  }

  @All(':id/:action')
  action(@Req() request: RestAuthHttpRequest & { body?: unknown }, @Res() reply: PlatformReply): Promise<unknown> {
    return this.handle(request, reply);
  }

  private async handle(request: RestAuthHttpRequest & { body?: unknown }, reply: PlatformReply): Promise<unknown> {
    const result = await this.restauth.handleTokenRequest(toRequestLike(request), request.auth, request.body);
    if (!result) throw new NotFoundException();
    return write(reply, result);
  }
}

/** Writes the core's answer as-is on Express (`res`) or Fastify (`reply`). */
function write(reply: PlatformReply, result: HttpResult): unknown {
  const { code } = reply;
  if (reply.raw !== undefined && code) {
    const r = code.call(reply, result.status);
    r.headers?.({ ...result.headers });
    return r.send?.(result.body);
  }
  reply.statusCode = result.status;
  for (const name in result.headers) reply.setHeader?.(name, result.headers[name] as string);
  return reply.end?.(result.body);
}
