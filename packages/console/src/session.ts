import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '@restauth/core';

/** The signed-in person, as the session cookie carries it. */
export interface Session {
  /** The restauth principal built from the ID token with the provider's claim mapping. */
  readonly principal: Principal;
  /** The form token every state-changing request must send back. */
  readonly csrf: string;
  /** Unix seconds. */
  readonly exp: number;
}

/** What waits in the flow cookie between the redirect to the IdP and the callback. */
export interface LoginFlow {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly returnTo: string;
  readonly exp: number;
}

/** Why a cookie was not accepted (nothing sent, a bad signature, or too old). */
export type CookieProblem = 'missing' | 'invalid' | 'expired';

const MAX_COOKIE_BYTES = 3800;

/** A random URL-safe string of `bytes` bytes. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** `value.signature`, both base64url; the signature covers the cookie's name too (no swapping). */
export function sign(key: Buffer, name: string, payload: object): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const mac = createHmac('sha256', key).update(`${name}=${body}`).digest('base64url');
  const value = `${body}.${mac}`;
  if (value.length > MAX_COOKIE_BYTES) throw new Error('session too large for a cookie');
  return value;
}

/** The payload of a cookie signed by {@link sign}, or why it is not accepted. */
export function verify<T extends { exp: number }>(key: Buffer, name: string, value: string | undefined, nowSec: number): T | CookieProblem {
  if (!value) return 'missing';
  const dot = value.indexOf('.');
  if (dot <= 0 || value.length > MAX_COOKIE_BYTES) return 'invalid';
  const body = value.slice(0, dot);
  const mac = Buffer.from(value.slice(dot + 1), 'base64url');
  const expected = createHmac('sha256', key).update(`${name}=${body}`).digest();
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return 'invalid';
  let payload: T;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
  } catch {
    return 'invalid';
  }
  if (typeof payload !== 'object' || payload === null || typeof payload.exp !== 'number') return 'invalid';
  return payload.exp <= nowSec ? 'expired' : payload;
}

/** Constant-time comparison of two strings (CSRF tokens). */
export function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The request's cookies by name (the first of duplicates wins). */
export function readCookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** A `Set-Cookie` value: HttpOnly, SameSite=Lax, scoped to the console's prefix; `maxAgeSec` 0 deletes it. */
export function cookie(name: string, value: string, opts: { path: string; secure: boolean; maxAgeSec: number }): string {
  return [`${name}=${value}`, `Path=${opts.path}`, `Max-Age=${opts.maxAgeSec}`, 'HttpOnly', 'SameSite=Lax', ...(opts.secure ? ['Secure'] : [])].join('; ');
}

/** The session's principal as stored: dates as numbers, claims kept (they are shown on no page but tokens need them). */
export function sessionPayload(principal: Principal, csrf: string, exp: number): object {
  return {
    p: {
      subject: principal.subject, username: principal.username, groups: principal.groups, scopes: principal.scopes,
      clientId: principal.clientId, provider: principal.provider, tokenType: principal.tokenType,
    },
    csrf,
    exp,
  };
}

/** Rebuilds a {@link Session} from a verified payload. */
export function sessionFrom(payload: { p: Omit<Principal, 'claims'>; csrf: string; exp: number }): Session {
  return { principal: { ...payload.p, claims: {} }, csrf: payload.csrf, exp: payload.exp };
}
