import type { ExecutionContext, HttpServer, Type } from '@nestjs/common';
import type { RestAuthGuard } from './restauth.guard.js';

type Handler = (request: unknown, response: unknown, next?: (error?: unknown) => void) => unknown;

/**
 * The ExecutionContext of a request no route matched: HTTP, no controller class, the not-found
 * handler as its handler. Our own (Nest's ExecutionContextHost is not public API).
 */
function unmatchedContext(args: [unknown, unknown, unknown], handler: Handler): ExecutionContext {
  const http = { getRequest: <T>() => args[0] as T, getResponse: <T>() => args[1] as T, getNext: <T>() => args[2] as T };
  const unsupported = () => {
    throw new Error('not an RPC or WebSocket context: an HTTP request no route matched');
  };
  return {
    getArgs: <T extends unknown[]>() => args as unknown as T,
    getArgByIndex: <T>(index: number) => args[index] as T,
    getType: <T extends string>() => 'http' as T,
    getClass: <T>() => null as unknown as Type<T>,
    getHandler: () => handler as unknown as ReturnType<ExecutionContext['getHandler']>,
    switchToHttp: () => http,
    switchToRpc: unsupported,
    switchToWs: unsupported,
  };
}

/**
 * Puts the gate in front of the not-found handler Nest is about to register on the platform
 * (Express: the last `app.use`; Fastify: `setNotFoundHandler`), so a path no route matches is
 * judged like any protected one before the app's 404, as in the other adapters. Routed requests
 * never reach that handler: their gate is the guard's, so no request is judged twice.
 * Must run before Nest's `registerRouterHooks`, i.e. in `onModuleInit`.
 *
 * @example
 * onModuleInit() { gateNotFoundHandler(this.adapterHost.httpAdapter, this.guard); }
 */
export function gateNotFoundHandler(adapter: HttpServer | undefined, guard: RestAuthGuard): void {
  if (typeof adapter?.setNotFoundHandler !== 'function') return;
  const register = adapter.setNotFoundHandler;
  adapter.setNotFoundHandler = function setGatedNotFoundHandler(this: HttpServer, notFound: Handler, prefix?: string) {
    adapter.setNotFoundHandler = register; // once: this app's handler only
    const gated = async (request: unknown, response: unknown, next?: (error?: unknown) => void) => {
      try {
        await guard.canActivateUnmatched(unmatchedContext([request, response, next], notFound));
      } catch (error) {
        // Express: on to Nest's error layer; Fastify: a rejected 404 handler reaches Nest's error
        // handler. Either way the app's global exception filters write the deny, as for a guard.
        if (typeof next === 'function') return next(error);
        throw error;
      }
      return notFound(request, response, next);
    };
    return register.call(this, gated, prefix);
  } as HttpServer['setNotFoundHandler'];
}
