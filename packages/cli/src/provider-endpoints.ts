import { ConfigError, introspectionRequest, type OutboundRequest, type ResolvedIntrospectionProvider, type ResolvedUserinfoProvider } from '@restauth/core';

/** What one introspection or userinfo endpoint said about a token. */
export type EndpointAnswer =
  | { readonly ok: true; readonly claims: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<Response | string> {
  try {
    return await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
    return `cannot reach ${new URL(url).host}: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
  }
}

async function jsonBody(res: Response): Promise<Record<string, unknown> | string> {
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  if (/application\/jwt/i.test(type)) return 'answered with a signed JWT (application/jwt), which the CLI does not unpack';
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  return `answered HTTP ${res.status} with something that is not a JSON object`;
}

/**
 * RFC 7662 introspection of `token` with the provider's client credentials
 * (`client_secret_basic`, `client_secret_post` or `private_key_jwt`).
 */
export async function introspect(p: ResolvedIntrospectionProvider, token: string): Promise<EndpointAnswer> {
  // The very request the gate sends (core builds it), so what the CLI shows is what the gate sees.
  let request: OutboundRequest;
  try {
    request = introspectionRequest(p, 'provider')(token);
  } catch (err) {
    return { ok: false, reason: `cannot sign the client assertion: ${err instanceof ConfigError ? err.issues.map((i) => i.message).join('; ') : (err as Error).message}` };
  }
  const res = await call(request.url, { method: request.method, headers: request.headers, body: request.body }, p.timeoutMs);
  if (typeof res === 'string') return { ok: false, reason: res };
  if (res.status === 401 || res.status === 403) return { ok: false, reason: `the endpoint refused client "${p.clientId}" (HTTP ${res.status}): check clientId, clientSecret and clientAuth` };
  if (!res.ok) return { ok: false, reason: `HTTP ${res.status}` };
  const json = await jsonBody(res);
  if (typeof json === 'string') return { ok: false, reason: json };
  if (json['active'] !== true) return { ok: false, reason: 'the token is not active (unknown, expired or revoked)' };
  return { ok: true, claims: json };
}

/** The provider's userinfo endpoint, called with the token as a bearer token. */
export async function userinfo(p: ResolvedUserinfoProvider, token: string): Promise<EndpointAnswer> {
  const res = await call(p.userinfoEndpoint, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, p.timeoutMs);
  if (typeof res === 'string') return { ok: false, reason: res };
  if (res.status === 401 || res.status === 403) return { ok: false, reason: `token not accepted (HTTP ${res.status})` };
  if (!res.ok) return { ok: false, reason: `HTTP ${res.status}` };
  const json = await jsonBody(res);
  return typeof json === 'string' ? { ok: false, reason: json } : { ok: true, claims: json };
}
