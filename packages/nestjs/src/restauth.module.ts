import { ConfigurableModuleBuilder, Inject, Module, type ConfigurableModuleAsyncOptions, type DynamicModule, type OnApplicationShutdown, type OnModuleInit, type Type } from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost } from '@nestjs/core';
import { createRestAuth, isRestAuth, loadConfig, type CreateRestAuthOptions, type RestAuth, type RestAuthConfig } from '@restauth/core';
import { jwtPlugin } from '@restauth/jwt';
import { RESTAUTH } from './restauth.constants.js';
import { RestAuthGuard } from './restauth.guard.js';
import { gateNotFoundHandler } from './restauth.not-found.js';
import { RestAuthTokensController } from './restauth.tokens.controller.js';

/**
 * What `forRootAsync`'s factory returns: the config (object, file path or instance) plus plugins and strategies.
 *
 * @example
 * const options: RestAuthModuleOptions = { config: 'restauth.config.json', plugins: [redisPlugin()] };
 */
export interface RestAuthModuleOptions extends CreateRestAuthOptions {
  /** A config object, a path to a JSON config file, or an instance made by `createRestAuth`. */
  config: RestAuthConfig | RestAuth | string;
}

/**
 * Options fixed when the module is imported (not produced by a factory).
 *
 * @example
 * RestAuthModule.forRootAsync({ useFactory: () => ({ config: 'restauth.config.json' }), guard: MyGuard });
 */
export interface RestAuthModuleExtras {
  /** The class registered as `APP_GUARD`: `RestAuthGuard` (default) or your subclass of it. */
  guard?: Type<RestAuthGuard>;
  /** Mount the API-token routes at `/auth/tokens` (default true; they answer 404 while `apiTokens.enabled` is off). */
  tokenRoutes?: boolean;
}

/**
 * Options of {@link RestAuthModule.forRoot} besides the config.
 *
 * @example
 * RestAuthModule.forRoot('restauth.config.json', { plugins: [redisPlugin()], guard: MyGuard });
 */
export type RestAuthForRootOptions = CreateRestAuthOptions & RestAuthModuleExtras;

/**
 * Options of {@link RestAuthModule.forRootAsync}: `useFactory` + `inject` + `imports` (or `useClass` / `useExisting`).
 *
 * @example
 * const options: RestAuthModuleAsyncOptions = {
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (env: ConfigService) => ({ config: env.getOrThrow<string>('RESTAUTH_CONFIG') }),
 * };
 */
export type RestAuthModuleAsyncOptions = ConfigurableModuleAsyncOptions<RestAuthModuleOptions> & RestAuthModuleExtras;

const OPTIONS = Symbol.for('@restauth/nestjs:options');
const GUARD = Symbol.for('@restauth/nestjs:guard');

function createInstance({ config, ...options }: RestAuthModuleOptions): RestAuth {
  if (isRestAuth(config)) return config;
  return createRestAuth(typeof config === 'string' ? loadConfig(config, options) : config, {
    ...options,
    plugins: [...(options.plugins ?? []), jwtPlugin()],
  });
}

const { ConfigurableModuleClass } = new ConfigurableModuleBuilder<RestAuthModuleOptions>({ moduleName: 'RestAuth', optionsInjectionToken: OPTIONS })
  .setClassMethodName('forRoot')
  .setExtras<RestAuthModuleExtras>({ guard: RestAuthGuard, tokenRoutes: true }, (definition, extras) => ({
    ...definition,
    module: RestAuthModule,
    global: true,
    controllers: extras.tokenRoutes === false ? [] : [RestAuthTokensController],
    providers: [
      ...(definition.providers ?? []),
      { provide: RESTAUTH, useFactory: createInstance, inject: [OPTIONS] },
      // One guard instance: APP_GUARD for routed requests, the not-found hook for the others.
      { provide: GUARD, useClass: extras.guard ?? RestAuthGuard },
      { provide: APP_GUARD, useExisting: GUARD },
    ],
    exports: [RESTAUTH],
  }))
  .build();

/**
 * Global module: builds the restauth instance (token {@link RESTAUTH}) and guards every route
 * with {@link RestAuthGuard}, and a path no route matches too (before Nest's 404). Closes the
 * instance on shutdown when it built it.
 *
 * @example
 * @Module({ imports: [RestAuthModule.forRoot('restauth.config.json')], controllers: [ItemsController] })
 * export class AppModule {}
 */
@Module({})
export class RestAuthModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(RESTAUTH) private readonly restauth: RestAuth,
    @Inject(OPTIONS) private readonly options: RestAuthModuleOptions,
    @Inject(GUARD) private readonly guard: RestAuthGuard,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  /**
   * Takes a config object, a path to a JSON config file, or an instance made by `createRestAuth`.
   *
   * @example
   * RestAuthModule.forRoot({ providers: [{ name: 'corp', type: 'jwt', issuer: 'https://idp', audience: 'api', discovery: true }] })
   */
  static forRoot(config: RestAuthConfig | RestAuth | string, options: RestAuthForRootOptions = {}): DynamicModule {
    return ConfigurableModuleClass.forRoot({ ...options, config });
  }

  /**
   * The same, with the options from a factory (e.g. from `ConfigService`).
   *
   * @example
   * RestAuthModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (env: ConfigService) => ({ config: env.getOrThrow('RESTAUTH_CONFIG') }),
   * })
   */
  static forRootAsync(options: RestAuthModuleAsyncOptions): DynamicModule {
    return ConfigurableModuleClass.forRootAsync(options);
  }

  /** Nest registers its not-found handler right after this hook: the gate goes in front of it. */
  onModuleInit(): void {
    gateNotFoundHandler(this.adapterHost.httpAdapter, this.guard);
  }

  async onApplicationShutdown(): Promise<void> {
    if (!isRestAuth(this.options.config)) await this.restauth.close();
  }
}
