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

/**
 * True when a request target is one of the token routes (`/auth/tokens`, `/auth/tokens/:id`),
 * matched exactly; adapters call {@link handleTokenRequest} only then.
 */
export function isTokenRoute(url: string): boolean {
  const p = rawPath(url);
  return p === TOKEN_ROUTES_PATH || (p.startsWith(TOKEN_ROUTES_PATH + '/') && p.indexOf('/', TOKEN_ROUTES_PATH.length + 1) === -1);
}

/**
 * Serves `POST /auth/tokens`, `GET /auth/tokens` (`?all=true` for admins) and
 * `DELETE /auth/tokens/:id`. Returns undefined when the URL is not a token route.
 *
 * @example
 * const result = await handleTokenRequest(tokens, realm, { method: 'GET', url: '/auth/tokens', principal, body: undefined });
 */
export async function handleTokenRequest(tokens: ApiTokens, realm: string, req: TokenRouteRequest): Promise<HttpResult | undefined> {
  if (!isTokenRoute(req.url)) return undefined;
  const path = rawPath(req.url);
  const method = req.method.toUpperCase();
  const collection = path === TOKEN_ROUTES_PATH;
  const allowed = collection ? 'GET, POST' : 'DELETE';
  if (!(collection ? method === 'GET' || method === 'POST' : method === 'DELETE')) {
    return json(405, { error: 'method_not_allowed', message: `Use ${allowed}` }, { allow: allowed });
  }
  const fail = (e: RestAuthError): HttpResult => {
    const d = denyDecision(realm, 'route', e, req.principal);
    return { status: d.status, headers: { ...d.headers, 'cache-control': 'no-store' }, body: d.body ?? '' };
  };
  if (!req.principal) return fail(new RestAuthError('unauthorized', 'Authentication required'));
  try {
    if (method === 'POST') return json(201, await tokens.create(req.principal, req.body));
    if (method === 'GET') {
      const all = /[?&]all=true(?:&|$)/.test(req.url);
      return json(200, { tokens: await tokens.list(req.principal, { all }) });
    }
    await tokens.revoke(req.principal, path.slice(TOKEN_ROUTES_PATH.length + 1));
    return { status: 204, headers: { 'cache-control': 'no-store' }, body: '' };
  } catch (err) {
    if (isRestAuthError(err)) return fail(err);
    return fail(new RestAuthError('temporarily_unavailable', 'API token store is unavailable', { cause: err, retryAfterSec: 5 }));
  }
}
