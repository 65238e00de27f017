import type { RestAuthPlugin } from '../plugin.js';
import type { Strategy } from '../strategy.js';
import { stableJson } from '../config/diff.js';

/** Something a gate holds open. */
interface Closable {
  close?(): Promise<void>;
  open?(options: { readonly timeoutMs: number }): Promise<void>;
}

interface Entry {
  readonly raw: Closable;
  readonly shared: Closable;
  /** Config path, for errors (`rateLimit.store`, `providers[0]`). */
  readonly path: string;
}

/** What one compile used: every part, and those it built (not reused). */
export interface PartsUse {
  readonly used: ReadonlySet<string>;
  readonly fresh: readonly { readonly key: string; readonly path: string; readonly part: Closable }[];
}

/**
 * The strategies, stores and sinks of an instance, shared by the gates its configs compile
 * into. A part is built through a plugin factory at most once per settings: a reloaded config
 * whose provider type has deep-equal provider entries gets the same strategy (its key and token
 * caches), a store or sink with deep-equal settings the same connection. Gates get a handle
 * whose `close()` does nothing; the registry closes a part once no gate in service uses it.
 */
export interface Parts {
  /**
   * Plugins whose factories reuse parts (wrap once, pass them to every compile). A factory
   * called outside {@link Parts.track} builds a part the registry does not manage.
   */
  plugins(plugins: readonly RestAuthPlugin[]): RestAuthPlugin[];
  /** Records what the compiles run between this call and `end()` use (compiles are synchronous). */
  track(): { end(): PartsUse };
  /** The part of a kind (`apiTokenStores`, `auditSinks`...) that `use` holds, as built. */
  find(use: PartsUse | undefined, kind: string): unknown;
  /** Strategies given in code: the same objects in every gate, closed only by `closeAll`. */
  keep(strategies: readonly Strategy[]): Strategy[];
  /** Closes the parts that `use` does not name (after a swap, or to undo a failed compile). */
  retain(use: PartsUse | undefined): Promise<void>;
  closeAll(): Promise<void>;
}

function sharedHandle<T extends Closable>(raw: T): T {
  return new Proxy(raw, {
    get(target, key) {
      if (key === 'close') return async () => {};
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

type Factories = Readonly<Record<string, (settings: never, ctx: { config: { providers: readonly { type: string }[]; audit: unknown }; path: string }) => Closable>>;

/** See {@link Parts}. */
export function createParts(): Parts {
  const entries = new Map<string, Entry>();
  const kept = new Set<Closable>();
  let use: { used: Set<string>; fresh: PartsUse['fresh'][number][] } | undefined;

  function wrapFactories(kind: string, factories: Factories | undefined): Factories | undefined {
    if (!factories) return undefined;
    const out: Record<string, Factories[string]> = {};
    for (const [type, factory] of Object.entries(factories)) {
      out[type] = (settings, ctx) => {
        if (!use) return factory(settings, ctx);
        // What a factory may read besides its own entry: the other provider types (a JWT of an
        // unknown issuer may be an opaque provider's), and a sink's retention.
        const context = kind === 'providers' ? ctx.config.providers.map((p) => p.type).sort().join(',') : kind === 'auditSinks' ? stableJson(ctx.config.audit) : '';
        const key = `${kind}:${type}:${ctx.path}:${stableJson(settings)}:${context}`;
        let entry = entries.get(key);
        if (!entry) {
          const raw = factory(settings, ctx);
          entry = { raw, shared: sharedHandle(raw), path: ctx.path };
          entries.set(key, entry);
          use.fresh.push({ key, path: ctx.path, part: raw });
        }
        use.used.add(key);
        return entry.shared;
      };
    }
    return out;
  }

  async function closeEntry(key: string): Promise<void> {
    const entry = entries.get(key);
    entries.delete(key);
    try {
      await entry?.raw.close?.();
    } catch {
      // Closing is best effort: the part is out of service either way.
    }
  }

  return {
    plugins(plugins) {
      return plugins.map((p): RestAuthPlugin => ({
        ...p,
        providers: wrapFactories('providers', p.providers as Factories | undefined) as RestAuthPlugin['providers'],
        rateLimitStores: wrapFactories('rateLimitStores', p.rateLimitStores as Factories | undefined) as RestAuthPlugin['rateLimitStores'],
        apiTokenStores: wrapFactories('apiTokenStores', p.apiTokenStores as Factories | undefined) as RestAuthPlugin['apiTokenStores'],
        auditSinks: wrapFactories('auditSinks', p.auditSinks as Factories | undefined) as RestAuthPlugin['auditSinks'],
      }));
    },
    track() {
      const mine = { used: new Set<string>(), fresh: [] as PartsUse['fresh'][number][] };
      use = mine;
      return {
        end() {
          if (use === mine) use = undefined;
          return mine;
        },
      };
    },
    find(u, kind) {
      for (const key of u?.used ?? []) if (key.startsWith(`${kind}:`)) return entries.get(key)?.raw;
      return undefined;
    },
    keep(strategies) {
      return strategies.map((s) => {
        kept.add(s);
        return sharedHandle(s);
      });
    },
    async retain(use) {
      const stale = [...entries.keys()].filter((k) => !use?.used.has(k));
      await Promise.all(stale.map(closeEntry));
    },
    async closeAll() {
      await Promise.all([...entries.keys()].map(closeEntry));
      for (const s of kept) await s.close?.();
      kept.clear();
    },
  };
}
