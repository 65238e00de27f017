import type { IncomingMessage, ServerResponse } from 'node:http';
import { principalFromClaims, type Principal, type ResolvedProvider, type RestAuth } from '@restauth/core';
import { loadAssets } from './assets.js';
import { html, layout, messagePage, sendPage, securityHeaders, type PageContext } from './html.js';
import { createOidcLogin, CallbackError, IdpUnavailableError, type OidcLogin } from './oidc.js';
import { resolveConsoleOptions, type ConsoleOptions, type ResolvedConsoleOptions } from './options.js';
import { FormTooLargeError, origin, readForm, safeReturnTo } from './request.js';
import { cookie, randomToken, readCookies, sameString, sessionFrom, sessionPayload, sign, verify, type LoginFlow, type Session } from './session.js';
import { tokenRoutes } from './pages/tokens.js';
import { testTokenRoutes } from './pages/test-token.js';
import { auditRoutes } from './pages/audit.js';
import { statusRoutes } from './pages/status.js';

const SESSION_COOKIE = 'restauth_console';
const FLOW_COOKIE = 'restauth_console_flow';
const FLOW_TTL_SEC = 600;

/** One request to a console page, after sign-in (and the CSRF check for a POST). */
export interface ConsoleRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: 'GET' | 'POST';
  /** The path below the prefix (`/tokens/abc/revoke`). */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The form of a POST (CSRF already checked). */
  readonly form: URLSearchParams;
  readonly session: Session;
  readonly admin: boolean;
  readonly page: PageContext;
  readonly auth: RestAuth;
  readonly options: ResolvedConsoleOptions;
}

/** A page handler: true when it answered. */
export type ConsoleRoute = (r: ConsoleRequest) => Promise<boolean>;

/**
 * The console as a Node.js request handler: answers (and resolves true) for paths below its
 * prefix, resolves false for every other path so the app goes on. Mount it before the restauth
 * gate (it has its own sign-in), or add `"<prefix>/**"` to `policy.bypass`.
 *
 * @example
 * const console = createConsole(auth, { secureCookies: false });
 * http.createServer(async (req, res) => { if (!(await console(req, res))) app(req, res); });
 */
export interface RestAuthConsole {
  (req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Where it is mounted (`/restauth`). */
  readonly prefix: string;
  /** Express (and NestJS on Express) middleware: `app.use(console.express())` before the gate. */
  express(): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
  /** Koa middleware: `app.use(console.koa())` before the gate. */
  koa(): (ctx: { req: IncomingMessage; res: ServerResponse; respond?: boolean }, next: () => Promise<unknown>) => Promise<void>;
  /** A Fastify (and NestJS on Fastify) `onRequest` hook: `fastify.addHook('onRequest', console.fastify())`, before the gate's. */
  fastify(): (request: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): void }) => Promise<void>;
}

/** The provider whose claim mapping and name a console sign-in uses. */
function loginProvider(providers: readonly ResolvedProvider[], issuer: string, name: string | undefined): ResolvedProvider | undefined {
  if (name !== undefined) {
    const named = providers.find((p) => p.name === name);
    if (!named) throw new TypeError(`createConsole: login.provider "${name}" is not a configured provider`);
    return named;
  }
  const trim = (s: string) => s.replace(/\/+$/, '');
  return providers.find((p) => 'issuer' in p && typeof p.issuer === 'string' && trim(p.issuer) === trim(issuer)) ?? providers[0];
}

/**
 * Builds the console for a configured gate. Options override the config's `console` section.
 *
 * @example
 * import { createConsole } from '@restauth/console';
 *
 * const console = createConsole(auth.instance, { adminGroups: ['admins'] });
 * app.use(console.express()); // before app.use(auth)
 */
export function createConsole(auth: RestAuth, consoleOptions: ConsoleOptions = {}): RestAuthConsole {
  const options = resolveConsoleOptions(auth.config, consoleOptions);
  const { prefix } = options;
  const assets = loadAssets(prefix);
  const login: OidcLogin | undefined = options.login ? createOidcLogin(options.login) : undefined;
  const routes: ConsoleRoute[] = [tokenRoutes, testTokenRoutes, auditRoutes, statusRoutes];
  const nowSec = () => Math.floor(options.now() / 1000);
  const baseContext: PageContext = { prefix, assets };
  const cookieOptions = (maxAgeSec: number) => ({ path: prefix, secure: options.secureCookies, maxAgeSec });
  const isAdmin = (p: Principal) => p.groups.some((g) => options.adminGroups.includes(g));

  function redirect(res: ServerResponse, location: string, cookies: string[] = []): void {
    securityHeaders(res);
    res.statusCode = 303;
    res.setHeader('location', location);
    res.setHeader('cache-control', 'no-store');
    if (cookies.length) res.setHeader('set-cookie', cookies);
    res.end();
  }

  function readSession(req: IncomingMessage): Session | 'missing' | 'invalid' | 'expired' {
    const payload = verify<{ p: Omit<Principal, 'claims'>; csrf: string; exp: number }>(options.sessionKey, SESSION_COOKIE, readCookies(req).get(SESSION_COOKIE), nowSec());
    return typeof payload === 'string' ? payload : sessionFrom(payload);
  }

  async function startLogin(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!login) {
      sendPage(res, 503, messagePage(baseContext, 'Sign-in is not set up', 'The console has no console.login section: set its issuer, client id and secret.'));
      return;
    }
    const returnTo = safeReturnTo(url.searchParams.get('returnTo'), prefix);
    const { url: to, flow } = await login.start(`${origin(req, options.publicUrl)}${prefix}/callback`, returnTo, nowSec() + FLOW_TTL_SEC);
    redirect(res, to, [cookie(FLOW_COOKIE, sign(options.sessionKey, FLOW_COOKIE, flow), cookieOptions(FLOW_TTL_SEC))]);
  }

  async function callback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const clearFlow = cookie(FLOW_COOKIE, '', cookieOptions(0));
    const again = { href: `${prefix}/login`, label: 'Sign in again' };
    const flow = verify<LoginFlow>(options.sessionKey, FLOW_COOKIE, readCookies(req).get(FLOW_COOKIE), nowSec());
    if (typeof flow === 'string' || !login) {
      const why = flow === 'expired' ? 'The sign-in took too long.' : 'This sign-in was not started in this browser, or was already used.';
      sendPage(res, 400, messagePage(baseContext, 'Sign-in failed', `${why} Start again.`, again), { 'set-cookie': clearFlow });
      return;
    }
    const idpError = url.searchParams.get('error');
    if (idpError !== null) {
      const description = url.searchParams.get('error_description') ?? '';
      sendPage(res, 400, messagePage(baseContext, 'Sign-in failed', `The identity provider refused the sign-in: ${idpError.slice(0, 100)}${description ? ` (${description.slice(0, 200)})` : ''}.`, again), { 'set-cookie': clearFlow });
      return;
    }
    const result = await login.finish(new URL(`${origin(req, options.publicUrl)}${req.url ?? ''}`), flow);
    const provider = loginProvider(auth.config.providers, options.login!.issuer, options.login!.provider);
    const base = principalFromClaims(result.claims, {
      usernameClaim: provider?.usernameClaim ?? 'preferred_username',
      groupsClaim: provider?.groupsClaim ?? 'groups',
      clientIdClaim: provider?.clientIdClaim,
    }, { provider: provider?.name ?? 'console', tokenType: 'jwt' });
    const principal: Principal = { ...base, scopes: result.scopes };
    const allow = auth.config.policy.allowGroups;
    if (allow.length && !principal.groups.some((g) => allow.includes(g))) {
      sendPage(res, 403, messagePage(baseContext, 'Not allowed', html`${principal.username} is not in a group the access policy allows (policy.allowGroups).`), { 'set-cookie': clearFlow });
      return;
    }
    const exp = nowSec() + options.sessionTtlSec;
    const value = sign(options.sessionKey, SESSION_COOKIE, sessionPayload(principal, randomToken(), exp));
    redirect(res, safeReturnTo(flow.returnTo, prefix), [clearFlow, cookie(SESSION_COOKIE, value, cookieOptions(options.sessionTtlSec))]);
  }

  /** Same-origin check for POSTs: a browser sends Origin on every form POST; a foreign one is refused. */
  function sameOrigin(req: IncomingMessage): boolean {
    const sent = req.headers.origin;
    return sent === undefined || sent === origin(req, options.publicUrl);
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (method !== 'GET' && method !== 'POST') {
      sendPage(res, 405, messagePage(baseContext, 'Method not allowed', 'The console answers GET and POST only.'), { allow: 'GET, HEAD, POST' });
      return;
    }
    if (path.startsWith('/assets/') && method === 'GET') {
      if (!assets.serve(path, res)) sendPage(res, 404, messagePage(baseContext, 'Not found', 'No such file.'));
      return;
    }
    if (path === '/login' && method === 'GET') return startLogin(req, res, url);
    if (path === '/callback' && method === 'GET') return callback(req, res, url);

    const session = readSession(req);
    if (typeof session === 'string') {
      if (method === 'GET') {
        redirect(res, `${prefix}/login?returnTo=${encodeURIComponent(safeReturnTo(url.pathname + url.search, prefix))}`);
        return;
      }
      sendPage(res, 401, messagePage(baseContext, 'Signed out', session === 'expired' ? 'Your session has expired.' : 'You are not signed in.', { href: `${prefix}/login`, label: 'Sign in' }));
      return;
    }
    const admin = isAdmin(session.principal);
    const page: PageContext = { ...baseContext, user: { username: session.principal.username, admin, csrf: session.csrf } };
    let form = new URLSearchParams();
    if (method === 'POST') {
      form = await readForm(req);
      if (!sameOrigin(req) || !sameString(form.get('csrf') ?? '', session.csrf)) {
        sendPage(res, 403, messagePage(page, 'Request refused', 'This form was not sent from a console page (the CSRF check failed). Reload the page and try again.'));
        return;
      }
    }
    if (path === '/logout' && method === 'POST') {
      // The provider's own session lives on (single sign-on); its end-session page is offered, not forced.
      const endSession = await login?.endSessionUrl();
      const body = html`<p class="message" role="status">You are signed out of the console.</p>
<p><a class="button" href="${prefix}/login">Sign in again</a>${endSession ? html` <a class="button secondary" href="${endSession}">Sign out at the identity provider too</a>` : ''}</p>`;
      sendPage(res, 200, layout(baseContext, 'Signed out', body), { 'set-cookie': cookie(SESSION_COOKIE, '', cookieOptions(0)) });
      return;
    }
    if (path === '/' && method === 'GET') {
      redirect(res, `${prefix}/tokens`);
      return;
    }
    const request: ConsoleRequest = { req, res, method, path, query: url.searchParams, form, session, admin, page, auth, options };
    for (const r of routes) if (await r(request)) return;
    sendPage(res, 404, messagePage(page, 'Not found', 'There is no such console page.', { href: `${prefix}/tokens`, label: 'My API tokens' }));
  }

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const path = url.pathname;
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return false;
    try {
      await route(req, res, url, path.slice(prefix.length) || '/');
    } catch (err) {
      if (res.headersSent) {
        res.end();
        return true;
      }
      if (err instanceof FormTooLargeError) {
        res.setHeader('connection', 'close');
        sendPage(res, 413, messagePage(baseContext, 'Too large', 'The form is larger than the console accepts (64 KiB). Nothing was kept.'));
      } else if (err instanceof IdpUnavailableError) {
        sendPage(res, 503, messagePage(baseContext, 'Identity provider unavailable', `${err.message} Try again in a moment.`, { href: `${prefix}/login`, label: 'Try again' }), { 'retry-after': '5' });
      } else if (err instanceof CallbackError) {
        sendPage(res, 400, messagePage(baseContext, 'Sign-in failed', err.message, { href: `${prefix}/login`, label: 'Sign in again' }), {
          'set-cookie': cookie(FLOW_COOKIE, '', cookieOptions(0)),
        });
      } else {
        sendPage(res, 500, messagePage(baseContext, 'Something went wrong', 'The console could not answer this request. The details are not shown here.'));
      }
    }
    return true;
  };

  return Object.assign(handler, {
    prefix,
    express: () => (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => {
      handler(req, res).then((done) => { if (!done) next(); }, next);
    },
    koa: () => async (ctx: { req: IncomingMessage; res: ServerResponse; respond?: boolean }, next: () => Promise<unknown>) => {
      if (await handler(ctx.req, ctx.res)) ctx.respond = false;
      else await next();
    },
    fastify: () => async (request: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): void }) => {
      const url = request.raw.url ?? '/';
      if (url !== prefix && !url.startsWith(`${prefix}/`) && !url.startsWith(`${prefix}?`)) return;
      reply.hijack();
      if (!(await handler(request.raw, reply.raw))) reply.raw.end();
    },
  });
}

