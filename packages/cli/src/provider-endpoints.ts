import { constants, createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { ResolvedIntrospectionProvider, ResolvedUserinfoProvider } from '@restauth/core';

/** What one introspection or userinfo endpoint said about a token. */
export type EndpointAnswer =
  | { readonly ok: true; readonly claims: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

// RFC 6749 §2.3.1: client id and secret are form-urlencoded before they go into Basic.
const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');

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

const CURVE_ALGS: Readonly<Record<string, string>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/** An RFC 7523 client assertion (`private_key_jwt`): iss = sub = client id, 60 s lifetime. */
function clientAssertion(p: ResolvedIntrospectionProvider): string {
  const key: KeyObject = createPrivateKey(p.privateKey as string);
  const alg = p.assertionAlgorithm
    ?? (key.asymmetricKeyType === 'rsa' ? 'RS256' : key.asymmetricKeyType === 'ed25519' ? 'EdDSA' : CURVE_ALGS[key.asymmetricKeyDetails?.namedCurve ?? '']);
  if (!alg) throw new Error(`a ${key.asymmetricKeyType ?? 'unknown'} key cannot sign client assertions`);
  const iat = Math.floor(Date.now() / 1000);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg, typ: 'JWT', ...(p.keyId ? { kid: p.keyId } : {}) })}.${b64({ iss: p.clientId, sub: p.clientId, aud: p.assertionAudience ?? p.introspectionEndpoint, jti: randomUUID(), iat, exp: iat + 60 })}`;
  const digest = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`;
  const options = alg.startsWith('PS') ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  return `${input}.${sign(digest, Buffer.from(input), options).toString('base64url')}`;
}

/**
 * RFC 7662 introspection of `token` with the provider's client credentials
 * (`client_secret_basic`, `client_secret_post` or `private_key_jwt`).
 */
export async function introspect(p: ResolvedIntrospectionProvider, token: string): Promise<EndpointAnswer> {
  const body = new URLSearchParams({ token, token_type_hint: 'access_token' });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (p.clientAuth === 'private_key_jwt') {
    let assertion: string;
    try {
      assertion = clientAssertion(p);
    } catch (err) {
      return { ok: false, reason: `cannot sign the client assertion: ${(err as Error).message}` };
    }
    body.set('client_id', p.clientId);
    body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    body.set('client_assertion', assertion);
  } else if (p.clientAuth === 'client_secret_post') {
    body.set('client_id', p.clientId);
    body.set('client_secret', p.clientSecret ?? '');
  } else {
    headers['authorization'] = 'Basic ' + Buffer.from(`${formEncode(p.clientId)}:${formEncode(p.clientSecret ?? '')}`).toString('base64');
  }
  const res = await call(p.introspectionEndpoint, { method: 'POST', headers, body }, p.timeoutMs);
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
