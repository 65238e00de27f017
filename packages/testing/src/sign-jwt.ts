import { constants, createHmac, sign } from 'node:crypto';
import type { SigningKey } from './keys.js';

// Built by hand rather than with jose: negative tests need headers jose refuses to produce
// (alg "none", unknown `crit`, HS256 keyed with the public key, ...).

const SUPPORTED = 'RS256, RS384, RS512, PS256, PS384, PS512, HS256, HS384, HS512, none';

function encode(part: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(part)).toString('base64url');
}

function signature(alg: unknown, input: string, key: SigningKey): Buffer {
  if (alg === 'none') return Buffer.alloc(0);
  const match = typeof alg === 'string' ? /^(RS|PS|HS)(256|384|512)$/.exec(alg) : null;
  if (match === null) throw new TypeError(`signJwt: cannot sign with alg ${JSON.stringify(alg)} (supported: ${SUPPORTED})`);
  const [, family, bits] = match;
  const digest = `sha${bits}`;
  if (family === 'HS') {
    // the classic key-confusion forgery: HMAC keyed with the published public key
    return createHmac(digest, key.publicKeyPem).update(input).digest();
  }
  if (family === 'PS') {
    return sign(digest, Buffer.from(input), {
      key: key.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(bits) / 8,
    });
  }
  return sign(digest, Buffer.from(input), key.privateKey);
}

/** A compact JWS of exactly this header and payload, signed with `key`. */
export function signCompactJwt(
  payload: Record<string, unknown>,
  header: Record<string, unknown>,
  key: SigningKey,
): string {
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${signature(header.alg, input, key).toString('base64url')}`;
}
