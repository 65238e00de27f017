import type { CryptoKey } from 'jose';
import type { KeyObject } from 'node:crypto';
import { keyKindOf } from './algorithms.js';
import type { JwksCache } from './jwks-cache.js';
import type { JwksKey } from './jwks-keys.js';
import type { StaticKey } from './static-key.js';

/** A key jose verifies with. */
export type VerifyKey = CryptoKey | KeyObject | Uint8Array;

/**
 * Where a provider's verification keys come from. Keys only ever come from configuration
 * (a PEM, a secret, or the configured JWKS / discovery URL): never from the token's own
 * `jku`, `x5u`, `jwk` or `x5c` headers.
 */
export interface KeySource {
  /** Keys that may have signed a token with this `alg` and `kid`; empty when none is known. */
  candidates(alg: string, kid: string | undefined): Promise<readonly VerifyKey[]>;
}

/** The one key of a `publicKey`, `certificate` or `secret` provider; a token's `kid` is not consulted. */
export function staticKeySource(key: StaticKey): KeySource {
  const keys: readonly VerifyKey[] = [key.key];
  return {
    async candidates(alg) {
      return keyKindOf(alg) === key.kind ? keys : [];
    },
  };
}

function select(keys: readonly JwksKey[], alg: string, kid: string | undefined): JwksKey[] {
  const kind = keyKindOf(alg);
  return keys.filter((k) => k.kind === kind && (k.alg === undefined || k.alg === alg) && (kid === undefined || k.kid === kid));
}

async function imported(keys: readonly JwksKey[], alg: string): Promise<VerifyKey[]> {
  const out: VerifyKey[] = [];
  for (const k of keys) {
    try {
      out.push(await k.importFor(alg));
    } catch {
      // A key that cannot serve this algorithm is not a candidate.
    }
  }
  return out;
}

/** Keys of a JWKS: when none fits the token, one refetch (rate-limited by the cache's cooldown). */
export function jwksKeySource(cache: JwksCache): KeySource {
  return {
    async candidates(alg, kid) {
      let found = select(await cache.keys(), alg, kid);
      if (found.length === 0 && (await cache.refetchForUnknownKey())) found = select(await cache.keys(), alg, kid);
      return imported(found, alg);
    },
  };
}
