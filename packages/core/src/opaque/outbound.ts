import { RestAuthError } from '../errors.js';
import { createLimiter, LimiterFullError, type Limiter } from './limiter.js';

/**
 * Largest provider answer read, in bytes; anything longer is not a sane introspection or userinfo answer.
 *
 * @example
 * if (size > MAX_ANSWER_BYTES) throw new Error('answer is too large');
 */
export const MAX_ANSWER_BYTES = 256 * 1024;
/**
 * `Retry-After` sent with a 503 when the provider gave none, seconds.
 *
 * @example
 * new RestAuthError('temporarily_unavailable', 'Provider down', { retryAfterSec: DEFAULT_RETRY_AFTER_SEC });
 */
export const DEFAULT_RETRY_AFTER_SEC = 5;

/**
 * Options of {@link createOutbound}.
 *
 * @example
 * const options: OutboundOptions = { provider: 'corp', timeoutMs: 5000, maxConcurrent: 32 };
 */
export interface OutboundOptions {
  /** Provider name, for messages. */
  readonly provider: string;
  /** Timeout of one call (headers and body), ms. Waiting for a free slot may take as long again. */
  readonly timeoutMs: number;
  /** Calls in flight to this provider at most. Default 32. */
  readonly maxConcurrent?: number;
  /** Calls waiting for a slot at most; more are answered 503 at once. Default 1000. */
  readonly maxQueued?: number;
  /** Default the global `fetch`. */
  readonly fetch?: typeof fetch;
}

/**
 * One call to a provider. The URL always comes from configuration, never from a token.
 *
 * @example
 * const request: OutboundRequest = { url: provider.userinfoEndpoint, method: 'GET', headers: { authorization: `Bearer ${token}` } };
 */
export interface OutboundRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * A provider's answer that restauth may judge (2xx, or a 3xx/4xx that says something).
 *
 * @example
 * const res: OutboundResponse = { status: 200, contentType: 'application/json', text: '{"active":false}' };
 */
export interface OutboundResponse {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/**
 * Calls one provider: global `fetch`, a timeout (`AbortSignal.timeout`) over the whole exchange,
 * bounded concurrency, a capped body, redirects never followed. Rejects with a
 * `temporarily_unavailable` {@link RestAuthError} (503, with `retryAfterSec`) when the provider
 * is unreachable, too slow, overloaded (429) or failing (5xx); every other answer is returned
 * for the caller to judge.
 *
 * @example
 * const out = createOutbound({ provider: 'corp', timeoutMs: 5000 });
 * const res = await out.send({ url, method: 'GET', headers: { authorization: `Bearer ${token}` } });
 */
export interface Outbound {
  send(request: OutboundRequest): Promise<OutboundResponse>;
  readonly limiter: Limiter;
}

function unavailable(provider: string, detail: string, retryAfterSec = DEFAULT_RETRY_AFTER_SEC, cause?: unknown): RestAuthError {
  return new RestAuthError('temporarily_unavailable', `Token provider ${provider} is unavailable; try again later`, {
    retryAfterSec,
    cause: new Error(`${provider}: ${detail}`, cause === undefined ? undefined : { cause }),
  });
}

function retryAfter(header: string | null): number {
  const n = header === null ? NaN : Number(header.trim());
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 300) : DEFAULT_RETRY_AFTER_SEC;
}

async function readCapped(res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > MAX_ANSWER_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error('answer is too large');
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new Error('answer is too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Creates an {@link Outbound} for one provider.
 *
 * @example
 * const out = createOutbound({ provider: 'github', timeoutMs: 3000, maxConcurrent: 16 });
 */
export function createOutbound(options: OutboundOptions): Outbound {
  const { provider, timeoutMs } = options;
  const fetchFn: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const limiter = createLimiter({ maxConcurrent: options.maxConcurrent ?? 32, maxQueued: options.maxQueued ?? 1000, maxWaitMs: timeoutMs });

  async function exchange(request: OutboundRequest): Promise<OutboundResponse> {
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await fetchFn(request.url, {
        method: request.method,
        headers: { 'user-agent': 'restauth', ...request.headers },
        ...(request.body === undefined ? {} : { body: request.body }),
        signal,
        redirect: 'manual',
      });
    } catch (cause) {
      throw unavailable(provider, signal.aborted ? `timed out after ${timeoutMs} ms` : 'request failed', DEFAULT_RETRY_AFTER_SEC, cause);
    }
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      await res.body?.cancel().catch(() => undefined);
      throw unavailable(provider, `answered HTTP ${res.status}`, retryAfter(res.headers.get('retry-after')));
    }
    let text: string;
    try {
      text = await readCapped(res);
    } catch (cause) {
      if (signal.aborted) throw unavailable(provider, `timed out after ${timeoutMs} ms`, DEFAULT_RETRY_AFTER_SEC, cause);
      throw unavailable(provider, (cause as Error).message === 'answer is too large' ? 'answer is too large' : 'reading the answer failed', DEFAULT_RETRY_AFTER_SEC, cause);
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text };
  }

  return {
    limiter,
    async send(request) {
      try {
        return await limiter.run(() => exchange(request));
      } catch (err) {
        if (err instanceof LimiterFullError) throw unavailable(provider, err.message, 1, err);
        throw err;
      }
    },
  };
}
