import type { ServerResponse } from 'node:http';
import {
  Body, Catch, Controller, Delete, Get, HttpCode, HttpException, Inject, Injectable, Logger,
  Module, NotFoundException, Param, Post, Res, StreamableFile, type ArgumentsHost, type DynamicModule, type ExceptionFilter, type INestApplication,
} from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, HttpAdapterHost, NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createConsole } from '@restauth/console';
import { describePrincipal, healthHttpResult } from '@restauth/core';
import { Principal, Public, RequireGroups, RESTAUTH, RestAuthException, RestAuthModule, type RestAuth, type RestAuthConfig } from '@restauth/nestjs';
import { prometheusObserver } from '@restauth/prometheus';
import { Registry } from 'prom-client';
import { BodyErrorInterceptor, useExpressBody, useFastifyBody } from './body.js';
import { ItemStore } from './items.js';
import { postgresPlugin } from '@restauth/postgres';
import { redisPlugin } from '@restauth/redis';

/** The HTTP platforms the example runs on (`PLATFORM`). */
export type Platform = 'express' | 'fastify';

@Controller()
class AppController {
  constructor(
    @Inject(ItemStore) private readonly items: ItemStore,
    @Inject(RESTAUTH) private readonly auth: RestAuth,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  // Outside the gate in the Express example; here every route passes the guard, so: public.
  @Public()
  @Get('/health')
  health() { return { status: 'ok' }; }

  // Declared public in code: anonymous callers pass unless the config's restrictPublic names it.
  @Public()
  @Get('/public/info')
  info(@Principal() user?: Principal) { return { info: 'public', username: user?.username ?? null }; }

  // restauth's own health, public (probes send no token): 200 ok or degraded, 503 down.
  @Public()
  @Get('/health/restauth')
  async restauthHealth(@Res() res: unknown) {
    const r = healthHttpResult(await this.auth.health());
    const adapter = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(r.headers)) adapter.setHeader(res, name, value);
    adapter.reply(res, JSON.parse(r.body), r.status);
  }

  @Get('/api/items')
  list() { return this.items.list(); }

  @Post('/api/items')
  add(@Body() body?: { name?: unknown }) { return this.items.add(body?.name); }

  @Delete('/api/items/:id')
  @HttpCode(204)
  remove(@Param('id') id: string) {
    if (!this.items.remove(id)) throw new NotFoundException({ error: 'not_found', message: 'No such item' });
  }

  @Get('/api/me')
  me(@Principal() user?: Principal) { return describePrincipal(user); }
}

/** `GET /metrics`, behind the guard and for admins only (docs/operations.md): a scraper sends an admin's API token. */
@Controller()
class MetricsController {
  constructor(@Inject(Registry) private readonly registry: Registry) {}

  @RequireGroups('admins')
  @Get('/metrics')
  async metrics() {
    // A StreamableFile keeps prom-client's content type as it is on both platforms.
    const body = Buffer.from(await this.registry.metrics());
    return new StreamableFile(body, { type: this.registry.contentType, length: body.length });
  }
}

function isErrorBody(body: unknown): body is { error: string; message: string } {
  if (typeof body !== 'object' || body === null) return false;
  const keys = Object.keys(body);
  return keys.length === 2 && typeof (body as { error?: unknown }).error === 'string' && typeof (body as { message?: unknown }).message === 'string';
}

const NOT_FOUND = { error: 'not_found', message: 'Not found' };
const BAD_REQUEST = { error: 'bad_request', message: 'Malformed request' };
const INTERNAL = { error: 'internal_error', message: 'Internal error' };

/** The Express example's error answers: contract bodies as they are, 404 not_found, other 4xx bad_request, else 500. */
@Catch()
@Injectable()
class AppExceptionFilter implements ExceptionFilter {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const [status, body] = this.answer(exception);
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, status);
  }

  private answer(exception: unknown): [number, object] {
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      // The core's deny bodies (RestAuthException) and our own `{error, message}` pass as they are.
      if (exception instanceof RestAuthException || isErrorBody(body)) return [exception.getStatus(), body as object];
    }
    const e = exception as { status?: unknown; statusCode?: unknown } | undefined;
    const status = exception instanceof HttpException ? exception.getStatus() : Number(e?.status ?? e?.statusCode);
    if (status === 404) return [404, NOT_FOUND];
    if (status >= 400 && status < 500) return [status, BAD_REQUEST];
    Logger.error(exception);
    return [500, INTERNAL];
  }
}

@Module({})
class AppModule {
  static forRoot(config: RestAuthConfig | RestAuth | string): DynamicModule {
    // restauth's metrics go to the app's own registry, served at GET /metrics.
    const registry = new Registry();
    return {
      module: AppModule,
      imports: [RestAuthModule.forRoot(config, { plugins: [redisPlugin(), postgresPlugin()], observers: [prometheusObserver({ registry })] })],
      controllers: [AppController, MetricsController],
      providers: [
        ItemStore,
        { provide: Registry, useValue: registry },
        { provide: APP_INTERCEPTOR, useClass: BodyErrorInterceptor },
        { provide: APP_FILTER, useClass: AppExceptionFilter },
      ],
    };
  }
}

/** Builds the example app on Express or Fastify behind restauth (config: an object or a JSON file path). */
export async function createApp(platform: Platform, config: RestAuthConfig | RestAuth | string): Promise<{ app: INestApplication; auth: RestAuth }> {
  const module = AppModule.forRoot(config);
  const options = { bodyParser: false, logger: ['error', 'warn'] as ('error' | 'warn')[] };
  let app: INestApplication;
  if (platform === 'express') {
    const express = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), options);
    express.disable('x-powered-by');
    useExpressBody(express);
    app = express;
  } else if (platform === 'fastify') {
    const adapter = new FastifyAdapter({
      // Express's routing: case-insensitive, optional trailing slash (the core's rules match loosely either way).
      routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
      // A URL Fastify cannot decode (`/%zz`) gets the Express example's answer, not Fastify's own body.
      frameworkErrors: (_error: Error, _request: unknown, reply: { raw: ServerResponse }) => {
        const body = JSON.stringify(BAD_REQUEST);
        reply.raw.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
      },
      // Closing, Fastify would answer 503 itself before the guard runs, leaving no audit event.
      return503OnClosing: false,
    });
    const fastify = await NestFactory.create<NestFastifyApplication>(module, adapter, options);
    useFastifyBody(fastify);
    app = fastify;
  } else {
    throw new Error(`PLATFORM must be "express" or "fastify", not "${String(platform)}"`);
  }
  const auth = app.get<RestAuth>(RESTAUTH);
  // The console (@restauth/console) signs people in itself: it answers below its prefix, before the guard.
  if (auth.config.console) {
    const restauthConsole = createConsole(auth);
    if (platform === 'express') app.use(restauthConsole.express());
    else (app as NestFastifyApplication).getHttpAdapter().getInstance().addHook('onRequest', restauthConsole.fastify());
  }
  return { app, auth };
}
