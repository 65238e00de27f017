/** Largest JWKS or discovery document read, in bytes. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > maxBytes) throw new Error('response is too large');
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Error('response is too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * GETs a JSON document with a timeout and a size cap. Rejects with an Error (never holding the
 * body) on a network failure, a timeout, a non-2xx status or a body that is not JSON.
 */
export async function fetchJson(fetchFn: typeof fetch, url: string, timeoutMs: number): Promise<unknown> {
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetchFn(url, { headers: { accept: 'application/json' }, signal, redirect: 'follow' });
  } catch (cause) {
    throw new Error(signal.aborted ? `timed out after ${timeoutMs} ms` : 'request failed', { cause });
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`answered HTTP ${res.status}`);
  }
  let text: string;
  try {
    text = await readCapped(res, MAX_DOCUMENT_BYTES);
  } catch (cause) {
    throw new Error(signal.aborted ? `timed out after ${timeoutMs} ms` : 'reading the response failed', { cause });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('response is not JSON');
  }
}
