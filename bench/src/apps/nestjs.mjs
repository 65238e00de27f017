// NestJS without a TypeScript build: decorators are applied by hand (Reflect.decorate), which is
// exactly what compiled decorator code does.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Req } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ITEMS } from '../variants.mjs';
import { restauthFor, usernameOf } from './restauth-instance.mjs';

function method(cls, name, decorators) {
  Reflect.decorate(decorators, cls.prototype, name, Object.getOwnPropertyDescriptor(cls.prototype, name));
}

class ItemsController {
  items() {
    return ITEMS;
  }
  me(req) {
    return { user: usernameOf(req.auth ?? req.user) };
  }
}
method(ItemsController, 'items', [Get('/api/items')]);
Req()(ItemsController.prototype, 'me', 0);
Reflect.defineMetadata('design:paramtypes', [Object], ItemsController.prototype, 'me');
method(ItemsController, 'me', [Get('/api/me')]);
Reflect.decorate([Controller()], ItemsController);

async function passportStrategy(idp) {
  const { PassportStrategy } = await import('@nestjs/passport');
  const { default: jwksRsa } = await import('jwks-rsa');
  const { ExtractJwt, Strategy: JwtStrategy } = await import('passport-jwt');
  class JwksStrategy extends PassportStrategy(JwtStrategy, 'jwt') {
    constructor() {
      super({
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKeyProvider: jwksRsa.passportJwtSecret({ cache: true, rateLimit: true, jwksRequestsPerMinute: 10, jwksUri: idp.jwksUri }),
        issuer: idp.issuer,
        audience: 'api',
        algorithms: ['RS256'],
      });
    }
    validate(payload) {
      return payload;
    }
  }
  Reflect.decorate([Injectable()], JwksStrategy);
  Reflect.defineMetadata('design:paramtypes', [], JwksStrategy);
  return JwksStrategy;
}

export async function createApp(variant, idp) {
  const extra = {};
  const metadata = { controllers: [ItemsController], imports: [], providers: [] };
  switch (variant.id) {
    case 'bare':
      break;
    case 'empty':
      // A global guard that awaits nothing, as restauth's guard is registered.
      metadata.providers.push({ provide: APP_GUARD, useValue: { canActivate: async () => true } });
      break;
    case 'restauth':
    case 'restauth-nocache':
    case 'restauth-apitoken':
    case 'restauth-ratelimit':
    case 'restauth-audit': {
      const { RestAuthModule } = await import('@restauth/nestjs');
      const { instance, apiToken } = await restauthFor(variant, idp);
      extra.apiToken = apiToken;
      metadata.imports.push(RestAuthModule.forRoot(instance, { tokenRoutes: false }));
      break;
    }
    case 'nestjs-passport': {
      const { AuthGuard } = await import('@nestjs/passport');
      metadata.providers.push(await passportStrategy(idp), { provide: APP_GUARD, useClass: AuthGuard('jwt') });
      break;
    }
    default:
      throw new Error(`unknown nestjs variant ${variant.id}`);
  }
  class AppModule {}
  Reflect.decorate([Module(metadata)], AppModule);
  const app = await NestFactory.create(AppModule, { logger: false });
  return {
    ...extra,
    listen: async () => {
      await app.listen(0, '127.0.0.1');
      return app.getHttpServer();
    },
  };
}
