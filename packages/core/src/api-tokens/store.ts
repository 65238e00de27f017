import type { StoreHealth } from '../health.js';

/** Who created a token, as recorded at creation (groups do not follow later changes). */
export interface ApiTokenOwner {
  readonly subject: string;
  readonly username: string;
  readonly provider: string;
  readonly groups: readonly string[];
}

/** One stored API token. The secret is never stored: only its SHA-256 `hash`. */
export interface ApiTokenRecord {
  readonly id: string;
  readonly hash: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly owner: ApiTokenOwner;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
  /** Free-form JSON the creator attached (≤ 1 KiB), or null. */
  readonly meta: Readonly<Record<string, unknown>> | null;
  /** The token's own rate limit (instead of the global one), or null. */
  readonly rateLimit: ApiTokenRateLimit | null;
  /** Requests left for a token made with `remaining`; null: unlimited. */
  readonly remaining: number | null;
  /** After a roll: the old secret's hash and when it stops working, or null. */
  readonly previous: { readonly hash: string; readonly until: Date } | null;
}

/** A per-token rate limit: `limit` requests per `windowSec`. */
export interface ApiTokenRateLimit {
  readonly limit: number;
  readonly windowSec: number;
}

/** Requests with one token on one UTC day (`YYYY-MM-DD`). */
export interface ApiTokenUsageDay {
  readonly day: string;
  readonly allowed: number;
  readonly refused: number;
}

/**
 * Where API tokens live. Memory (core), PostgreSQL (`@restauth/postgres`) and Redis
 * (`@restauth/redis`) implement it; the same contract suite runs against each.
 *
 * @example
 * const store: ApiTokenStore = createMemoryApiTokenStore();
 */
export interface ApiTokenStore {
  /** Saves a new token; rejects if the id exists. */
  create(record: ApiTokenRecord): Promise<void>;
  /** One token by id (revoked and expired ones included), or undefined. */
  get(id: string): Promise<ApiTokenRecord | undefined>;
  /** Tokens of one owner (`provider` + `subject`), or every token when `owner` is omitted; newest first. */
  list(filter: { owner?: { provider: string; subject: string } }): Promise<ApiTokenRecord[]>;
  /** Marks a token revoked; false if there is no such token. */
  revoke(id: string, at: Date): Promise<boolean>;
  /** Records last use, in batches (never a write per request). */
  touch(updates: readonly { id: string; lastUsedAt: Date }[]): Promise<void>;
  /**
   * Gives a live (not revoked) token a new secret `hash`, keeping the old one as `previous`
   * (or none); announced like a revocation, so caches drop the old record. False when the token
   * is unknown or revoked.
   */
  roll(id: string, change: { hash: string; previous: { hash: string; until: Date } | null }): Promise<boolean>;
  /**
   * Spends one use of a token made with `remaining`, atomically across instances. Returns what
   * is left after it (≥ 0), -1 when it was already used up, or null when the token has no
   * limit of uses (or is unknown).
   */
  spend(id: string): Promise<number | null>;
  /** Adds per-day counts, in batches; days older than `retentionDays` may be dropped. */
  addUsage(counts: readonly ({ id: string } & ApiTokenUsageDay)[], retentionDays: number): Promise<void>;
  /** Per-day counts of one token from `sinceDay` (`YYYY-MM-DD`, inclusive), oldest first. */
  usage(id: string, sinceDay: string): Promise<ApiTokenUsageDay[]>;
  /**
   * Optional: calls `listener` when any instance revokes a token (Redis pub/sub, PostgreSQL
   * LISTEN/NOTIFY), so caches drop it at once instead of at the end of their TTL.
   * Returns the unsubscribe function.
   */
  onRevoke?(listener: (id: string) => void): () => void;
  close?(): Promise<void>;
  /** How it is doing (reachable, last error, circuit) for `auth.health()`. */
  health?(): StoreHealth | Promise<StoreHealth>;
  /**
   * Resolves once it can serve (connected, answered a ping), or rejects with why, within
   * `timeoutMs`. `auth.reload` awaits it before putting a new store in service.
   */
  open?(options: { readonly timeoutMs: number }): Promise<void>;
}

/**
 * API tokens in process memory: for tests and single instances (lost on restart).
 *
 * @example
 * createRestAuth(config) // apiTokens.store {"type": "memory"} uses this
 */
export function createMemoryApiTokenStore(): ApiTokenStore {
  const byId = new Map<string, ApiTokenRecord>();
  const days = new Map<string, Map<string, ApiTokenUsageDay>>();
  return {
    async create(record) {
      if (byId.has(record.id)) throw new Error('duplicate API token id');
      byId.set(record.id, record);
    },
    async get(id) {
      return byId.get(id);
    },
    async list({ owner }) {
      return [...byId.values()]
        .filter((r) => !owner || (r.owner.provider === owner.provider && r.owner.subject === owner.subject))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    },
    async revoke(id, at) {
      const r = byId.get(id);
      if (!r) return false;
      if (!r.revokedAt) byId.set(id, { ...r, revokedAt: at });
      return true;
    },
    async touch(updates) {
      for (const u of updates) {
        const r = byId.get(u.id);
        if (r && (!r.lastUsedAt || r.lastUsedAt < u.lastUsedAt)) byId.set(u.id, { ...r, lastUsedAt: u.lastUsedAt });
      }
    },
    async roll(id, { hash, previous }) {
      const r = byId.get(id);
      if (!r || r.revokedAt) return false;
      byId.set(id, { ...r, hash, previous });
      return true;
    },
    async spend(id) {
      const r = byId.get(id);
      if (!r || r.remaining === null) return null;
      if (r.remaining <= 0) return -1;
      byId.set(id, { ...r, remaining: r.remaining - 1 });
      return r.remaining - 1;
    },
    async addUsage(counts, retentionDays) {
      const horizon = usageHorizon(retentionDays);
      for (const c of counts) {
        if (!byId.has(c.id)) continue;
        const perDay = days.get(c.id) ?? new Map<string, ApiTokenUsageDay>();
        days.set(c.id, perDay);
        const cur = perDay.get(c.day);
        perDay.set(c.day, { day: c.day, allowed: (cur?.allowed ?? 0) + c.allowed, refused: (cur?.refused ?? 0) + c.refused });
        for (const d of perDay.keys()) if (d < horizon) perDay.delete(d);
      }
    },
    async usage(id, sinceDay) {
      return [...(days.get(id)?.values() ?? [])].filter((d) => d.day >= sinceDay).sort((a, b) => (a.day < b.day ? -1 : 1));
    },
  };
}

/** The UTC day (`YYYY-MM-DD`) of a time. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The oldest day a store must keep for `retentionDays` of usage, counted from today (UTC). */
export function usageHorizon(retentionDays: number, nowMs = Date.now()): string {
  return utcDay(nowMs - (retentionDays - 1) * 86_400_000);
}
