import { createHmac, randomBytes } from 'node:crypto';
import type { Credential } from '../credentials.js';
import type { Decision } from '../decision.js';
import { RestAuthError } from '../errors.js';
import type { Principal } from '../principal.js';
import type { Strategy } from '../strategy.js';
import { API_TOKEN_PREFIX, generateApiToken, hashApiToken, parseApiToken, sameHash } from './format.js';
import { utcDay, type ApiTokenRateLimit, type ApiTokenRecord, type ApiTokenStore, type ApiTokenUsageDay } from './store.js';

/** Settings of {@link createApiTokens}, from the `apiTokens` config section. */
export interface ApiTokensOptions {
  readonly store: ApiTokenStore;
  /** Only members may create tokens; empty: any authenticated caller. */
  readonly creatorGroups: readonly string[];
  /** Members may list and revoke every token. */
  readonly adminGroups: readonly string[];
  readonly maxLifetimeDays: number;
  readonly defaultLifetimeDays: number;
  /** The most a token's own `rateLimit` may allow (limit, and limit per second). Default 6000 per 60 s. */
  readonly maxRateLimit?: ApiTokenRateLimit;
  /** How many days of per-day usage counts are kept and can be read. Default 90. */
  readonly usageRetentionDays?: number;
  /**
   * How long a verified token is trusted without asking the store, ms. Default 10 000. A
   * revocation reaches this instance at once, and other instances at once when the store
   * supports `onRevoke`, else within this TTL.
   */
  readonly cacheTtlMs?: number;
  /** How often last-used times and usage counts are written, ms. Default 60 000. */
  readonly touchIntervalMs?: number;
  readonly now?: () => number;
}

/** The answer to a creation: the secret `token` is shown here and never again. */
export interface CreatedApiToken {
  readonly id: string;
  readonly token: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly expiresAt: string | null;
}

/** A token as listed: never the secret, never the hash. */
export interface ApiTokenSummary {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  /** What the creator attached with `meta`, or null. */
  readonly meta: Readonly<Record<string, unknown>> | null;
  /** The token's own rate limit, or null (the global one applies). */
  readonly rateLimit: ApiTokenRateLimit | null;
  /** Requests left for a token made with `remaining` (as last read from the store), or null. */
  readonly remaining: number | null;
  /** Only in admin listings of every token: `provider:username`. */
  readonly owner?: string;
}

/** One page of the admin listing; pass `nextCursor` back as `cursor` for the next (null: the last page). */
export interface ApiTokenPage {
  readonly tokens: ApiTokenSummary[];
  readonly nextCursor: string | null;
}

/** Per-day counts of one token, oldest day first, one entry per day (zeros included). */
export interface ApiTokenUsage {
  readonly id: string;
  readonly days: ApiTokenUsageDay[];
}

/** Options of {@link ApiTokens.page}: the admin view of every owner's tokens. */
export interface ApiTokenPageOptions {
  /** Only this owner's tokens, written as in listings (`provider:username`). */
  readonly owner?: string | undefined;
  /** Page size, 1 to 500. Default 50. */
  readonly limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string | undefined;
}

/**
 * The API-token life cycle: create, list, revoke, verify.
 *
 * @example
 * const created = await auth.tokens!.create(principal, { name: 'ci', scopes: ['items:read'], expiresInDays: 30 });
 */
export interface ApiTokens {
  create(creator: Principal, input: unknown): Promise<CreatedApiToken>;
  /** The caller's live tokens (revoked ones are left out); every live token when `all` is set and the caller is an admin. */
  list(caller: Principal, options?: { all?: boolean }): Promise<ApiTokenSummary[]>;
  /**
   * The admin view: every owner's live tokens (or one owner's), newest first, paged. A caller who
   * is not an admin gets their own tokens in one page, whatever the options say.
   */
  page(caller: Principal, options?: ApiTokenPageOptions): Promise<ApiTokenPage>;
  /** Revokes a token of the caller's (or any, for an admin); `not_found` otherwise. */
  revoke(caller: Principal, id: string): Promise<void>;
  /**
   * A new secret for one of the caller's live tokens (same id, name, scopes and expiry). The old
   * secret keeps working for `graceSec` (input `{"graceSec"?}`, default 0, at most 7 days).
   */
  roll(caller: Principal, id: string, input: unknown): Promise<CreatedApiToken>;
  /** Per-day allowed/refused counts of a token of the caller's (or any, for an admin), for `days` days up to today. */
  usage(caller: Principal, id: string, options?: { days?: number | undefined }): Promise<ApiTokenUsage>;
  verify(token: string): Promise<Principal>;
  /**
   * Spends one use of a token made with `remaining` (the gate calls this once a request with
   * it is otherwise allowed). Resolves to a refusal when the token is used up.
   */
  spend(principal: Principal): Promise<RestAuthError | undefined>;
  /** True when the caller is a member of `adminGroups` (and so may see and revoke every token). */
  isAdmin(caller: Principal): boolean;
  /** Counts one decision in the usage of the API token that made it, if any (the gate calls this). */
  count(decision: Decision): void;
  /** The strategy that recognises `rat_` bearer tokens and the API-key header. */
  readonly strategy: Strategy;
  close(): Promise<void>;
}

const NAME = /^[^\u0000-\u001f\u007f]{1,100}$/;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/;
const DAY_MS = 86_400_000;
const MAX_GRACE_SEC = 7 * 86_400;
const MAX_REMAINING = 1_000_000_000;
const MAX_META_BYTES = 1024;
const MAX_WINDOW_SEC = 86_400;
const DEFAULT_MAX_RATE_LIMIT: ApiTokenRateLimit = { limit: 6000, windowSec: 60 };
const MAX_PAGE = 500;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const bad = (message: string) => new RestAuthError('invalid_request', message);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isWhole = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

function storeDown(cause: unknown): RestAuthError {
  return new RestAuthError('temporarily_unavailable', 'API token store is unavailable', { cause, retryAfterSec: 5 });
}

/** Runs a store call; any failure is a 503 (never an allow, never a 500). */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (cause) {
    throw storeDown(cause);
  }
}

/** Rejects unknown keys of a request body. */
function onlyKeys(input: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(input).find((k) => !known.includes(k));
  if (unknown !== undefined) throw bad(`Unknown field "${unknown.slice(0, 40)}"`);
}

/**
 * Builds the API-token life cycle over a store.
 *
 * @example
 * const tokens = createApiTokens({ store: createMemoryApiTokenStore(), creatorGroups: [], adminGroups: ['admins'], maxLifetimeDays: 365, defaultLifetimeDays: 90 });
 */
export function createApiTokens(options: ApiTokensOptions): ApiTokens {
  const { store } = options;
  const now = options.now ?? Date.now;
  const cacheTtlMs = options.cacheTtlMs ?? 10_000;
  const maxRate = options.maxRateLimit ?? DEFAULT_MAX_RATE_LIMIT;
  const retentionDays = options.usageRetentionDays ?? 90;
  const admins = new Set(options.adminGroups);
  const creators = new Set(options.creatorGroups);
  const cache = new Map<string, { record: ApiTokenRecord; until: number }>();
  /** Store reads in flight, by id; dropped when the token is revoked or rolled meanwhile. */
  const loading = new Map<string, Promise<ApiTokenRecord | undefined>>();
  const forget = (id: string) => {
    cache.delete(id);
    loading.delete(id);
  };
  const pendingTouch = new Map<string, Date>();
  /** Usage counts not yet written, by `id|day`. */
  const pendingUsage = new Map<string, { id: string; day: string; allowed: number; refused: number }>();
  // Cursors are signed with a key made here, so a cursor cannot be forged or edited.
  const cursorKey = randomBytes(32);
  const isAdmin = (p: Principal) => p.groups.some((g) => admins.has(g));
  const ownerSubject = (p: Principal) => p.subject || p.username;
  const owns = (p: Principal, r: ApiTokenRecord) => r.owner.provider === p.provider && r.owner.subject === ownerSubject(p);

  async function flushTouches(): Promise<void> {
    if (pendingTouch.size) {
      const updates = [...pendingTouch].map(([id, lastUsedAt]) => ({ id, lastUsedAt }));
      pendingTouch.clear();
      try {
        await store.touch(updates);
      } catch {
        // Last-used is best effort: keep the newest times for the next flush.
        for (const u of updates) if (!pendingTouch.has(u.id)) pendingTouch.set(u.id, u.lastUsedAt);
      }
    }
    if (pendingUsage.size) {
      const counts = [...pendingUsage.values()];
      pendingUsage.clear();
      try {
        await store.addUsage(counts, retentionDays);
      } catch {
        for (const c of counts) addCount(c.id, c.day, c.allowed, c.refused);
      }
    }
  }
  const timer = setInterval(() => void flushTouches(), options.touchIntervalMs ?? 60_000);
  timer.unref();
  const unsubscribe = store.onRevoke?.(forget);

  function addCount(id: string, day: string, allowed: number, refused: number): void {
    const key = `${id}|${day}`;
    const cur = pendingUsage.get(key);
    if (cur) {
      cur.allowed += allowed;
      cur.refused += refused;
    } else pendingUsage.set(key, { id, day, allowed, refused });
  }

  function summary(r: ApiTokenRecord, withOwner: boolean): ApiTokenSummary {
    const pending = pendingTouch.get(r.id);
    const lastUsedAt = pending && (!r.lastUsedAt || r.lastUsedAt < pending) ? pending : r.lastUsedAt;
    return {
      id: r.id, name: r.name, scopes: r.scopes, createdAt: r.createdAt.toISOString(), expiresAt: iso(r.expiresAt), lastUsedAt: iso(lastUsedAt),
      meta: r.meta, rateLimit: r.rateLimit, remaining: r.remaining,
      ...(withOwner ? { owner: `${r.owner.provider}:${r.owner.username}` } : {}),
    };
  }

  async function load(id: string): Promise<ApiTokenRecord | undefined> {
    const hit = cache.get(id);
    if (hit && hit.until > now()) return hit.record;
    // Requests that miss the cache together share one store read (a burst on a cold token is one GET).
    const pending = loading.get(id);
    if (pending) return pending;
    const read = guarded(() => store.get(id)).then((record) => {
      if (record && loading.get(id) === read) {
        if (cache.size >= 10_000) cache.delete(cache.keys().next().value as string);
        cache.set(id, { record, until: now() + cacheTtlMs });
      }
      return record;
    }).finally(() => {
      if (loading.get(id) === read) loading.delete(id);
    });
    loading.set(id, read);
    return read;
  }

  /** A token of the caller's (or any, for an admin when `adminToo`), else `not_found` (never a hint that it exists). */
  async function find(caller: Principal, id: unknown, adminToo: boolean): Promise<ApiTokenRecord> {
    const record = typeof id === 'string' && id.length <= 64 ? await guarded(() => store.get(id)) : undefined;
    if (!record || (!owns(caller, record) && !(adminToo && isAdmin(caller)))) throw new RestAuthError('not_found', 'No such token');
    return record;
  }

  async function verify(token: string): Promise<Principal> {
    const id = parseApiToken(token);
    if (!id) throw new RestAuthError('invalid_token', 'API token is malformed');
    const record = await load(id);
    if (!record) throw new RestAuthError('invalid_token', 'API token is not valid');
    const hash = hashApiToken(token);
    const t = now();
    const current = sameHash(record.hash, hash);
    if (!current) {
      const old = record.previous;
      if (!old || !sameHash(old.hash, hash)) throw new RestAuthError('invalid_token', 'API token is not valid');
      if (old.until.getTime() <= t) return refuse(id, t, 'API token has been revoked');
    }
    if (record.revokedAt) return refuse(id, t, 'API token has been revoked');
    if (record.expiresAt && record.expiresAt.getTime() <= t) return refuse(id, t, 'API token has expired');
    if (record.remaining !== null && record.remaining <= 0) return refuse(id, t, 'API token is used up');
    pendingTouch.set(id, new Date(t));
    return {
      subject: record.owner.subject,
      username: record.owner.username,
      groups: record.owner.groups,
      scopes: record.scopes,
      clientId: undefined,
      provider: 'api-token',
      tokenType: 'api-token',
      claims: { token_id: record.id, token_name: record.name, owner_provider: record.owner.provider },
      expiresAt: record.expiresAt ?? undefined,
      tokenId: record.id,
      tokenMeta: record.meta ?? undefined,
      tokenRateLimit: record.rateLimit ?? undefined,
    };
  }

  /** A refusal of a token whose secret matched: it counts in the token's usage. */
  function refuse(id: string, t: number, message: string): never {
    addCount(id, utcDay(t), 0, 1);
    throw new RestAuthError('invalid_token', message);
  }

  function parseRateLimit(value: unknown): ApiTokenRateLimit {
    const limitMsg = `rateLimit must be {"limit", "windowSec"}: limit a whole number from 1 to ${maxRate.limit}, windowSec from 1 to ${MAX_WINDOW_SEC}, at most ${maxRate.limit} per ${maxRate.windowSec} s`;
    if (!isObject(value)) throw bad(limitMsg);
    const { limit, windowSec } = value;
    if (Object.keys(value).some((k) => k !== 'limit' && k !== 'windowSec') || !isWhole(limit, 1, maxRate.limit)) throw bad(limitMsg);
    if (typeof windowSec !== 'number' || !Number.isFinite(windowSec) || windowSec < 1 || windowSec > MAX_WINDOW_SEC) throw bad(limitMsg);
    if (limit / windowSec > maxRate.limit / maxRate.windowSec) throw bad(limitMsg);
    return { limit, windowSec };
  }

  function parseMeta(value: unknown): Record<string, unknown> {
    if (!isObject(value)) throw bad('meta must be a JSON object');
    if (Buffer.byteLength(JSON.stringify(value)) > MAX_META_BYTES) throw bad(`meta must be at most ${MAX_META_BYTES} bytes of JSON`);
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  }

  function parseInput(creator: Principal, input: unknown) {
    if (!isObject(input)) {
      throw bad('Body must be a JSON object {"name", "scopes"?, "expiresInDays"?, "rateLimit"?, "remaining"?, "meta"?}');
    }
    onlyKeys(input, ['name', 'scopes', 'expiresInDays', 'rateLimit', 'remaining', 'meta']);
    const { name, scopes, expiresInDays, rateLimit, remaining, meta } = input;
    if (typeof name !== 'string' || !NAME.test(name)) throw bad('name must be a string of 1 to 100 printable characters');
    let wanted: string[];
    if (scopes === undefined) wanted = [...creator.scopes];
    else if (!Array.isArray(scopes) || scopes.length > 50 || !scopes.every((s) => typeof s === 'string' && SCOPE.test(s))) {
      throw bad('scopes must be an array of at most 50 scope strings');
    } else wanted = [...new Set(scopes as string[])];
    const days = expiresInDays ?? options.defaultLifetimeDays;
    if (!isWhole(days, 1, options.maxLifetimeDays)) throw bad(`expiresInDays must be a whole number from 1 to ${options.maxLifetimeDays}`);
    if (remaining !== undefined && !isWhole(remaining, 1, MAX_REMAINING)) throw bad(`remaining must be a whole number from 1 to ${MAX_REMAINING}`);
    const parsed = {
      name, scopes: wanted, days,
      rateLimit: rateLimit === undefined ? null : parseRateLimit(rateLimit),
      remaining: remaining === undefined ? null : remaining,
      meta: meta === undefined ? null : parseMeta(meta),
    };
    const excess = wanted.filter((s) => !creator.scopes.includes(s));
    if (excess.length) throw new RestAuthError('forbidden', `Requested scopes exceed your own: ${excess.join(' ').slice(0, 200)}`);
    return parsed;
  }

  function mayIssue(caller: Principal): void {
    if (caller.tokenType === 'api-token') throw new RestAuthError('forbidden', 'API tokens cannot create tokens');
    if (creators.size && !caller.groups.some((g) => creators.has(g))) throw new RestAuthError('forbidden', 'Not allowed to create API tokens');
  }

  function signCursor(r: ApiTokenRecord): string {
    const body = `${r.createdAt.getTime()}.${r.id}`;
    return `${body}.${createHmac('sha256', cursorKey).update(body).digest('base64url').slice(0, 22)}`;
  }

  function readCursor(cursor: string): { at: number; id: string } {
    const m = /^(\d{1,15})\.([0-9A-Za-z]{1,64})\.([\w-]{22})$/.exec(cursor);
    const body = m ? `${m[1]}.${m[2]}` : '';
    if (!m || createHmac('sha256', cursorKey).update(body).digest('base64url').slice(0, 22) !== m[3]) {
      throw bad('cursor is not valid (use the nextCursor of the previous page, from the same server instance)');
    }
    return { at: Number(m[1]), id: m[2] as string };
  }

  const strategy: Strategy = {
    name: 'api-token',
    async verify(credential: Credential) {
      if (credential.kind === 'api-key') return verify(credential.token);
      if (credential.kind === 'bearer' && credential.token.startsWith(API_TOKEN_PREFIX)) return verify(credential.token);
      return undefined;
    },
  };

  async function ownList(caller: Principal): Promise<ApiTokenSummary[]> {
    const records = await guarded(() => store.list({ owner: { provider: caller.provider, subject: ownerSubject(caller) } }));
    return records.filter((r) => !r.revokedAt).map((r) => summary(r, false));
  }

  return {
    strategy,
    verify,
    isAdmin,
    async create(creator, input) {
      mayIssue(creator);
      const { name, scopes, days, rateLimit, remaining, meta } = parseInput(creator, input);
      const { id, token, hash } = generateApiToken();
      const createdAt = new Date(now());
      const record: ApiTokenRecord = {
        id, hash, name, scopes,
        owner: { subject: ownerSubject(creator), username: creator.username, provider: creator.provider, groups: [...creator.groups] },
        createdAt, expiresAt: new Date(createdAt.getTime() + days * DAY_MS), lastUsedAt: null, revokedAt: null,
        meta, rateLimit, remaining, previous: null,
      };
      await guarded(() => store.create(record));
      return { id, token, name, scopes, expiresAt: iso(record.expiresAt) };
    },
    async list(caller, { all = false } = {}) {
      if (!(all && isAdmin(caller))) return ownList(caller);
      const records = await guarded(() => store.list({}));
      return records.filter((r) => !r.revokedAt).map((r) => summary(r, true));
    },
    async page(caller, { owner, limit = 50, cursor } = {}) {
      if (!isAdmin(caller)) return { tokens: await ownList(caller), nextCursor: null };
      if (!isWhole(limit, 1, MAX_PAGE)) throw bad(`limit must be a whole number from 1 to ${MAX_PAGE}`);
      const after = cursor === undefined ? undefined : readCursor(cursor);
      const records = await guarded(() => store.list({}));
      const live = records.filter((r) => !r.revokedAt && (owner === undefined || `${r.owner.provider}:${r.owner.username}` === owner));
      const start = after ? live.findIndex((r) => r.createdAt.getTime() < after.at || (r.createdAt.getTime() === after.at && r.id < after.id)) : 0;
      const slice = start < 0 ? [] : live.slice(start, start + limit);
      const last = slice[slice.length - 1];
      return { tokens: slice.map((r) => summary(r, true)), nextCursor: last && start + limit < live.length ? signCursor(last) : null };
    },
    async revoke(caller, id) {
      await find(caller, id, true);
      await guarded(() => store.revoke(id, new Date(now())));
      forget(id);
    },
    async roll(caller, id, input) {
      mayIssue(caller);
      const body = input === undefined ? {} : input;
      if (!isObject(body)) throw bad('Body must be a JSON object {"graceSec"?}');
      onlyKeys(body, ['graceSec']);
      const graceSec = body['graceSec'] ?? 0;
      if (!isWhole(graceSec, 0, MAX_GRACE_SEC)) throw bad(`graceSec must be a whole number from 0 to ${MAX_GRACE_SEC} (7 days)`);
      const record = await find(caller, id, false);
      const t = now();
      if (record.revokedAt) throw bad('A revoked token cannot be rolled');
      if (record.expiresAt && record.expiresAt.getTime() <= t) throw bad('An expired token cannot be rolled');
      const next = generateApiToken(record.id);
      const previous = graceSec > 0 ? { hash: record.hash, until: new Date(t + graceSec * 1000) } : null;
      const rolled = await guarded(() => store.roll(record.id, { hash: next.hash, previous }));
      if (!rolled) throw bad('A revoked token cannot be rolled');
      forget(record.id);
      return { id: record.id, token: next.token, name: record.name, scopes: record.scopes, expiresAt: iso(record.expiresAt) };
    },
    async usage(caller, id, { days = 7 } = {}) {
      if (!isWhole(days, 1, retentionDays)) throw bad(`days must be a whole number from 1 to ${retentionDays}`);
      const record = await find(caller, id, true);
      const t = now();
      const since = utcDay(t - (days - 1) * DAY_MS);
      const stored = await guarded(() => store.usage(record.id, since));
      const byDay = new Map(stored.map((d) => [d.day, { ...d }]));
      for (const c of pendingUsage.values()) {
        const d = c.id === record.id && c.day >= since ? (byDay.get(c.day) ?? { day: c.day, allowed: 0, refused: 0 }) : undefined;
        if (!d) continue;
        byDay.set(c.day, { day: c.day, allowed: d.allowed + c.allowed, refused: d.refused + c.refused });
      }
      const out: ApiTokenUsageDay[] = [];
      for (let i = days - 1; i >= 0; i--) {
        const day = utcDay(t - i * DAY_MS);
        out.push(byDay.get(day) ?? { day, allowed: 0, refused: 0 });
      }
      return { id: record.id, days: out };
    },
    async spend(principal) {
      const id = principal.tokenId;
      if (principal.tokenType !== 'api-token' || id === undefined) return undefined;
      // A token made without `remaining` never gets one: the cached record says so without a round trip.
      const record = await load(id);
      if (!record || record.remaining === null) return undefined;
      const left = await guarded(() => store.spend(id));
      if (left === null || left >= 0) return undefined;
      const hit = cache.get(id);
      if (hit) cache.set(id, { record: { ...hit.record, remaining: 0 }, until: hit.until });
      return new RestAuthError('invalid_token', 'API token is used up');
    },
    count(decision) {
      const p = decision.principal;
      if (p?.tokenType !== 'api-token' || p.tokenId === undefined) return;
      if (decision.allowed) addCount(p.tokenId, utcDay(now()), 1, 0);
      else addCount(p.tokenId, utcDay(now()), 0, 1);
    },
    async close() {
      clearInterval(timer);
      unsubscribe?.();
      await flushTouches();
      await store.close?.();
    },
  };
}
