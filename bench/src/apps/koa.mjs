import Router from '@koa/router';
import Koa from 'koa';
import { ITEMS } from '../variants.mjs';
import { restauthFor, usernameOf } from './restauth-instance.mjs';

export async function createApp(variant, idp) {
  const app = new Koa();
  const extra = {};
  switch (variant.id) {
    case 'bare':
      break;
    case 'empty':
      app.use(async (_ctx, next) => { await Promise.resolve(); return next(); });
      break;
    case 'restauth':
    case 'restauth-nocache':
    case 'restauth-apitoken':
    case 'restauth-ratelimit':
    case 'restauth-audit': {
      const { restauth } = await import('@restauth/koa');
      const { instance, apiToken } = await restauthFor(variant, idp);
      extra.apiToken = apiToken;
      app.use(restauth(instance));
      break;
    }
    case 'koa-jwt': {
      const { default: koaJwt } = await import('koa-jwt');
      const { default: jwksRsa } = await import('jwks-rsa');
      app.use(koaJwt({
        secret: jwksRsa.koaJwtSecret({ cache: true, rateLimit: true, jwksRequestsPerMinute: 10, jwksUri: idp.jwksUri }),
        audience: 'api',
        issuer: idp.issuer,
        algorithms: ['RS256'],
      }));
      break;
    }
    default:
      throw new Error(`unknown koa variant ${variant.id}`);
  }
  const router = new Router();
  router.get('/api/items', (ctx) => { ctx.body = ITEMS; });
  router.get('/api/me', (ctx) => { ctx.body = { user: usernameOf(ctx.state.auth ?? ctx.state.user) }; });
  app.use(router.routes());
  app.silent = true;
  return {
    ...extra,
    listen: () => new Promise((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    }),
  };
}
