import { denyDecision } from '../decision.js';
import { isRestAuthError, RestAuthError } from '../errors.js';
import { rawPath } from '../path.js';
import type { Principal } from '../principal.js';
import type { ApiTokens } from './api-tokens.js';

/** Where the token routes live (the example-app contract). */
export const TOKEN_ROUTES_PATH = '/auth/tokens';

/** A complete HTTP answer for an adapter to write as-is. */
export interface HttpResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Body text; empty for 204. */
  readonly body: string;
}

/** One request to the token routes, after the gate. */
export interface TokenRouteRequest {
  readonly method: string;
  readonly url: string;
  readonly principal: Principal | undefined;
  /** The parsed JSON body of a POST (`undefined` when none or not JSON). */
  readonly body: unknown;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
const json = (status: number, value: unknown, headers: Record<string, string> = {}): HttpResult => ({ status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(value) });

const ACTIONS = new Set(['roll', 'usage']);

/** The parts of a token-route path: the id and the action (`roll`, `usage`), when any. */
function routeParts(url: string): { id?: string; action?: string } | undefined {
  const p = rawPath(url);
  if (p === TOKEN_ROUTES_PATH) return {};
  if (!p.startsWith(TOKEN_ROUTES_PATH + '/')) return undefined;
  const [id, action, ...more] = p.slice(TOKEN_ROUTES_PATH.length + 1).split('/');
  if (!id || more.length || (action !== undefined && !ACTIONS.has(action))) return undefined;
  return action === undefined ? { id } : { id, action };
}

/** The query parameters of a request target (the last value of each wins). */
function queryOf(url: string): URLSearchParams {
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

/** A whole number from a query parameter, or NaN for anything else (so it fails validation). */
function wholeParam(value: string | null): number | undefined {
  if (value === null) return undefined;
  return /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
}

/**
 * True when a request target is one of the token routes (`/auth/tokens`, `/auth/tokens/:id`,
 * `/auth/tokens/:id/roll`, `/auth/tokens/:id/usage`), matched exactly; adapters call
 * {@link handleTokenRequest} only then.
 */
export function isTokenRoute(url: string): boolean {
  return routeParts(url) !== undefined;
}

/**
 * Serves `POST /auth/tokens`, `GET /auth/tokens` (`?all=true&owner=&limit=&cursor=` for admins),
 * `DELETE /auth/tokens/:id`, `POST /auth/tokens/:id/roll` and `GET /auth/tokens/:id/usage?days=n`.
 * Returns undefined when the URL is not a token route.
 *
 * @example
 * const result = await handleTokenRequest(tokens, realm, { method: 'GET', url: '/auth/tokens', principal, body: undefined });
 */
export async function handleTokenRequest(tokens: ApiTokens, realm: string, req: TokenRouteRequest): Promise<HttpResult | undefined> {
  const parts = routeParts(req.url);
  if (!parts) return undefined;
  const { id, action } = parts;
  const method = req.method.toUpperCase();
  const allowed = id === undefined ? 'GET, POST' : action === 'roll' ? 'POST' : action === 'usage' ? 'GET' : 'DELETE';
  if (!allowed.split(', ').includes(method)) {
    return json(405, { error: 'method_not_allowed', message: `Use ${allowed}` }, { allow: allowed });
  }
  const fail = (e: RestAuthError): HttpResult => {
    const d = denyDecision(realm, 'route', e, req.principal);
    return { status: d.status, headers: { ...d.headers, 'cache-control': 'no-store' }, body: d.body ?? '' };
  };
  const caller = req.principal;
  if (!caller) return fail(new RestAuthError('unauthorized', 'Authentication required'));
  try {
    if (id === undefined && method === 'POST') return json(201, await tokens.create(caller, req.body));
    if (id === undefined) {
      const q = queryOf(req.url);
      // Only admins see the paged view; for anyone else the parameters are ignored (never an error).
      if (q.get('all') !== 'true' || !tokens.isAdmin(caller)) return json(200, { tokens: await tokens.list(caller) });
      return json(200, await tokens.page(caller, { owner: q.get('owner') ?? undefined, limit: wholeParam(q.get('limit')), cursor: q.get('cursor') ?? undefined }));
    }
    if (action === 'roll') return json(201, await tokens.roll(caller, id, req.body));
    if (action === 'usage') return json(200, await tokens.usage(caller, id, { days: wholeParam(queryOf(req.url).get('days')) }));
    await tokens.revoke(caller, id);
    return { status: 204, headers: { 'cache-control': 'no-store' }, body: '' };
  } catch (err) {
    if (isRestAuthError(err)) return fail(err);
    return fail(new RestAuthError('temporarily_unavailable', 'API token store is unavailable', { cause: err, retryAfterSec: 5 }));
  }
}
