/**
 * Reads a JSON request body from a Node stream (or any async iterable of chunks), for adapters
 * whose framework has not parsed it. Returns undefined when the body is empty, larger than
 * `maxBytes`, or not JSON: the token routes then answer 400 with a clear message.
 *
 * @example
 * const body = await readJsonBody(req, 16_384);
 */
export async function readJsonBody(source: AsyncIterable<Uint8Array | string>, maxBytes = 16_384): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
      size += buf.length;
      if (size > maxBytes) return undefined;
      chunks.push(buf);
    }
    return size ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
}
