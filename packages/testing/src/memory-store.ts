// oidc-provider's own memory adapter keeps one store per Provider instance, and rotateKey()
// builds a new Provider: this store belongs to the IdP instead, so grants and opaque tokens
// outlive a key rotation.

type Payload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string };

interface Entry {
  payload: Payload;
  expiresAt: number;
}

/** The adapter shape oidc-provider calls for each of its models. */
export interface ProviderAdapter {
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export class MemoryStore {
  readonly #entries = new Map<string, Entry>();

  /** A factory suitable for oidc-provider's `adapter` setting. */
  readonly adapterFactory = (model: string): ProviderAdapter => this.#adapter(model);

  #get(key: string): Payload | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  #findBy(model: string, field: 'uid' | 'userCode', value: string): Payload | undefined {
    for (const key of this.#entries.keys()) {
      if (!key.startsWith(`${model}:`)) continue;
      const payload = this.#get(key);
      if (payload?.[field] === value) return payload;
    }
    return undefined;
  }

  #adapter(model: string): ProviderAdapter {
    const key = (id: string): string => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => {
        const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
        this.#entries.set(key(id), { payload: { ...payload }, expiresAt });
      },
      find: async (id) => this.#get(key(id)),
      findByUid: async (uid) => this.#findBy(model, 'uid', uid),
      findByUserCode: async (userCode) => this.#findBy(model, 'userCode', userCode),
      consume: async (id) => {
        const payload = this.#get(key(id));
        if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        this.#entries.delete(key(id));
      },
      revokeByGrantId: async (grantId) => {
        for (const [entryKey, entry] of this.#entries) {
          if (entry.payload.grantId === grantId) this.#entries.delete(entryKey);
        }
      },
    };
  }
}
