import type { Credential } from '../credentials.js';
import { RestAuthError } from '../errors.js';
import type { Principal } from '../principal.js';
import type { Strategy } from '../strategy.js';
import { API_TOKEN_PREFIX, generateApiToken, hashApiToken, parseApiToken, sameHash } from './format.js';
import type { ApiTokenRecord, ApiTokenStore } from './store.js';

/** Settings of {@link createApiTokens}, from the `apiTokens` config section. */
export interface ApiTokensOptions {
  readonly store: ApiTokenStore;
  /** Only members may create tokens; empty: any authenticated caller. */
  readonly creatorGroups: readonly string[];
  /** Members may list and revoke every token. */
  readonly adminGroups: readonly string[];
  readonly maxLifetimeDays: number;
  readonly defaultLifetimeDays: number;
  /**
   * How long a verified token is trusted without asking the store, ms. Default 10 000. A
   * revocation reaches this instance at once, and other instances at once when the store
   * supports `onRevoke`, else within this TTL.
   */
  readonly cacheTtlMs?: number;
  /** How often last-used times are written, ms. Default 60 000. */
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
  /** Only in admin listings of every token. */
  readonly owner?: string;
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
  /** Revokes a token of the caller's (or any, for an admin); `not_found` otherwise. */
  revoke(caller: Principal, id: string): Promise<void>;
  verify(token: string): Promise<Principal>;
  /** The strategy that recognises `rat_` bearer tokens and the API-key header. */
  readonly strategy: Strategy;
  close(): Promise<void>;
}

const NAME = /^[^\u0000-\u001f\u007f]{1,100}$/;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/;
const DAY_MS = 86_400_000;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function summary(r: ApiTokenRecord, withOwner: boolean): ApiTokenSummary {
  return {
    id: r.id, name: r.name, scopes: r.scopes, createdAt: r.createdAt.toISOString(), expiresAt: iso(r.expiresAt), lastUsedAt: iso(r.lastUsedAt),
    ...(withOwner ? { owner: `${r.owner.provider}:${r.owner.username}` } : {}),
  };
}

function storeDown(cause: unknown): RestAuthError {
  return new RestAuthError('temporarily_unavailable', 'API token store is unavailable', { cause, retryAfterSec: 5 });
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
  const admins = new Set(options.adminGroups);
  const creators = new Set(options.creatorGroups);
  const cache = new Map<string, { record: ApiTokenRecord; until: number }>();
  const pendingTouch = new Map<string, Date>();
  const isAdmin = (p: Principal) => p.groups.some((g) => admins.has(g));

  async function flushTouches(): Promise<void> {
    if (!pendingTouch.size) return;
    const updates = [...pendingTouch].map(([id, lastUsedAt]) => ({ id, lastUsedAt }));
    pendingTouch.clear();
    try {
      await store.touch(updates);
    } catch {
      // Last-used is best effort: keep the newest times for the next flush.
      for (const u of updates) if (!pendingTouch.has(u.id)) pendingTouch.set(u.id, u.lastUsedAt);
    }
  }
  const timer = setInterval(() => void flushTouches(), options.touchIntervalMs ?? 60_000);
  timer.unref();
  const unsubscribe = store.onRevoke?.((id) => cache.delete(id));

  async function load(id: string): Promise<ApiTokenRecord | undefined> {
    const hit = cache.get(id);
    if (hit && hit.until > now()) return hit.record;
    let record: ApiTokenRecord | undefined;
    try {
      record = await store.get(id);
    } catch (cause) {
      throw storeDown(cause);
    }
    if (record) {
      if (cache.size >= 10_000) cache.delete(cache.keys().next().value as string);
      cache.set(id, { record, until: now() + cacheTtlMs });
    }
    return record;
  }

  async function verify(token: string): Promise<Principal> {
    const id = parseApiToken(token);
    if (!id) throw new RestAuthError('invalid_token', 'API token is malformed');
    const record = await load(id);
    if (!record || !sameHash(record.hash, hashApiToken(token))) throw new RestAuthError('invalid_token', 'API token is not valid');
    if (record.revokedAt) throw new RestAuthError('invalid_token', 'API token has been revoked');
    const t = now();
    if (record.expiresAt && record.expiresAt.getTime() <= t) throw new RestAuthError('invalid_token', 'API token has expired');
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
    };
  }

  function parseInput(creator: Principal, input: unknown): { name: string; scopes: string[]; days: number } {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new RestAuthError('invalid_request', 'Body must be a JSON object {"name", "scopes"?, "expiresInDays"?}');
    }
    const { name, scopes, expiresInDays, ...rest } = input as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length) throw new RestAuthError('invalid_request', `Unknown field "${unknown[0]?.slice(0, 40)}"`);
    if (typeof name !== 'string' || !NAME.test(name)) throw new RestAuthError('invalid_request', 'name must be a string of 1 to 100 printable characters');
    let wanted: string[];
    if (scopes === undefined) wanted = [...creator.scopes];
    else if (!Array.isArray(scopes) || scopes.length > 50 || !scopes.every((s) => typeof s === 'string' && SCOPE.test(s))) {
      throw new RestAuthError('invalid_request', 'scopes must be an array of at most 50 scope strings');
    } else wanted = [...new Set(scopes as string[])];
    const excess = wanted.filter((s) => !creator.scopes.includes(s));
    if (excess.length) throw new RestAuthError('forbidden', `Requested scopes exceed your own: ${excess.join(' ').slice(0, 200)}`);
    const days = expiresInDays ?? options.defaultLifetimeDays;
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > options.maxLifetimeDays) {
      throw new RestAuthError('invalid_request', `expiresInDays must be a whole number from 1 to ${options.maxLifetimeDays}`);
    }
    return { name, scopes: wanted, days };
  }

  const strategy: Strategy = {
    name: 'api-token',
    async verify(credential: Credential) {
      if (credential.kind === 'api-key') return verify(credential.token);
      if (credential.kind === 'bearer' && credential.token.startsWith(API_TOKEN_PREFIX)) return verify(credential.token);
      return undefined;
    },
  };

  return {
    strategy,
    verify,
    async create(creator, input) {
      if (creator.tokenType === 'api-token') throw new RestAuthError('forbidden', 'API tokens cannot create tokens');
      if (creators.size && !creator.groups.some((g) => creators.has(g))) throw new RestAuthError('forbidden', 'Not allowed to create API tokens');
      const { name, scopes, days } = parseInput(creator, input);
      const { id, token, hash } = generateApiToken();
      const createdAt = new Date(now());
      const record: ApiTokenRecord = {
        id, hash, name, scopes,
        owner: { subject: creator.subject || creator.username, username: creator.username, provider: creator.provider, groups: [...creator.groups] },
        createdAt, expiresAt: new Date(createdAt.getTime() + days * DAY_MS), lastUsedAt: null, revokedAt: null,
      };
      try {
        await store.create(record);
      } catch (cause) {
        throw storeDown(cause);
      }
      return { id, token, name, scopes, expiresAt: iso(record.expiresAt) };
    },
    async list(caller, { all = false } = {}) {
      const everyone = all && isAdmin(caller);
      try {
        const records = await store.list(everyone ? {} : { owner: { provider: caller.provider, subject: caller.subject || caller.username } });
        return records.filter((r) => !r.revokedAt).map((r) => summary(r, everyone));
      } catch (cause) {
        throw storeDown(cause);
      }
    },
    async revoke(caller, id) {
      let record: ApiTokenRecord | undefined;
      try {
        record = typeof id === 'string' && id.length <= 64 ? await store.get(id) : undefined;
      } catch (cause) {
        throw storeDown(cause);
      }
      const own = record && record.owner.provider === caller.provider && record.owner.subject === (caller.subject || caller.username);
      if (!record || (!own && !isAdmin(caller))) throw new RestAuthError('not_found', 'No such token');
      try {
        await store.revoke(id, new Date(now()));
      } catch (cause) {
        throw storeDown(cause);
      }
      cache.delete(id);
    },
    async close() {
      clearInterval(timer);
      unsubscribe?.();
      await flushTouches();
      await store.close?.();
    },
  };
}
