// Each variant imports only its own library (faster start-up, nothing idle in the process).
import express from 'express';
import { ITEMS } from '../variants.mjs';
import { restauthFor, usernameOf } from './restauth-instance.mjs';

export async function createApp(variant, idp) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const extra = {};
  switch (variant.id) {
    case 'bare':
      break;
    case 'empty':
      // What Express charges for one more middleware that settles a promise, as restauth's does.
      app.use((_req, _res, next) => { Promise.resolve().then(() => next()); });
      break;
    case 'restauth':
    case 'restauth-nocache':
    case 'restauth-apitoken':
    case 'restauth-ratelimit':
    case 'restauth-audit': {
      const { restauth } = await import('@restauth/express');
      const { instance, apiToken } = await restauthFor(variant, idp);
      extra.apiToken = apiToken;
      app.use(restauth(instance));
      break;
    }
    case 'express-jwt': {
      const { expressjwt } = await import('express-jwt');
      const { default: jwksRsa } = await import('jwks-rsa');
      app.use(expressjwt({
        secret: jwksRsa.expressJwtSecret({ cache: true, rateLimit: true, jwksRequestsPerMinute: 10, jwksUri: idp.jwksUri }),
        audience: 'api',
        issuer: idp.issuer,
        algorithms: ['RS256'],
      }));
      break;
    }
    case 'express-oauth2-jwt-bearer': {
      const { auth: oauth2Bearer } = await import('express-oauth2-jwt-bearer');
      app.use(oauth2Bearer({ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: 'api', tokenSigningAlg: 'RS256' }));
      break;
    }
    case 'passport-jwt': {
      const { default: passport } = await import('passport');
      const { ExtractJwt, Strategy: JwtStrategy } = await import('passport-jwt');
      const { default: jwksRsa } = await import('jwks-rsa');
      passport.use(new JwtStrategy({
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKeyProvider: jwksRsa.passportJwtSecret({ cache: true, rateLimit: true, jwksRequestsPerMinute: 10, jwksUri: idp.jwksUri }),
        issuer: idp.issuer,
        audience: 'api',
        algorithms: ['RS256'],
      }, (payload, done) => done(null, payload)));
      app.use(passport.initialize());
      app.use(passport.authenticate('jwt', { session: false }));
      break;
    }
    default:
      throw new Error(`unknown express variant ${variant.id}`);
  }
  app.get('/api/items', (_req, res) => res.json(ITEMS));
  app.get('/api/me', (req, res) => res.json({ user: usernameOf(req.auth ?? req.user) }));
  // Every library's failure becomes a plain status, so no stack traces are rendered.
  app.use((err, _req, res, _next) => {
    res.status(err.status ?? err.statusCode ?? 500).json({ error: err.code ?? 'error' });
  });
  return {
    ...extra,
    listen: () => new Promise((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server));
    }),
  };
}
