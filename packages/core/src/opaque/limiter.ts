/**
 * Options of {@link createLimiter}.
 *
 * @example
 * const options: LimiterOptions = { maxConcurrent: 32, maxQueued: 1000, maxWaitMs: 5000 };
 */
export interface LimiterOptions {
  /** Most tasks running at once. */
  readonly maxConcurrent: number;
  /** Most tasks waiting for a slot; one more is refused at once. */
  readonly maxQueued: number;
  /** Longest wait for a slot, ms; a task still waiting then is refused. */
  readonly maxWaitMs: number;
}

/**
 * Why {@link Limiter.run} refused a task without running it.
 *
 * @example
 * try { await limiter.run(task) } catch (e) { if (e instanceof LimiterFullError) answer503() }
 */
export class LimiterFullError extends Error {
  override readonly name = 'LimiterFullError';
}

/**
 * Bounds the calls in flight to one provider. When a provider answers slowly, at most
 * `maxConcurrent` connections are held open; later calls wait in a bounded queue for a bounded
 * time, then fail (so a slow provider costs latency up to `maxWaitMs`, never unbounded memory).
 *
 * @example
 * const limiter = createLimiter({ maxConcurrent: 32, maxQueued: 1000, maxWaitMs: 5000 });
 * const res = await limiter.run(() => fetch(url));
 */
export interface Limiter {
  /** Runs `task` when a slot is free; rejects with {@link LimiterFullError} if none frees in time. */
  run<T>(task: () => Promise<T>): Promise<T>;
  readonly active: number;
  readonly queued: number;
}

/**
 * Creates a {@link Limiter}.
 *
 * @example
 * const limiter = createLimiter({ maxConcurrent: 2, maxQueued: 10, maxWaitMs: 1000 });
 */
export function createLimiter(options: LimiterOptions): Limiter {
  const max = Math.max(1, Math.floor(options.maxConcurrent));
  let active = 0;
  const queue: { grant: () => void }[] = [];

  function acquire(): Promise<void> {
    if (active < max) {
      active++;
      return Promise.resolve();
    }
    if (queue.length >= options.maxQueued) return Promise.reject(new LimiterFullError('too many calls are waiting for the provider'));
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          active++;
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const i = queue.indexOf(waiter);
        if (i !== -1) queue.splice(i, 1);
        reject(new LimiterFullError(`no free connection to the provider within ${options.maxWaitMs} ms`));
      }, options.maxWaitMs);
      timer.unref?.();
      queue.push(waiter);
    });
  }

  function release(): void {
    active--;
    queue.shift()?.grant();
  }

  return {
    async run(task) {
      await acquire();
      try {
        return await task();
      } finally {
        release();
      }
    },
    get active() {
      return active;
    },
    get queued() {
      return queue.length;
    },
  };
}
