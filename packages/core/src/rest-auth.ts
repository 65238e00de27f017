import { createHash } from 'node:crypto';
import { createApiTokens, type ApiTokens } from './api-tokens/api-tokens.js';
import { handleTokenRequest, type HttpResult } from './api-tokens/routes.js';
import { createMemoryApiTokenStore, type ApiTokenStore } from './api-tokens/store.js';
import { createFileAuditSink, createMemoryAuditSink, createStdoutAuditSink, type AuditEvent, type AuditQueue, type AuditQueueStats, type AuditSink } from './audit.js';
import { auditRequestId, auditUserAgent } from './audit/event.js';
import { createConfiguredAuditQueue } from './audit/configured-queue.js';
import { resolveSharedClientIp, type ClientIp, type ClientIpOptions } from './client-ip.js';
import { validateConfig, type ValidateOptions } from './config/load.js';
import type { ResolvedConfig, ResolvedProvider, RestAuthConfig, RuleConfig } from './config/types.js';
import { extractCredential, repeatsAuthorization, type Credential, type ExtractOptions } from './credentials.js';
import { allowDecision, denyDecision, type Decision, type DecisionReason } from './decision.js';
import { ConfigError, fixedRefusal, isRestAuthError, RestAuthError } from './errors.js';
import { anyCidrContains, formatIp, isV4, parseCidr, type Cidr } from './ip.js';
import { opaquePlugin } from './opaque/opaque-plugin.js';
import { normalizePath, rawPath, type NormalizedPath } from './path.js';
import type { PluginContext, RestAuthPlugin } from './plugin.js';
import type { Principal } from './principal.js';
import { createMemoryRateLimitStore, type RateLimitResult, type RateLimitStore } from './rate-limit.js';
import type { RequestLike } from './request.js';
import { compilePattern, matchesLoosely, matchesStrictly, type RoutePattern } from './route-pattern.js';
import type { Strategy } from './strategy.js';

/** Requirements a route declares in code (adapters' `requireAuth`, decorators, route config). */
export interface RouteRequirements {
  /** The principal must be in one of these groups. */
  readonly groups?: readonly string[] | undefined;
  /** The principal must hold every one of these scopes. */
  readonly scopes?: readonly string[] | undefined;
}

/** What the route itself says, as declared in the app's code. */
export interface RouteOptions extends RouteRequirements {
  /** Anonymous callers may pass (unless the config's `restrictPublic` names the route). */
  readonly public?: boolean | undefined;
  /**
   * The handler only reads: members of `readOnlyGroups` may call it whatever its method
   * (a `POST /search`, say). Method-override headers never have this effect.
   */
  readonly readOnly?: boolean | undefined;
}

/** One step of {@link RestAuth.explain}. */
export interface ExplainStep {
  readonly check: DecisionReason | 'credentials-present' | 'public-route';
  readonly result: 'pass' | 'fail' | 'skip' | 'would-fail';
  readonly detail: string;
}

/** The ordered checks of one request and the decision they led to. */
export interface Explanation {
  readonly decision: Decision;
  readonly steps: readonly ExplainStep[];
}

/** Options of {@link createRestAuth}. */
export interface CreateRestAuthOptions extends ValidateOptions {
  /** Plugins that provide provider types, stores and sinks (`jwtPlugin()` from `@restauth/jwt`...). */
  plugins?: readonly RestAuthPlugin[];
  /** Extra strategies, asked after the configured providers (custom credentials). */
  strategies?: readonly Strategy[];
  /** Clock for rate limiting and audit; default `Date.now`. */
  now?: () => number;
  /**
   * Where audit events go, instead of the configured `audit.sink` (a
   * {@link createFunctionAuditSink} or any {@link AuditSink}). Used when `audit.enabled` is true.
   */
  auditSink?: AuditSink;
}

/**
 * A configured gate. One per app; share it between adapters and routes.
 *
 * @example
 * const auth = createRestAuth(config, { plugins: [jwtPlugin()] });
 * const decision = await auth.authenticate({ method: 'GET', url: '/api/items', headers: {}, remoteAddress: '127.0.0.1' });
 */
export interface RestAuth {
  readonly config: ResolvedConfig;
  /** Runs the whole gate for one request. Never rejects: every failure is a deny decision. */
  authenticate(request: RequestLike, route?: RouteOptions): Promise<Decision>;
  /** Checks route requirements against an already authenticated principal (after the gate). */
  authorize(request: RequestLike, principal: Principal | undefined, requirements: RouteRequirements): Decision;
  /** The ordered checks of the gate for one request, and which one decided. */
  explain(request: RequestLike, route?: RouteOptions): Promise<Explanation>;
  /** The API-token life cycle, when `apiTokens.enabled`. */
  readonly tokens: ApiTokens | undefined;
  /**
   * Serves the token routes (`/auth/tokens`) for an adapter, after the gate. Undefined when the
   * URL is not a token route or API tokens are off (the app's own 404 applies).
   */
  handleTokenRequest(request: RequestLike, principal: Principal | undefined, body: unknown): Promise<HttpResult | undefined>;
  /** Flushes the audit queue and closes stores, sinks and strategies. */
  close(): Promise<void>;
  /** Counters of the audit queue (written, dropped, spilled, ...); undefined when audit is off. */
  auditStats(): AuditQueueStats | undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const NO_PATH: NormalizedPath = Object.freeze({ loose: Object.freeze([]), strict: undefined });
const MAX_CREDENTIAL_LENGTH = 8192;
const MAX_REMEMBERED_HEADERS = 1024;
const MAX_REMEMBERED_HEADER = 4096;
const BRAND = Symbol.for('restauth.instance');

// The refusals whose message never changes, made once (see fixedRefusal).
const AUTH_REQUIRED = fixedRefusal('unauthorized', 'Authentication required');
const NOT_ACCEPTED = fixedRefusal('invalid_token', 'Token not accepted by any configured provider');
const BAD_BASIC = fixedRefusal('invalid_token', 'Invalid username or password');
const IP_NOT_ALLOWED = fixedRefusal('forbidden', 'Client IP address is not allowed');
const NOT_A_MEMBER = fixedRefusal('forbidden', 'Not a member of an allowed group');
const CLIENT_NOT_ALLOWED = fixedRefusal('forbidden', 'Client is not allowed');

interface CompiledRule {
  readonly pattern: RoutePattern;
  readonly methods: ReadonlySet<string> | undefined;
  readonly groups: readonly string[] | undefined;
  readonly scopes: readonly string[] | undefined;
  readonly reportOnly: boolean;
  readonly index: number;
  readonly rateLimit: RuleConfig['rateLimit'];
}

/** True for an instance made by {@link createRestAuth} (also across package copies). */
export function isRestAuth(value: unknown): value is RestAuth {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

function compileAll(sources: readonly string[], path: string): RoutePattern[] {
  const issues: { path: string; message: string }[] = [];
  const out = sources.map((s, i) => compilePattern(s, `${path}[${i}]`, issues));
  if (issues.length) throw new ConfigError(issues);
  return out as RoutePattern[];
}

function cidrs(list: readonly string[]): Cidr[] {
  return list.map((s) => parseCidr(s) as Cidr);
}

function hasAny(have: readonly string[], want: ReadonlySet<string> | readonly string[]): boolean {
  for (const g of have) if (Array.isArray(want) ? want.includes(g) : (want as ReadonlySet<string>).has(g)) return true;
  return false;
}

function missingScopes(have: readonly string[], want: readonly string[]): string[] {
  return want.filter((s) => !have.includes(s));
}

function buildStrategies(config: ResolvedConfig, plugins: readonly RestAuthPlugin[]): Strategy[] {
  const byType = new Map<string, { providers: ResolvedProvider[]; first: number }>();
  config.providers.forEach((p, i) => {
    const entry = byType.get(p.type) ?? { providers: [], first: i };
    entry.providers.push(p);
    byType.set(p.type, entry);
  });
  const strategies: Strategy[] = [];
  for (const [type, { providers, first }] of byType) {
    const factory = plugins.find((pl) => pl.providers?.[type])?.providers?.[type];
    if (!factory) {
      const pkg = type === 'jwt' ? '@restauth/jwt' : `a plugin for provider type "${type}"`;
      throw new ConfigError([{ path: `providers[${first}].type`, message: `provider type "${type}" needs ${pkg}: install and register it` }]);
    }
    strategies.push(factory(providers, { config, path: `providers[${first}]` }));
  }
  return strategies;
}

function storeFactory<T>(
  kind: 'rateLimitStores' | 'auditSinks' | 'apiTokenStores',
  type: string,
  plugins: readonly RestAuthPlugin[],
  path: string,
): (store: ResolvedConfig['rateLimit']['store'], ctx: PluginContext) => T {
  const f = plugins.find((p) => p[kind]?.[type])?.[kind]?.[type];
  if (!f) {
    const pkg = type === 'redis' || type === 'postgres' ? `@restauth/${type}` : `a plugin for "${type}"`;
    throw new ConfigError([{ path: `${path}.type`, message: `store type "${type}" needs ${pkg}: install and register it` }]);
  }
  return f as unknown as (store: ResolvedConfig['rateLimit']['store'], ctx: PluginContext) => T;
}

/** The built-in memory, stdout and file stores and sinks. */
const builtins: RestAuthPlugin = {
  name: 'builtin',
  providers: opaquePlugin().providers,
  rateLimitStores: { memory: () => createMemoryRateLimitStore() },
  apiTokenStores: { memory: () => createMemoryApiTokenStore() },
  auditSinks: {
    memory: () => createMemoryAuditSink(),
    stdout: () => createStdoutAuditSink(),
    file: (s, ctx) => createFileAuditSink({ path: s.path as string, maxFileBytes: s.maxFileBytes, retention: ctx.config.audit.retention }),
  },
};

function toRestAuthError(err: unknown): RestAuthError {
  if (isRestAuthError(err) && err.code !== 'config_error') return err;
  // Fail closed: an unexpected failure while verifying is an invalid token, never a 500.
  return new RestAuthError('invalid_token', 'Token could not be verified', { cause: err });
}

/**
 * Builds a gate from a configuration (object or already resolved). Throws {@link ConfigError}
 * at start-up for any mistake, including a provider or store type whose plugin is missing.
 *
 * @example
 * import { createRestAuth } from '@restauth/core';
 * import { jwtPlugin } from '@restauth/jwt';
 * const auth = createRestAuth({ providers: [{ name: 'corp', type: 'jwt', issuer: 'https://idp', audience: 'api', discovery: true }] }, { plugins: [jwtPlugin()] });
 */
export function createRestAuth(input: RestAuthConfig | ResolvedConfig, options: CreateRestAuthOptions = {}): RestAuth {
  const config = validateConfig(input, options);
  const plugins = [...(options.plugins ?? []), builtins];
  const now = options.now ?? Date.now;
  const realm = config.realm;
  const policy = config.policy;

  const at = config.apiTokens;
  const tokens: ApiTokens | undefined = at.enabled
    ? createApiTokens({
        store: storeFactory<ApiTokenStore>('apiTokenStores', at.store.type, plugins, 'apiTokens.store')(at.store, { config, path: 'apiTokens.store' }),
        creatorGroups: at.creatorGroups,
        adminGroups: at.adminGroups,
        maxLifetimeDays: at.maxLifetimeDays,
        defaultLifetimeDays: at.defaultLifetimeDays,
        now,
      })
    : undefined;
  // API tokens first: their prefix makes the check a string comparison.
  const strategies = [...(tokens ? [tokens.strategy] : []), ...buildStrategies(config, plugins), ...(options.strategies ?? [])];
  const bypass = compileAll(policy.bypass, 'policy.bypass');
  const publicRoutes = compileAll(policy.public, 'policy.public');
  const restrictPublic = compileAll(policy.restrictPublic, 'policy.restrictPublic');
  const rules: CompiledRule[] = policy.rules.map((r, i) => ({
    pattern: compileAll([r.match], `policy.rules[${i}].match`)[0] as RoutePattern,
    methods: r.methods ? new Set(r.methods) : undefined,
    groups: r.groups,
    scopes: r.scopes,
    reportOnly: (r.mode ?? policy.mode) === 'report-only',
    index: i,
    rateLimit: r.rateLimit,
  }));
  const ipAllow = cidrs(policy.ipAllow);
  const needsPath = bypass.length + publicRoutes.length + restrictPublic.length + rules.length > 0;
  const clientIpOptions: ClientIpOptions = {
    trustProxy: typeof policy.trustProxy === 'number' ? { hops: policy.trustProxy } : { cidrs: cidrs(policy.trustProxy) },
    header: policy.clientIpHeader,
  };
  const allowGroups = new Set(policy.allowGroups);
  const readOnlyGroups = new Set(policy.readOnlyGroups);
  const allowClients = new Set(policy.allowClients);
  const policyReportOnly = policy.mode === 'report-only';
  const extractOptions: ExtractOptions = {
    apiKeyHeader: config.apiTokens.enabled ? config.apiTokens.header : undefined,
    basic: config.basicAuth.enabled,
    maxLength: MAX_CREDENTIAL_LENGTH,
  };

  const rl = config.rateLimit;
  const rateLimitStore: RateLimitStore | undefined = rl.enabled
    ? storeFactory<RateLimitStore>('rateLimitStores', rl.store.type, plugins, 'rateLimit.store')(rl.store, { config, path: 'rateLimit.store' })
    : undefined;
  const rlExemptGroups = new Set(rl.exempt.groups);
  const rlExemptClients = new Set(rl.exempt.clients);
  // One IPv6 client usually holds a whole /64 (or more), so IPv6 buckets are per prefix.
  const v6Prefix = rl.ipv6Prefix ?? 64;
  const v6FullBytes = v6Prefix >> 3;
  const v6LastMask = (0xff << (8 - (v6Prefix & 7))) & 0xff;
  const v6Scratch = new Uint8Array(16);

  const audit: AuditQueue | undefined = config.audit.enabled
    ? createConfiguredAuditQueue(
        config,
        options.auditSink ?? storeFactory<AuditSink>('auditSinks', config.audit.sink.type, plugins, 'audit.sink')(config.audit.sink, { config, path: 'audit.sink' }),
        !options.auditSink,
      )
    : undefined;

  const PASS = allowDecision('disabled', undefined);

  // Checking a bearer header is a regex over the whole token, and API clients send the same
  // header on every request: the parsed credential is remembered per header (bounded, bearer
  // only). Same result, once. The key is the header's last 32 characters (hashing a whole 1 KB
  // header would cost more than the regex); a hit also needs the whole header to be equal, a
  // comparison only reached by a header whose unguessable tail already matches.
  const parsedBearers = new Map<string, { readonly header: string; readonly credential: Credential }>();
  function credentialOf(request: RequestLike): Credential | undefined {
    if (request.rawHeaders !== undefined && repeatsAuthorization(request.rawHeaders)) {
      throw new RestAuthError('invalid_request', 'More than one Authorization header');
    }
    const h = request.headers;
    const auth = h['authorization'];
    if (typeof auth !== 'string' || auth.length < 64 || auth.length > MAX_REMEMBERED_HEADER
      || (extractOptions.apiKeyHeader !== undefined && h[extractOptions.apiKeyHeader] !== undefined)
      || request.url.includes('access_token=')) {
      return extractCredential(h, request.url, extractOptions);
    }
    const key = auth.slice(-32);
    const hit = parsedBearers.get(key);
    if (hit !== undefined && hit.header === auth) return hit.credential;
    const credential = extractCredential(h, request.url, extractOptions);
    if (credential?.kind === 'bearer') {
      if (parsedBearers.size >= MAX_REMEMBERED_HEADERS) parsedBearers.delete(parsedBearers.keys().next().value as string);
      parsedBearers.set(key, { header: auth, credential: Object.freeze(credential) });
    }
    return credential;
  }

  async function verify(credential: Credential, request: RequestLike): Promise<Principal> {
    // A provider that cannot be reached must not lock out the callers of the others: its 503
    // is kept while later strategies are asked, and wins only when none accepts the credential.
    let unavailable: RestAuthError | undefined;
    for (const s of strategies) {
      let p: Principal | undefined;
      try {
        p = await s.verify(credential, { request });
      } catch (err) {
        const e = toRestAuthError(err);
        if (e.code !== 'temporarily_unavailable') throw e;
        unavailable ??= e;
      }
      if (p) return p;
    }
    if (unavailable) throw unavailable;
    if (credential.kind === 'basic') throw BAD_BASIC;
    throw NOT_ACCEPTED;
  }

  function rateLimitKey(principal: Principal | undefined, credential: Credential | undefined, request: RequestLike, ip: ClientIp | undefined): string {
    const by = rl.by;
    if (principal) {
      if (by === 'token' && credential && credential.kind !== 'basic') {
        return 't:' + createHash('sha256').update(credential.token).digest('base64url').slice(0, 32);
      }
      if (by === 'client' && principal.clientId) return 'c:' + principal.clientId;
      if (by !== 'ip') return `p:${principal.provider}:${principal.subject || principal.username}`;
    }
    return ipKey(ip ?? resolveSharedClientIp(request.headers, request.remoteAddress, clientIpOptions));
  }

  function ipKey(ip: ClientIp): string {
    const b = ip.bytes;
    if (!b || ip.text === undefined) return 'ip:unknown';
    // IPv4 and IPv4-mapped IPv6 are the same 16 bytes and the same dotted text: one bucket.
    if (v6Prefix >= 128 || isV4(b)) return 'ip:' + ip.text;
    v6Scratch.fill(0);
    v6Scratch.set(b.subarray(0, v6FullBytes));
    if (v6LastMask) v6Scratch[v6FullBytes] = (b[v6FullBytes] as number) & v6LastMask;
    return `ip:${formatIp(v6Scratch)}/${v6Prefix}`;
  }

  function rateLimitHeaders(r: RateLimitResult, windowSec: number): Record<string, string> {
    return {
      'ratelimit-limit': String(r.limit),
      'ratelimit-remaining': String(r.remaining),
      'ratelimit-reset': String(Math.ceil(r.resetMs / 1000)),
      'ratelimit-policy': `${r.limit};w=${windowSec}`,
    };
  }

  async function evaluate(request: RequestLike, route: RouteOptions | undefined, steps: ExplainStep[] | undefined): Promise<Decision> {
    const step = steps ? (check: ExplainStep['check'], result: ExplainStep['result'], detail: string) => { steps.push({ check, result, detail }); } : undefined;
    if (!config.enabled) {
      step?.('disabled', 'pass', 'restauth is disabled: every request passes');
      return PASS;
    }
    const method = request.method.toUpperCase();
    // Only patterns read the path: with none configured, it is not worth normalising.
    const path = needsPath ? normalizePath(request.url) : NO_PATH;
    for (const p of bypass) {
      if (matchesStrictly(p, method, path.strict)) {
        step?.('bypass', 'pass', `matches bypass "${p.source}"`);
        return allowDecision('bypass', undefined);
      }
    }
    step?.('bypass', 'skip', 'no bypass pattern matches');

    let wouldDeny: Decision['wouldDeny'];
    const policyFail = (reason: DecisionReason, error: RestAuthError, reportOnly: boolean, principal?: Principal): Decision | undefined => {
      if (reportOnly) {
        step?.(reason, 'would-fail', error.message + ' (report-only)');
        wouldDeny ??= { reason, error };
        return undefined;
      }
      step?.(reason, 'fail', error.message);
      return denyDecision(realm, reason, error, principal);
    };

    // Resolved here only for the IP policy; the rate limiter resolves it if it keys by IP.
    const ip = ipAllow.length ? resolveSharedClientIp(request.headers, request.remoteAddress, clientIpOptions) : undefined;
    if (ip) {
      if (!ip.bytes || !anyCidrContains(ipAllow, ip.bytes)) {
        const d = policyFail('ip', IP_NOT_ALLOWED, policyReportOnly);
        if (d) return d;
      } else step?.('ip', 'pass', `client IP ${ip.text} is allowed`);
    }

    const matched: CompiledRule[] = [];
    for (const r of rules) {
      if (matchesLoosely(r.pattern, method, path.loose) && (!r.methods || r.methods.has(method) || (method === 'HEAD' && r.methods.has('GET')))) matched.push(r);
    }
    let isPublic = route?.public === true;
    if (!isPublic) for (const p of publicRoutes) if (matchesStrictly(p, method, path.strict)) { isPublic = true; break; }
    if (isPublic) for (const p of restrictPublic) if (matchesLoosely(p, method, path.loose)) { isPublic = false; step?.('public-route', 'fail', `restricted by restrictPublic "${p.source}"`); break; }
    const ruleNeedsAuth = matched.some((r) => (r.groups?.length || r.scopes?.length) && !r.reportOnly) || !!route?.groups?.length || !!route?.scopes?.length;
    const anonymousOk = isPublic && !ruleNeedsAuth;
    if (isPublic) step?.('public-route', anonymousOk ? 'pass' : 'fail', anonymousOk ? 'route is public' : 'route is public but a rule requires authentication');

    let credential: Credential | undefined;
    try {
      credential = credentialOf(request);
    } catch (err) {
      const e = toRestAuthError(err);
      step?.('credentials', 'fail', e.message);
      return denyDecision(realm, 'credentials', e);
    }

    let principal: Principal | undefined;
    if (!credential) {
      if (!anonymousOk) {
        step?.('credentials', 'fail', 'no credentials sent');
        return denyDecision(realm, 'credentials', AUTH_REQUIRED);
      }
      step?.('credentials', 'skip', 'no credentials; anonymous access to a public route');
    } else {
      step?.('credentials', 'pass', `${credential.kind} credential present`);
      try {
        principal = await verify(credential, request);
      } catch (err) {
        const e = toRestAuthError(err);
        step?.('verify', 'fail', e.message);
        return denyDecision(realm, 'verify', e);
      }
      step?.('verify', 'pass', `verified by ${principal.provider} as ${principal.username}`);

      if (allowGroups.size && !hasAny(principal.groups, allowGroups)) {
        const d = policyFail('allowGroups', NOT_A_MEMBER, policyReportOnly, principal);
        if (d) return d;
      } else if (allowGroups.size) step?.('allowGroups', 'pass', 'member of an allowed group');

      if (readOnlyGroups.size && hasAny(principal.groups, readOnlyGroups) && !SAFE_METHODS.has(method) && route?.readOnly !== true) {
        const d = policyFail('readOnly', new RestAuthError('forbidden', `Read-only access: ${method} is not allowed`), policyReportOnly, principal);
        if (d) return d;
      } else if (readOnlyGroups.size) step?.('readOnly', 'pass', 'not restricted to reads, or a read');

      if (allowClients.size && principal.clientId !== undefined && !allowClients.has(principal.clientId)) {
        const d = policyFail('allowClients', CLIENT_NOT_ALLOWED, policyReportOnly, principal);
        if (d) return d;
      } else if (allowClients.size) step?.('allowClients', 'pass', principal.clientId ? `client ${principal.clientId} is allowed` : 'token names no client');

      for (const r of matched) {
        const fail = requirementError(principal, r);
        if (fail) {
          const d = policyFail('rule', fail, r.reportOnly, principal);
          if (d) return d;
        } else step?.('rule', 'pass', `meets rule "${r.pattern.source}"`);
      }
    }
    if (route && (route.groups?.length || route.scopes?.length)) {
      if (!principal) {
        step?.('route', 'fail', 'route requirements need an authenticated caller');
        return denyDecision(realm, 'route', AUTH_REQUIRED);
      }
      const fail = requirementError(principal, route);
      if (fail) {
        step?.('route', 'fail', fail.message);
        return denyDecision(realm, 'route', fail, principal);
      }
      step?.('route', 'pass', 'meets the route requirements');
    }

    let headers: Record<string, string> | undefined;
    if (rateLimitStore && !(principal && (hasAny(principal.groups, rlExemptGroups) || (principal.clientId !== undefined && rlExemptClients.has(principal.clientId))))) {
      const ruleLimit = matched.find((r) => r.rateLimit)?.rateLimit;
      const limit = ruleLimit?.limit ?? rl.limit;
      const windowSec = ruleLimit?.windowSec ?? rl.windowSec;
      const key = (ruleLimit ? `r${matched.find((r) => r.rateLimit)?.index}:` : '') + rateLimitKey(principal, credential, request, ip);
      let result: RateLimitResult;
      try {
        result = await rateLimitStore.hit({ key, limit, windowMs: windowSec * 1000, burst: ruleLimit?.burst ?? rl.burst ?? limit });
      } catch (cause) {
        if (rl.onStoreError === 'allow') {
          step?.('rateLimit', 'skip', 'rate-limit store unavailable; onStoreError is "allow"');
          return allowDecision(principal ? 'authenticated' : 'public', principal, undefined, wouldDeny);
        }
        step?.('rateLimit', 'fail', 'rate-limit store unavailable');
        return denyDecision(realm, 'rateLimit', new RestAuthError('temporarily_unavailable', 'Rate limiting is temporarily unavailable', { cause, retryAfterSec: 1 }), principal);
      }
      headers = rateLimitHeaders(result, windowSec);
      if (!result.allowed) {
        step?.('rateLimit', 'fail', `limit of ${limit} per ${windowSec}s reached`);
        return denyDecision(realm, 'rateLimit', new RestAuthError('rate_limited', 'Rate limit exceeded', { retryAfterSec: result.retryAfterMs / 1000 }), principal, headers);
      }
      step?.('rateLimit', 'pass', `${result.remaining} of ${limit} left`);
    }
    return allowDecision(principal ? 'authenticated' : 'public', principal, headers, wouldDeny);
  }

  function requirementError(principal: Principal, req: RouteRequirements): RestAuthError | undefined {
    if (req.groups?.length && !hasAny(principal.groups, req.groups)) {
      return new RestAuthError('forbidden', `Requires membership of one of: ${req.groups.join(', ')}`);
    }
    if (req.scopes?.length) {
      const missing = missingScopes(principal.scopes, req.scopes);
      if (missing.length) return new RestAuthError('insufficient_scope', `Requires scope: ${req.scopes.join(' ')}`, { scopes: req.scopes });
    }
    return undefined;
  }

  function record(request: RequestLike, decision: Decision, started: number): void {
    if (!audit || decision.reason === 'bypass' || decision.reason === 'disabled') return;
    const denied = !decision.allowed;
    if (!denied && !decision.wouldDeny && config.audit.sampleAllowed < 1 && Math.random() >= config.audit.sampleAllowed) return;
    const p = decision.principal;
    const h = request.headers;
    const ip = resolveSharedClientIp(h, request.remoteAddress, clientIpOptions).text;
    const event: AuditEvent = {
      time: new Date(started).toISOString(),
      requestId: auditRequestId(h['x-request-id']),
      method: request.method.toUpperCase(),
      path: rawPath(request.url),
      status: decision.status,
      decision: denied ? 'deny' : decision.wouldDeny ? 'would-deny' : 'allow',
      reason: decision.wouldDeny?.reason ?? decision.reason,
      username: p?.username ?? null,
      provider: p?.provider ?? null,
      tokenType: p?.tokenType ?? null,
      clientId: p?.clientId ?? null,
      ip: ip ?? null,
      userAgent: auditUserAgent(h['user-agent']),
      latencyMs: Math.max(0, now() - started),
    };
    audit.push(event);
  }

  const instance: RestAuth & { [BRAND]: true } = {
    [BRAND]: true,
    config,
    async authenticate(request, route) {
      const started = audit ? now() : 0;
      let decision: Decision;
      try {
        decision = await evaluate(request, route, undefined);
      } catch (err) {
        decision = denyDecision(realm, 'verify', toRestAuthError(err));
      }
      record(request, decision, started);
      return decision;
    },
    authorize(request, principal, requirements) {
      if (!principal) return denyDecision(realm, 'route', AUTH_REQUIRED);
      const fail = requirementError(principal, requirements);
      const decision = fail ? denyDecision(realm, 'route', fail, principal) : allowDecision('authenticated', principal);
      if (fail) record(request, decision, audit ? now() : 0);
      return decision;
    },
    async explain(request, route) {
      const steps: ExplainStep[] = [];
      let decision: Decision;
      try {
        decision = await evaluate(request, route, steps);
      } catch (err) {
        decision = denyDecision(realm, 'verify', toRestAuthError(err));
      }
      return { decision, steps };
    },
    tokens,
    async handleTokenRequest(request, principal, body) {
      return tokens ? handleTokenRequest(tokens, realm, { method: request.method, url: request.url, principal, body }) : undefined;
    },
    async close() {
      await tokens?.close();
      await audit?.close();
      await rateLimitStore?.close?.();
      for (const s of strategies) await s.close?.();
    },
    auditStats() {
      return audit?.stats();
    },
  };
  return instance;
}
