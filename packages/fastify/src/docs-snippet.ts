// The snippet shown in docs/frameworks/fastify.md (kept in sync by fastify.test.ts).
import Fastify from 'fastify';
import { requireAuth, restauth } from '@restauth/fastify';

export async function createApi(issuer: string) {
  const app = Fastify();
  await app.register(restauth, {
    config: {
      providers: [{ name: 'corp', type: 'jwt', issuer, audience: 'api', discovery: true }],
      policy: { bypass: ['GET /health'], allowGroups: ['users'] },
    },
  }); // every route needs a valid token unless its config says otherwise

  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/public/info', { config: { restauth: { public: true } } }, async (request) => ({
    hello: request.auth?.username ?? 'anonymous',
  }));
  app.get('/api/me', async (request) => ({ username: request.auth?.username, groups: request.auth?.groups }));
  app.delete('/api/items/:id', { config: { restauth: { groups: ['admins'] } } }, async (_request, reply) => reply.code(204).send());

  // A hook for a whole encapsulated plugin: every route in it is for admins only.
  await app.register(async (admin) => {
    admin.addHook('preHandler', requireAuth({ groups: ['admins'] }));
    admin.post('/api/admin/reindex', async () => ({ started: true }));
  });
  return app;
}
