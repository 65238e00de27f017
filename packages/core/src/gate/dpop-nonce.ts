import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Server nonces of RFC 9449 §8: issued and checked without any shared state. */
export interface NonceIssuer {
  /** The nonce to hand out now. */
  current(): string;
  /** True for a nonce this key issued within the lifetime. */
  accepts(nonce: unknown): boolean;
}

/**
 * Stateless rotating nonces: `<period>.<HMAC(key, period)>`, a new one every half lifetime, the
 * one before still accepted. Instances that share `secret` accept each other's nonces.
 */
export function createNonceIssuer(secret: string | undefined, lifetimeSec: number, now: () => number = Date.now): NonceIssuer {
  const key = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  const periodMs = (lifetimeSec * 1000) / 2;
  const mac = (period: number) => createHmac('sha256', key).update(String(period)).digest();
  let memo = { period: -1, nonce: '' };
  const periodNow = () => Math.floor(now() / periodMs);
  return {
    current() {
      const period = periodNow();
      if (memo.period !== period) memo = { period, nonce: `${period.toString(36)}.${mac(period).toString('base64url')}` };
      return memo.nonce;
    },
    accepts(nonce) {
      if (typeof nonce !== 'string' || nonce.length > 64) return false;
      const dot = nonce.indexOf('.');
      const period = parseInt(nonce.slice(0, dot), 36);
      const current = periodNow();
      if (dot < 1 || (period !== current && period !== current - 1) || nonce.slice(0, dot) !== period.toString(36)) return false;
      const text = nonce.slice(dot + 1);
      const given = Buffer.from(text, 'base64url');
      const want = mac(period);
      // Only the canonical encoding: base64url's last character also carries padding bits.
      return given.length === want.length && given.toString('base64url') === text && timingSafeEqual(given, want);
    },
  };
}
