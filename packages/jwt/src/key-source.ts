import { keyKindOf } from './algorithms.js';
import type { JwksCache } from './jwks-cache.js';
import type { JwksKey } from './jwks-keys.js';
import type { VerificationKey } from './jws-signature.js';
import type { StaticKey } from './static-key.js';

/** Keys that may have signed a token; returned synchronously whenever they are already known. */
export type Candidates = readonly VerificationKey[] | Promise<readonly VerificationKey[]>;

/**
 * Where a provider's verification keys come from. Keys only ever come from configuration
 * (a PEM, a secret, or the configured JWKS / discovery URL): never from the token's own
 * `jku`, `x5u`, `jwk` or `x5c` headers.
 */
export interface KeySource {
  /**
   * Keys that may have signed a token with this `alg` and `kid`; empty when none is known.
   * An array when the answer is at hand (the usual case), a promise when keys must be fetched.
   */
  candidates(alg: string, kid: string | undefined): Candidates;
}

const NONE: readonly VerificationKey[] = Object.freeze([]);

/** The one key of a `publicKey`, `certificate` or `secret` provider; a token's `kid` is not consulted. */
export function staticKeySource(key: StaticKey): KeySource {
  const keys: readonly VerificationKey[] = Object.freeze([key.key]);
  return {
    candidates(alg) {
      return keyKindOf(alg) === key.kind ? keys : NONE;
    },
  };
}

function select(keys: readonly JwksKey[], alg: string, kid: string | undefined): VerificationKey[] {
  const kind = keyKindOf(alg);
  const out: VerificationKey[] = [];
  for (const k of keys) {
    if (k.kind === kind && (k.alg === undefined || k.alg === alg) && (kid === undefined || k.kid === kid)) out.push(k.key);
  }
  return out;
}

/**
 * Keys of a JWKS: when none fits the token, one refetch (rate-limited by the cache's cooldown).
 * Selections that found keys are remembered per key set (so a request does no filtering); ones
 * that found none are not, so a flood of made-up `kid`s cannot grow the memo.
 */
export function jwksKeySource(cache: JwksCache): KeySource {
  let memoFor: readonly JwksKey[] | undefined;
  const memo = new Map<string, readonly VerificationKey[]>();

  function known(keys: readonly JwksKey[], alg: string, kid: string | undefined): readonly VerificationKey[] {
    if (keys !== memoFor) {
      memo.clear();
      memoFor = keys;
    }
    const id = kid === undefined ? alg : `${alg} ${kid}`;
    let found = memo.get(id);
    if (found === undefined) {
      found = select(keys, alg, kid);
      if (found.length === 0) return NONE;
      memo.set(id, found);
    }
    return found;
  }

  async function fetched(alg: string, kid: string | undefined): Promise<readonly VerificationKey[]> {
    let found = known(await cache.keys(), alg, kid);
    if (found.length === 0 && (await cache.refetchForUnknownKey())) found = known(await cache.keys(), alg, kid);
    return found;
  }

  return {
    candidates(alg, kid) {
      const keys = cache.peek();
      if (keys) {
        const found = known(keys, alg, kid);
        if (found.length) return found;
      }
      return fetched(alg, kid);
    },
  };
}
