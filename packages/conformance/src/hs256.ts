import { createHmac } from 'node:crypto';

/** A JWT signed with HS256 by `secret`, for apps configured with a `jwt` provider and that secret. */
export function hs256Token(secret: string, payload: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
