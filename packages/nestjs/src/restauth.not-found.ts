import type { HttpServer } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import type { RestAuthGuard } from './restauth.guard.js';

type Handler = (request: unknown, response: unknown, next?: (error?: unknown) => void) => unknown;

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
        await guard.canActivateUnmatched(new ExecutionContextHost([request, response, next], null, notFound));
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
