// The snippet shown in docs/frameworks/express.md (kept in sync by docs-snippet.test.ts).
import express from 'express';
import { restauth } from '@restauth/express';

export function createApi(issuer: string) {
  const app = express();
  const auth = restauth({
    providers: [{ name: 'corp', type: 'jwt', issuer, audience: 'api', discovery: true }],
    policy: { bypass: ['GET /health'], allowGroups: ['users'] },
  });

  app.get('/health', (_req, res) => { res.json({ status: 'ok' }); });
  app.get('/public/info', auth.public(), (req, res) => {
    res.json({ hello: req.auth?.username ?? 'anonymous' });
  });

  app.use(auth); // every route below needs a valid token
  app.get('/api/me', (req, res) => { res.json({ username: req.auth?.username, groups: req.auth?.groups }); });
  app.delete('/api/items/:id', auth.requireAuth({ groups: ['admins'] }), (_req, res) => { res.status(204).end(); });
  return { app, auth };
}
