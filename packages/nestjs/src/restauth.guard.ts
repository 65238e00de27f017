import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { onResponseDone, type FinishingResponse } from '@restauth/core';
import type { Decision, Principal, RequestLike, RestAuth, RouteOptions, TlsSocketLike } from '@restauth/core';
import { GROUPS_KEY, PUBLIC_KEY, READ_ONLY_KEY, RESTAUTH, SCOPES_KEY } from './restauth.constants.js';

/**
 * The platform request as the guard sees it: Express's request, or Fastify's with `raw`.
 * After the guard, `auth` holds the principal (undefined on an anonymous public call).
 *
 * @example
 * const user = context.switchToHttp().getRequest<RestAuthHttpRequest>().auth;
 */
export interface RestAuthHttpRequest {
  auth?: Principal;
  raw?: RestAuthHttpRequest;
  method?: string;
  url?: string;
  originalUrl?: string;
  headers?: RequestLike['headers'];
  rawHeaders?: string[];
  socket?: { remoteAddress?: string | undefined } & TlsSocketLike;
}

/** A route's options for the gate, and the controller's groups when the handler has its own too. */
interface RouteInfo {
  readonly options: RouteOptions;
  readonly classGroups: string[] | undefined;
}

interface PlatformResponse {
  raw?: unknown;
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

/**
 * The core's request shape from Express's request or Fastify's (`request.raw`): the original
 * URL and the socket peer.
 *
 * @example
 * const requestLike = toRequestLike(context.switchToHttp().getRequest());
 */
export function toRequestLike(request: RestAuthHttpRequest): RequestLike {
  const raw = request.raw ?? request;
  return { method: raw.method ?? 'GET', url: raw.originalUrl ?? raw.url ?? '/', headers: raw.headers ?? {}, remoteAddress: raw.socket?.remoteAddress, rawHeaders: raw.rawHeaders, socket: raw.socket };
}

/**
 * The exception the guard throws on a deny: status `decision.status`, response the parsed
 * `decision.body` (`{"error","message"}`), so Nest's exception filters write the core's body.
 *
 * @example
 * @Catch(RestAuthException)
 * class AuthFilter implements ExceptionFilter {
 *   catch(e: RestAuthException, host: ArgumentsHost) { log(e.decision.reason); ... }
 * }
 */
export class RestAuthException extends HttpException {
  constructor(readonly decision: Decision) {
    super(JSON.parse(decision.body ?? 'null') as Record<string, unknown>, decision.status, { cause: decision.error });
  }
}

/**
 * The gate as a Nest guard; `RestAuthModule` registers it as `APP_GUARD`. Extend it and
 * override the protected methods, then pass your class as the module's `guard` option.
 *
 * @example
 * @Injectable()
 * class MyGuard extends RestAuthGuard {
 *   protected override onDeny(decision: Decision, context: ExecutionContext) {
 *     metrics.count(decision.reason);
 *     return super.onDeny(decision, context);
 *   }
 * }
 * RestAuthModule.forRoot('restauth.config.json', { guard: MyGuard });
 */
@Injectable()
export class RestAuthGuard implements CanActivate {
  constructor(
    @Inject(RESTAUTH) protected readonly restauth: RestAuth,
    @Inject(Reflector) protected readonly reflector: Reflector,
  ) {}

  // What each route declares never changes: read through the Reflector once per handler and
  // controller, not on every request.
  private readonly routes = new WeakMap<object, WeakMap<object, RouteInfo>>();

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return this.canActivateNonHttp(context);
    const http = context.switchToHttp();
    const request = http.getRequest<RestAuthHttpRequest>();
    const requestLike = this.toRequestLike(request);
    const route = this.routeInfo(context);
    let decision = await this.begin(requestLike, http.getResponse<PlatformResponse>(), route.options);
    // Groups on both the controller and the handler must both hold; the gate took the handler's.
    if (decision.allowed && route.classGroups) {
      const also = this.restauth.authorize(requestLike, decision.principal, { groups: route.classGroups });
      if (!also.allowed) decision = { ...also, headers: { ...decision.headers, ...also.headers } };
    }
    this.setHeaders(http.getResponse<PlatformResponse>(), decision.headers);
    if (!decision.allowed) throw this.onDeny(decision, context);
    if (decision.principal) request.auth = decision.principal;
    return true;
  }

  /**
   * A request Nest's router matched to no route, judged before Nest's 404 as the Express, Koa and
   * Fastify adapters do: a protected route with no requirements of its own (the config's
   * `bypass`, `public` and `rules` still apply). Resolves when the gate allows (the app's 404
   * follows, with the rate-limit headers); otherwise throws `onDeny`'s exception, whose
   * context's `getHandler()` is Nest's not-found handler and `getClass()` is null.
   * `RestAuthModule` calls it; the gate runs once either way, here or in `canActivate`.
   *
   * @example
   * protected override onDeny(decision: Decision, context: ExecutionContext) {
   *   if (context.getClass() === null) metrics.count('unknown-path', decision.reason);
   *   return super.onDeny(decision, context);
   * }
   */
  async canActivateUnmatched(context: ExecutionContext): Promise<true> {
    const http = context.switchToHttp();
    const request = http.getRequest<RestAuthHttpRequest>();
    const decision = await this.begin(this.toRequestLike(request), http.getResponse<PlatformResponse>());
    this.setHeaders(http.getResponse<PlatformResponse>(), decision.headers);
    if (!decision.allowed) throw this.onDeny(decision, context);
    if (decision.principal) request.auth = decision.principal;
    return true;
  }

  /** Runs the gate; its audit event is written when the response is finished, with the final status. */
  private async begin(requestLike: RequestLike, response: PlatformResponse, route?: RouteOptions): Promise<Decision> {
    const { decision, complete } = await this.restauth.begin(requestLike, route);
    onResponseDone((response.raw ?? response) as FinishingResponse, complete);
    return decision;
  }

  private routeInfo(context: ExecutionContext): RouteInfo {
    const handler = context.getHandler();
    const cls = context.getClass();
    let byClass = this.routes.get(handler);
    let info = byClass?.get(cls);
    if (info === undefined) {
      const classGroups = this.reflector.get<string[] | undefined>(GROUPS_KEY, cls);
      const handlerGroups = this.reflector.get<string[] | undefined>(GROUPS_KEY, handler);
      info = { options: Object.freeze(this.getRouteOptions(context)), classGroups: classGroups?.length && handlerGroups?.length ? classGroups : undefined };
      if (byClass === undefined) this.routes.set(handler, (byClass = new WeakMap()));
      byClass.set(cls, info);
    }
    return info;
  }

  /**
   * What the route declares through `@Public`, `@ReadOnly`, `@RequireGroups`, `@RequireScopes`.
   * Asked once per handler and controller, and remembered: it must depend on the route only.
   */
  protected getRouteOptions(context: ExecutionContext): RouteOptions {
    const targets = [context.getHandler(), context.getClass()];
    const scopes = this.reflector.getAllAndMerge<string[]>(SCOPES_KEY, targets);
    return {
      public: this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets) === true,
      readOnly: this.reflector.getAllAndOverride<boolean | undefined>(READ_ONLY_KEY, targets) === true,
      groups: this.reflector.getAllAndOverride<string[] | undefined>(GROUPS_KEY, targets),
      scopes: scopes.length ? [...new Set(scopes)] : undefined,
    };
  }

  /** The core's request shape from Express's request or Fastify's (`request.raw`): the original URL and the socket peer. */
  protected toRequestLike(request: RestAuthHttpRequest): RequestLike {
    return toRequestLike(request);
  }

  /** Sets the decision's headers (rate limit, challenge, content type) on the response, allowed or not. */
  protected setHeaders(response: PlatformResponse, headers: Decision['headers']): void {
    const fastify = response.raw !== undefined && typeof response.header === 'function';
    for (const name in headers) {
      const value = headers[name] as string;
      if (fastify) response.header?.(name, value);
      else response.setHeader?.(name, value);
    }
  }

  /** The exception thrown for a deny; the default filter answers with the core's status and body. */
  protected onDeny(decision: Decision, _context: ExecutionContext): HttpException {
    return new RestAuthException(decision);
  }

  /** Microservice, WebSocket and GraphQL contexts: denied (fail closed) unless you override this. */
  protected canActivateNonHttp(_context: ExecutionContext): boolean | Promise<boolean> {
    return false;
  }
}
