import type { ServerResponse } from 'node:http';

/**
 * How the JWKS endpoint of a test IdP answers: `'ok'` normally, `'down'` with HTTP 500,
 * `'junk'` with HTTP 200 and a body that is not JSON, `{ slowMs }` normally but late.
 *
 * @example
 * ```ts
 * import { startIdp, type JwksMode } from '@restauth/testing';
 *
 * const idp = await startIdp();
 * const mode: JwksMode = { slowMs: 2_000 };
 * idp.setJwksMode(mode);
 * ```
 */
export type JwksMode = 'ok' | 'down' | 'junk' | { slowMs: number };

/** Counts JWKS requests and, when told to, answers them badly before oidc-provider sees them. */
export class JwksGate {
  #mode: JwksMode = 'ok';
  #fetchCount = 0;
  readonly #timers = new Set<NodeJS.Timeout>();

  get fetchCount(): number {
    return this.#fetchCount;
  }

  setMode(mode: JwksMode): void {
    const valid =
      mode === 'ok' ||
      mode === 'down' ||
      mode === 'junk' ||
      (typeof mode === 'object' && mode !== null && Number.isFinite(mode.slowMs) && mode.slowMs >= 0);
    if (!valid) throw new TypeError(`setJwksMode: expected 'ok', 'down', 'junk' or { slowMs: number }, got ${JSON.stringify(mode)}`);
    this.#mode = typeof mode === 'object' ? { slowMs: mode.slowMs } : mode;
  }

  /** Answers a JWKS request itself, or calls `pass` (at once, or later when slow). */
  handle(res: ServerResponse, pass: () => void): void {
    this.#fetchCount += 1;
    const mode = this.#mode;
    if (mode === 'down') {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'server_error', error_description: 'JWKS endpoint is down (test mode)' }));
    } else if (mode === 'junk') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>this is not a JWK set</html>');
    } else if (mode === 'ok') {
      pass();
    } else {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        pass();
      }, mode.slowMs);
      this.#timers.add(timer);
    }
  }

  /** Drops answers still waiting in slow mode. */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
