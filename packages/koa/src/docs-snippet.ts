// The snippet shown in docs/frameworks/koa.md (kept in sync by docs-snippet.test.ts).
import Koa from 'koa';
import Router from '@koa/router';
import { restauth } from '@restauth/koa';

export function createApi(issuer: string) {
  const auth = restauth({
    providers: [{ name: 'corp', type: 'jwt', issuer, audience: 'api', discovery: true }],
    policy: { bypass: ['GET /health'], allowGroups: ['users'] },
  });

  const open = new Router(); // routes before the gate
  open.get('/health', (ctx) => { ctx.body = { status: 'ok' }; });
  open.get('/public/info', auth.public(), (ctx) => {
    ctx.body = { hello: ctx.state.auth?.username ?? 'anonymous' };
  });

  const api = new Router(); // every route here needs a valid token
  api.get('/api/me', (ctx) => { ctx.body = { username: ctx.state.auth?.username, groups: ctx.state.auth?.groups }; });
  api.delete('/api/items/:id', auth.requireAuth({ groups: ['admins'] }), (ctx) => { ctx.status = 204; });

  const app = new Koa();
  app.use(open.routes()).use(auth).use(api.routes());
  return { app, auth };
}
