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
   * Optional: calls `listener` when any instance revokes a token (Redis pub/sub, PostgreSQL
   * LISTEN/NOTIFY), so caches drop it at once instead of at the end of their TTL.
   * Returns the unsubscribe function.
   */
  onRevoke?(listener: (id: string) => void): () => void;
  close?(): Promise<void>;
}

/**
 * API tokens in process memory: for tests and single instances (lost on restart).
 *
 * @example
 * createRestAuth(config) // apiTokens.store {"type": "memory"} uses this
 */
export function createMemoryApiTokenStore(): ApiTokenStore {
  const byId = new Map<string, ApiTokenRecord>();
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
  };
}
