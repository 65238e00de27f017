/** Request headers as Node gives them: lower-case names. */
export type IncomingHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The small, framework-neutral request shape core works on. Adapters pass their framework's
 * raw Node request fields; nothing is copied.
 *
 * @example
 * const decision = await auth.authenticate({ method: req.method, url: req.url, headers: req.headers, remoteAddress: req.socket.remoteAddress });
 */
export interface RequestLike {
  readonly method: string;
  /** The request target as received: origin-form (`/a?b`) or absolute-form (`http://h/a`). */
  readonly url: string;
  readonly headers: IncomingHeaders;
  /** The TCP peer address (`socket.remoteAddress`). */
  readonly remoteAddress?: string | undefined;
  /**
   * Node's `rawHeaders` (name, value, name, value...), when the adapter has them. Node keeps only
   * the first of repeated `Authorization` headers in `headers`; with these, core refuses such a
   * request (400) instead of judging the first while a proxy in front may have used the last.
   */
  readonly rawHeaders?: readonly string[] | undefined;
  /**
   * The connection (Node's `req.socket`), when the adapter has it: whether it is TLS
   * (`encrypted`, for the request's scheme) and the client certificate of mutual TLS
   * (certificate-bound tokens, RFC 8705). Read only by the proof-of-possession check.
   */
  readonly socket?: TlsSocketLike | undefined;
}

/** What core reads of a Node socket: `net.Socket` or `tls.TLSSocket`. */
export interface TlsSocketLike {
  readonly remoteAddress?: string | undefined;
  /** True on a TLS connection. */
  readonly encrypted?: boolean | undefined;
  /** `tls.TLSSocket#getPeerCertificate`: `raw` is the client certificate's DER; an empty object when none. */
  getPeerCertificate?(detailed?: boolean): { readonly raw?: Uint8Array } | null | undefined;
}

/** Reads one header; an array (a repeated header) joins the way Node joins most headers. */
export function headerValue(headers: IncomingHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.join(', ');
}
