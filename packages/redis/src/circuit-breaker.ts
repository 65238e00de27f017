/**
 * `closed`: calls go through. `open`: calls fail at once. `half-open`: one probe call decides.
 *
 * @example
 * if (store.circuit === 'open') console.warn('Redis unreachable: rate limiting follows onStoreError');
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Options of the circuit breaker every Redis store puts in front of its calls.
 *
 * @example
 * redisPlugin({ breaker: { failureThreshold: 3, coolOffMs: 1000 } })
 */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  readonly failureThreshold?: number;
  /** How long the circuit stays open before one probe call may try again. Default 2000 ms. */
  readonly coolOffMs?: number;
}

/**
 * The cause of a hit the open circuit refused without asking Redis (the store rejects with a
 * `temporarily_unavailable` RestAuthError whose `cause` is this).
 *
 * @example
 * try { await store.hit(hit) } catch (e) { if (e.cause instanceof CircuitOpenError) console.log(e.cause.retryInMs) }
 */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';
  /** Milliseconds until the next probe may run. */
  readonly retryInMs: number;
  constructor(retryInMs: number) {
    super('Redis is unavailable (circuit open)');
    this.retryInMs = retryInMs;
  }
}

/** A breaker: run calls through it; it counts failures and opens, probes and closes. */
export interface CircuitBreaker {
  readonly state: CircuitState;
  run<T>(call: () => Promise<T>): Promise<T>;
}

/**
 * After `failureThreshold` consecutive failures, refuse every call for `coolOffMs`; then let
 * exactly one call through as a probe (others are still refused); its success closes the
 * circuit, its failure opens it for another cool-off.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}, now: () => number = Date.now): CircuitBreaker {
  const threshold = options.failureThreshold ?? 5;
  const coolOffMs = options.coolOffMs ?? 2000;
  if (!Number.isInteger(threshold) || threshold < 1) throw new TypeError('breaker.failureThreshold must be an integer >= 1');
  if (!(coolOffMs >= 0)) throw new TypeError('breaker.coolOffMs must be a number >= 0');
  let state: CircuitState = 'closed';
  let failures = 0;
  let openUntil = 0;
  let probing = false;

  const open = () => {
    state = 'open';
    openUntil = now() + coolOffMs;
  };

  return {
    get state() {
      return state === 'open' && now() >= openUntil ? 'half-open' : state;
    },
    async run(call) {
      let probe = false;
      if (state !== 'closed') {
        const wait = openUntil - now();
        if (wait > 0 || probing) throw new CircuitOpenError(Math.max(0, wait));
        state = 'half-open';
        probing = probe = true;
      }
      try {
        const result = await call();
        failures = 0;
        if (probe) state = 'closed';
        return result;
      } catch (err) {
        failures++;
        // A late failure of a call started before the circuit opened does not extend it.
        if (probe || (state === 'closed' && failures >= threshold)) open();
        throw err;
      } finally {
        if (probe) probing = false;
      }
    },
  };
}
