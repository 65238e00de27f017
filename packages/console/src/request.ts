import type { IncomingMessage } from 'node:http';

/** The largest form body the console reads (a pasted token is far smaller). */
export const MAX_FORM_BYTES = 64 * 1024;

/** The form was larger than {@link MAX_FORM_BYTES}. */
export class FormTooLargeError extends Error {
  override readonly name = 'FormTooLargeError';
}

/** Reads an `application/x-www-form-urlencoded` body, refusing more than `limit` bytes. */
export async function readForm(req: IncomingMessage, limit = MAX_FORM_BYTES): Promise<URLSearchParams> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new FormTooLargeError();
  const type = String(req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new FormTooLargeError();
    chunks.push(chunk);
  }
  if (type !== 'application/x-www-form-urlencoded') return new URLSearchParams();
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Where to go after signing in: only a path inside the console (no scheme, no host, no `//` or
 * backslash tricks), else the console's start page. Stops open redirects through `returnTo`.
 */
export function safeReturnTo(value: string | null | undefined, prefix: string): string {
  const home = `${prefix}/`;
  if (!value || value.length > 512) return home;
  if (!value.startsWith(`${prefix}/`) && value !== prefix) return home;
  if (/[\\\s\u0000-\u001f]/.test(value) || value.includes('//')) return home;
  try {
    // Resolved against a dummy origin, the result must stay on it and keep the path as given.
    const url = new URL(value, 'http://console.invalid');
    if (url.origin !== 'http://console.invalid' || !url.pathname.startsWith(prefix)) return home;
    return url.pathname + url.search;
  } catch {
    return home;
  }
}

/** The scheme and host the browser used: `publicUrl` when set, else the Host header (http unless the socket is TLS). */
export function origin(req: IncomingMessage, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl;
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  const host = String(req.headers.host ?? 'localhost').replace(/[^A-Za-z0-9.:[\]-]/g, '');
  return `${tls ? 'https' : 'http'}://${host}`;
}
