import { fixedRefusal } from '../errors.js';
import { fail, PASS, type Check } from './check.js';

const CLIENT_NOT_ALLOWED = fail(fixedRefusal('forbidden', 'Client is not allowed'));

/** `policy.allowClients`: a token that names an OAuth client must name one of these. */
export function createAllowClientsCheck(clients: readonly string[], reportOnly: boolean): Check | undefined {
  if (!clients.length) return undefined;
  const allowed = new Set(clients);
  return {
    name: 'allowClients',
    policy: { reportOnly },
    run(ctx) {
      const p = ctx.principal;
      if (p === undefined) return undefined;
      return p.clientId === undefined || allowed.has(p.clientId) ? PASS : CLIENT_NOT_ALLOWED;
    },
    describe: (ctx) => (ctx.principal?.clientId ? `client ${ctx.principal.clientId} is allowed` : 'token names no client'),
  };
}
