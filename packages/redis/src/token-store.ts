import { createHealthTracker, usageHorizon, type ApiTokenRecord, type ApiTokenStore, type ApiTokenUsageDay } from '@restauth/core';
import { Redis, type RedisOptions } from 'ioredis';
import { closeClient, createFailFastClient, DEFAULT_COMMAND_TIMEOUT_MS, pingWithin, readiness, resolveRedisUrl, type RedisClient } from './connection.js';

/**
 * Default prefix of API-token keys and of the revocation channel.
 *
 * @example
 * const channel = `${DEFAULT_API_TOKEN_KEY_PREFIX}revoked`; // 'restauth:tok:revoked'
 */
export const DEFAULT_API_TOKEN_KEY_PREFIX = 'restauth:tok:';

/**
 * Options of {@link createRedisApiTokenStore}. Give a `client` to share a connection (the store
 * never closes it), or a `url` (or nothing: `REDIS_URL`, else `redis://127.0.0.1:6379`) and the
 * store opens its own fail-fast connection and closes it in `close()`.
 *
 * @example
 * const options: RedisApiTokenStoreOptions = { url: process.env.REDIS_URL, keyPrefix: 'orders:tok:' };
 */
export interface RedisApiTokenStoreOptions {
  /** An ioredis `Redis` or `Cluster` to use as is (the subscriber for `onRevoke` is a duplicate of it). */
  readonly client?: RedisClient | undefined;
  /** Connection URL when no `client` is given. */
  readonly url?: string | undefined;
  /** Prepended to every key and to the channel. Must not contain `{` or `}`. Default `restauth:tok:`. */
  readonly keyPrefix?: string | undefined;
  /** Longest wait for Redis on one call. Default 500 ms. */
  readonly commandTimeoutMs?: number | undefined;
  /** Extra ioredis options for the connection the store opens (TLS, Sentinel, password...). */
  readonly redisOptions?: RedisOptions | undefined;
  /** Errors of the store's connections (reconnect attempts, the subscriber); default: ignored. */
  readonly onError?: ((error: Error) => void) | undefined;
}

/**
 * An API-token store on Redis; see {@link createRedisApiTokenStore}.
 *
 * @example
 * const store: RedisApiTokenStore = createRedisApiTokenStore();
 * console.log(store.channel); // 'restauth:tok:revoked'
 */
export interface RedisApiTokenStore extends ApiTokenStore {
  /** The connection in use (the one passed in, or the store's own). */
  readonly client: RedisClient;
  /** The pub/sub channel revocations are published on. */
  readonly channel: string;
  /** True while the subscriber connection is subscribed (only while `onRevoke` has a listener). */
  readonly listening: boolean;
  /** Closes the subscriber and the store's own connection; a client passed in is left open. */
  close(): Promise<void>;
}

// Every key shares one hash tag, so the scripts below may touch several keys on Redis Cluster
// (all tokens then live on one shard: they are few and small).
const TAG = '{tokens}';
const TOUCH_CHUNK = 500;
/** How far before a lost subscription revocations are looked up again (clock skew between instances). */
const CATCH_UP_SLACK_MS = 60_000;
/** Revocations are remembered for catch-up this long. */
const REVOKED_LOG_MS = 86_400_000;

// KEYS: token hash, owner index, global index. ARGV: id, createdAt ms, field, value, ...
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 1`;

// KEYS: token hash, revocation log. ARGV: id, revokedAt ms, channel, log horizon ms.
// PUBLISH from the script: subscribers hear of exactly the revocations that were written.
const REVOKE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local cur = redis.call('HGET', KEYS[1], 'revokedAt')
if not cur or cur == '' then
  redis.call('HSET', KEYS[1], 'revokedAt', ARGV[2])
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4])
redis.call('PUBLISH', ARGV[3], ARGV[1])
return 1`;

// KEYS: token hash, revocation log. ARGV: new hash, previous hash or '', previous until ms or '',
// id, now ms, channel. Announced (and logged) like a revocation: caches drop the old record.
const ROLL = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local revoked = redis.call('HGET', KEYS[1], 'revokedAt')
if revoked and revoked ~= '' then return 0 end
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'prevHash', ARGV[2], 'prevUntil', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
redis.call('PUBLISH', ARGV[6], ARGV[4])
return 1`;

// KEYS: token hash. -2: no limit of uses (or no token), -1: used up, else what is left.
const SPEND = `
local left = redis.call('HGET', KEYS[1], 'remaining')
if not left or left == '' then return -2 end
if tonumber(left) <= 0 then return -1 end
return redis.call('HINCRBY', KEYS[1], 'remaining', -1)`;

// KEYS: token hash, usage hash, in pairs. ARGV: oldest day kept, retention s, then day, allowed,
// refused per pair. Fields are "<day>:a" and "<day>:r"; days before the horizon are dropped.
const ADD_USAGE = `
for i = 1, #KEYS, 2 do
  local j = 3 + (i - 1) / 2 * 3
  if redis.call('EXISTS', KEYS[i]) == 1 and ARGV[j] >= ARGV[1] then
    redis.call('HINCRBY', KEYS[i + 1], ARGV[j] .. ':a', ARGV[j + 1])
    redis.call('HINCRBY', KEYS[i + 1], ARGV[j] .. ':r', ARGV[j + 2])
    for _, f in ipairs(redis.call('HKEYS', KEYS[i + 1])) do
      if string.sub(f, 1, 10) < ARGV[1] then redis.call('HDEL', KEYS[i + 1], f) end
    end
    redis.call('EXPIRE', KEYS[i + 1], ARGV[2])
  end
end
return 1`;

// KEYS: token hashes. ARGV: last-used ms, one per key. Never creates a hash, never goes backwards.
const TOUCH = `
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    local cur = redis.call('HGET', key, 'lastUsedAt')
    if not cur or cur == '' or tonumber(cur) < tonumber(ARGV[i]) then
      redis.call('HSET', key, 'lastUsedAt', ARGV[i])
    end
  end
end
return 1`;

const ms = (d: Date | null): string => (d ? String(d.getTime()) : '');
const date = (s: string | undefined): Date | null => (s ? new Date(Number(s)) : null);

function toRecord(h: Record<string, string>): ApiTokenRecord | undefined {
  if (!h['id']) return undefined;
  return {
    id: h['id'],
    hash: h['hash'] ?? '',
    name: h['name'] ?? '',
    scopes: JSON.parse(h['scopes'] ?? '[]') as string[],
    owner: {
      subject: h['subject'] ?? '',
      username: h['username'] ?? '',
      provider: h['provider'] ?? '',
      groups: JSON.parse(h['groups'] ?? '[]') as string[],
    },
    createdAt: new Date(Number(h['createdAt'])),
    expiresAt: date(h['expiresAt']),
    lastUsedAt: date(h['lastUsedAt']),
    revokedAt: date(h['revokedAt']),
    meta: h['meta'] ? (JSON.parse(h['meta']) as Record<string, unknown>) : null,
    rateLimit: h['rateLimit'] ? (JSON.parse(h['rateLimit']) as { limit: number; windowSec: number }) : null,
    remaining: h['remaining'] ? Number(h['remaining']) : null,
    previous: h['prevHash'] ? { hash: h['prevHash'], until: new Date(Number(h['prevUntil'])) } : null,
  };
}

/**
 * API tokens on Redis: a hash per token (`<prefix>{tokens}:id:<id>`, only the SHA-256 hash of
 * the secret), a sorted set per owner and one for all tokens (scored by creation time, for
 * newest-first listings), each change one Lua script (atomic, Cluster-safe: every key shares the
 * `{tokens}` hash tag). `revoke` publishes the id on `<prefix>revoked` from the same script;
 * `onRevoke` subscribes on a duplicate connection, so every instance drops a revoked token from
 * its cache at once, and after a lost subscription it replays the revocations of the gap
 * from a one-day revocation log. Calls fail within `commandTimeoutMs` when Redis is down; core
 * then answers 503.
 *
 * Tokens are kept until deleted by hand (revoked and expired ones too, like the other stores).
 *
 * @example
 * import { createApiTokens } from '@restauth/core';
 * import { createRedisApiTokenStore } from '@restauth/redis';
 * const store = createRedisApiTokenStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'orders:tok:' });
 * const tokens = createApiTokens({ store, creatorGroups: [], adminGroups: ['admins'], maxLifetimeDays: 365, defaultLifetimeDays: 90 });
 * // ...
 * await tokens.close(); // flushes last-used times, then closes the store
 */
export function createRedisApiTokenStore(options: RedisApiTokenStoreOptions = {}): RedisApiTokenStore {
  const prefix = options.keyPrefix ?? DEFAULT_API_TOKEN_KEY_PREFIX;
  if (/[{}]/.test(prefix)) throw new TypeError('keyPrefix must not contain "{" or "}" (the keys carry their own hash tag)');
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new TypeError('commandTimeoutMs must be a number > 0');
  const report = options.onError ?? (() => {});
  const owned = !options.client;
  const client: RedisClient = options.client ?? createFailFastClient(resolveRedisUrl(options.url), {
    commandTimeoutMs: timeoutMs,
    redisOptions: options.redisOptions,
    onError: options.onError,
  });
  const whenReady = readiness(client);
  const tracker = createHealthTracker();
  const channel = `${prefix}revoked`;
  const tokenKey = (id: string) => `${prefix}${TAG}:id:${id}`;
  const ownerKey = (provider: string, subject: string) => `${prefix}${TAG}:owner:${encodeURIComponent(provider)}:${encodeURIComponent(subject)}`;
  const allKey = `${prefix}${TAG}:all`;
  const revokedKey = `${prefix}${TAG}:revoked`;
  const usageKey = (id: string) => `${prefix}${TAG}:usage:${id}`;

  async function call<T>(work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const run = async () => {
      const waiting = whenReady();
      if (waiting) await waiting;
      return work();
    };
    return Promise.race([run(), deadline]).then(
      (value) => { tracker.success(); return value; },
      (err: unknown) => { tracker.failure(err); throw err; },
    ).finally(() => clearTimeout(timer));
  }

  async function getMany(ids: string[]): Promise<ApiTokenRecord[]> {
    if (!ids.length) return [];
    const pipeline = client.pipeline();
    for (const id of ids) pipeline.hgetall(tokenKey(id));
    const replies = (await pipeline.exec()) ?? [];
    const out: ApiTokenRecord[] = [];
    for (const [err, value] of replies) {
      if (err) throw err;
      const record = toRecord(value as Record<string, string>);
      if (record) out.push(record);
    }
    return out;
  }

  // --- revocation subscriber -----------------------------------------------------------------
  const listeners = new Set<(id: string) => void>();
  let subscriber: RedisClient | undefined;
  let subscribed = false;
  let missedSince: number | undefined;
  let catchUpRetry: NodeJS.Timeout | undefined;
  let closed = false;

  function emit(id: string): void {
    for (const l of [...listeners]) {
      try {
        l(id);
      } catch (err) {
        report(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  async function catchUp(): Promise<void> {
    if (missedSince === undefined || closed) return;
    const from = missedSince - CATCH_UP_SLACK_MS;
    try {
      const ids = await call(() => client.zrangebyscore(revokedKey, from, '+inf'));
      missedSince = undefined;
      for (const id of ids) emit(id);
    } catch (err) {
      report(err instanceof Error ? err : new Error(String(err)));
      clearTimeout(catchUpRetry);
      catchUpRetry = setTimeout(() => void catchUp(), 1000);
      catchUpRetry.unref();
    }
  }

  function subscribe(): void {
    const sub: RedisClient = client instanceof Redis
      ? client.duplicate({ autoResubscribe: false, enableOfflineQueue: true, connectionName: `restauth-revocations:${prefix}`.replace(/[^\w:.-]/g, '_') })
      : client.duplicate();
    subscriber = sub;
    sub.on('error', report);
    sub.on('message', (ch: string, id: string) => {
      if (ch === channel && id) emit(id);
    });
    sub.on('close', () => {
      if (subscribed) missedSince ??= Date.now();
      subscribed = false;
    });
    sub.on('ready', () => {
      // Subscribe first, then read the log: a revocation in between is heard either way.
      sub.subscribe(channel).then(
        () => {
          if (subscriber !== sub) return;
          subscribed = true;
          void catchUp();
        },
        (err: Error) => report(err),
      );
    });
    if (sub.status === 'wait') sub.connect().catch(() => {});
  }

  function unsubscribeAll(): Promise<void> {
    clearTimeout(catchUpRetry);
    const sub = subscriber;
    subscriber = undefined;
    subscribed = false;
    return sub ? closeClient(sub, timeoutMs) : Promise.resolve();
  }

  return {
    client,
    channel,
    get listening() {
      return subscribed;
    },

    async create(record) {
      const fields = [
        'id', record.id, 'hash', record.hash, 'name', record.name, 'scopes', JSON.stringify(record.scopes),
        'provider', record.owner.provider, 'subject', record.owner.subject, 'username', record.owner.username,
        'groups', JSON.stringify(record.owner.groups),
        'createdAt', ms(record.createdAt), 'expiresAt', ms(record.expiresAt), 'lastUsedAt', ms(record.lastUsedAt), 'revokedAt', ms(record.revokedAt),
        'meta', record.meta ? JSON.stringify(record.meta) : '', 'rateLimit', record.rateLimit ? JSON.stringify(record.rateLimit) : '',
        'remaining', record.remaining === null ? '' : String(record.remaining),
        'prevHash', record.previous?.hash ?? '', 'prevUntil', record.previous ? ms(record.previous.until) : '',
      ];
      const created = await call(() =>
        client.eval(CREATE, 3, tokenKey(record.id), ownerKey(record.owner.provider, record.owner.subject), allKey, record.id, ms(record.createdAt), ...fields),
      );
      if (created !== 1) throw new Error('duplicate API token id');
    },

    async get(id) {
      return toRecord(await call(() => client.hgetall(tokenKey(id))));
    },

    async list({ owner }) {
      const key = owner ? ownerKey(owner.provider, owner.subject) : allKey;
      return call(async () => getMany(await client.zrevrange(key, 0, -1)));
    },

    async revoke(id, at) {
      const revoked = await call(() => client.eval(REVOKE, 2, tokenKey(id), revokedKey, id, ms(at), channel, String(at.getTime() - REVOKED_LOG_MS)));
      return revoked === 1;
    },

    async touch(updates) {
      const latest = new Map<string, number>();
      for (const u of updates) latest.set(u.id, Math.max(latest.get(u.id) ?? 0, u.lastUsedAt.getTime()));
      const entries = [...latest];
      for (let i = 0; i < entries.length; i += TOUCH_CHUNK) {
        const chunk = entries.slice(i, i + TOUCH_CHUNK);
        await call(() => client.eval(TOUCH, chunk.length, ...chunk.map(([id]) => tokenKey(id)), ...chunk.map(([, t]) => String(t))));
      }
    },

    async roll(id, { hash, previous }) {
      const rolled = await call(() =>
        client.eval(ROLL, 2, tokenKey(id), revokedKey, hash, previous?.hash ?? '', previous ? ms(previous.until) : '', id, String(Date.now()), channel),
      );
      return rolled === 1;
    },

    async spend(id) {
      const left = Number(await call(() => client.eval(SPEND, 1, tokenKey(id))));
      return left === -2 ? null : left;
    },

    async addUsage(counts, retentionDays) {
      const horizon = usageHorizon(retentionDays);
      for (let i = 0; i < counts.length; i += TOUCH_CHUNK) {
        const chunk = counts.slice(i, i + TOUCH_CHUNK);
        const keys = chunk.flatMap((c) => [tokenKey(c.id), usageKey(c.id)]);
        const args = chunk.flatMap((c) => [c.day, String(c.allowed), String(c.refused)]);
        await call(() => client.eval(ADD_USAGE, keys.length, ...keys, horizon, String(retentionDays * 86_400), ...args));
      }
    },

    async usage(id, sinceDay) {
      const fields = await call(() => client.hgetall(usageKey(id)));
      const days = new Map<string, ApiTokenUsageDay>();
      for (const [f, v] of Object.entries(fields)) {
        const day = f.slice(0, 10);
        if (day < sinceDay) continue;
        const d = days.get(day) ?? { day, allowed: 0, refused: 0 };
        days.set(day, f.endsWith(':a') ? { ...d, allowed: Number(v) } : { ...d, refused: Number(v) });
      }
      return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
    },

    onRevoke(fn) {
      if (closed) return () => {};
      const wrapped = (id: string) => fn(id);
      if (!listeners.size) {
        missedSince = Date.now();
        subscribe();
      }
      listeners.add(wrapped);
      return () => {
        listeners.delete(wrapped);
        if (!listeners.size) void unsubscribeAll();
      };
    },

    health() {
      return tracker.store();
    },
    async open({ timeoutMs: wait }) {
      await pingWithin(client, whenReady, wait);
    },

    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      await unsubscribeAll();
      if (owned) await closeClient(client, timeoutMs);
    },
  };
}
