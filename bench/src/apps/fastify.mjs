import Fastify from 'fastify';
import { ITEMS } from '../variants.mjs';
import { restauthFor, usernameOf } from './restauth-instance.mjs';

export async function createApp(variant, idp) {
  const app = Fastify({ logger: false });
  const extra = {};
  switch (variant.id) {
    case 'bare':
      break;
    case 'empty':
      // The hook restauth's plugin uses, doing nothing.
      app.addHook('onRequest', async () => {});
      break;
    case 'restauth':
    case 'restauth-nocache':
    case 'restauth-apitoken':
    case 'restauth-ratelimit':
    case 'restauth-audit': {
      const { restauth } = await import('@restauth/fastify');
      const { instance, apiToken } = await restauthFor(variant, idp);
      extra.apiToken = apiToken;
      await app.register(restauth, { instance });
      break;
    }
    case 'fastify-jwt':
    case 'fastify-jwt-cache': {
      // The documented @fastify/jwt + get-jwks setup, keys found through OIDC discovery.
      const { default: fastifyJwt } = await import('@fastify/jwt');
      const { default: buildGetJwks } = await import('get-jwks');
      const getJwks = buildGetJwks({ providerDiscovery: true, issuersWhitelist: [idp.issuer], ttl: 600_000 });
      await app.register(fastifyJwt, {
        decode: { complete: true },
        secret: (_request, token) => getJwks.getPublicKey({ kid: token.header.kid, alg: token.header.alg, domain: idp.issuer }),
        verify: { allowedIss: idp.issuer, allowedAud: 'api', algorithms: ['RS256'], ...(variant.cache ? { cache: true } : {}) },
      });
      app.addHook('onRequest', async (request) => {
        await request.jwtVerify();
      });
      break;
    }
    default:
      throw new Error(`unknown fastify variant ${variant.id}`);
  }
  app.get('/api/items', async () => ITEMS);
  app.get('/api/me', async (request) => ({ user: usernameOf(request.auth ?? request.user) }));
  return {
    ...extra,
    listen: async () => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      return app.server;
    },
  };
}
