import * as crypto from 'node:crypto';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** Every restauth API token starts with this, so secret scanners and the gate recognise it. */
export const API_TOKEN_PREFIX = 'rat_';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 16; // ~95 bits
const SECRET_LENGTH = 43; // 43 × log2(62) ≈ 256 bits
const CHECKSUM_LENGTH = 6; // CRC32
/** Length of every API token. */
export const API_TOKEN_LENGTH = API_TOKEN_PREFIX.length + ID_LENGTH + SECRET_LENGTH + CHECKSUM_LENGTH;
const SHAPE = new RegExp(`^${API_TOKEN_PREFIX}[0-9A-Za-z]{${ID_LENGTH + SECRET_LENGTH + CHECKSUM_LENGTH}}$`);

/** An unsigned 32-bit number in base62, left-padded with zeros (plain arithmetic: it is exact below 2^53). */
function base62(n: number, length: number): string {
  let out = '';
  while (n > 0) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out.padStart(length, '0');
}

/** Uniform base62 characters: bytes ≥ 248 are rejected so `% 62` has no bias. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248) out += ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

function checksum(body: string): string {
  return base62(crc32(body), CHECKSUM_LENGTH);
}

// Node ≥ 20.12 has a one-shot crypto.hash(), cheaper than a Hash object per call.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** A freshly generated token: show `token` once; store only `hash`. */
export interface GeneratedToken {
  readonly id: string;
  readonly token: string;
  readonly hash: string;
}

/**
 * Generates a token: `rat_` + id + 256-bit secret + CRC32 checksum, all base62. Give `id` to
 * make a new secret for an existing token (a roll).
 *
 * @example
 * const { id, token, hash } = generateApiToken();
 */
export function generateApiToken(id: string = randomBase62(ID_LENGTH)): GeneratedToken {
  const body = API_TOKEN_PREFIX + id + randomBase62(SECRET_LENGTH);
  const token = body + checksum(body);
  return { id, token, hash: hashApiToken(token) };
}

/** SHA-256 of the whole token, hex: what stores keep (the token is high-entropy, so no slow hash is needed). */
export function hashApiToken(token: string): string {
  return oneShotHash ? oneShotHash('sha256', token, 'hex') : createHash('sha256').update(token).digest('hex');
}

/**
 * Checks prefix, length, alphabet and checksum without any store lookup. Returns the token's
 * id, or undefined for a mistyped or forged token.
 *
 * @example
 * parseApiToken('rat_...') // 'Xq3...' or undefined
 */
export function parseApiToken(token: string): string | undefined {
  if (token.length !== API_TOKEN_LENGTH || !SHAPE.test(token)) return undefined;
  const body = token.slice(0, -CHECKSUM_LENGTH);
  if (checksum(body) !== token.slice(-CHECKSUM_LENGTH)) return undefined;
  return token.slice(API_TOKEN_PREFIX.length, API_TOKEN_PREFIX.length + ID_LENGTH);
}

/** Constant-time comparison of two hex hashes. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
