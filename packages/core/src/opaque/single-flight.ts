/**
 * Coalesces identical concurrent work: while a task for `key` runs, later callers with the same
 * key get the same promise instead of starting another one. A hundred simultaneous requests
 * carrying one token cost the provider one call.
 *
 * @example
 * const flights = createSingleFlight<Principal>();
 * const principal = await flights.run(tokenKey(token), () => askProvider(token));
 */
export interface SingleFlight<T> {
  run(key: string, task: () => Promise<T>): Promise<T>;
  /** Keys with a task in flight. */
  readonly size: number;
}

/**
 * Creates a {@link SingleFlight}. The entry is removed when the task settles, so a failure is
 * shared by the callers that were waiting for it and never remembered afterwards.
 *
 * @example
 * const flights = createSingleFlight<number>();
 * await Promise.all([flights.run('a', slow), flights.run('a', slow)]); // `slow` ran once
 */
export function createSingleFlight<T>(): SingleFlight<T> {
  const inFlight = new Map<string, Promise<T>>();
  return {
    run(key, task) {
      const running = inFlight.get(key);
      if (running) return running;
      const p = (async () => {
        try {
          return await task();
        } finally {
          inFlight.delete(key);
        }
      })();
      inFlight.set(key, p);
      return p;
    },
    get size() {
      return inFlight.size;
    },
  };
}
