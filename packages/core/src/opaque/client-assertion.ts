import { constants, createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { ConfigError } from '../errors.js';

/**
 * Algorithms a `private_key_jwt` client assertion may be signed with.
 *
 * @example
 * CLIENT_ASSERTION_ALGORITHMS.includes('ES256') // true
 */
export const CLIENT_ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const CURVES: Readonly<Record<string, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };
const DIGESTS: Readonly<Record<string, string>> = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };

/**
 * Options of {@link createClientAssertionSigner}.
 *
 * @example
 * const options: ClientAssertionOptions = { clientId: 'api', privateKey: pem, audience: 'https://idp/introspect', path: 'providers[0]' };
 */
export interface ClientAssertionOptions {
  readonly clientId: string;
  /** PEM private key (PKCS#8, or PKCS#1 / SEC1). */
  readonly privateKey: string;
  /** Default: RS256 for RSA keys, ES256/ES384/ES512 by curve, EdDSA for Ed25519. */
  readonly algorithm?: string | undefined;
  readonly keyId?: string | undefined;
  /** `aud` of the assertion: the endpoint being called, or the provider's issuer. */
  readonly audience: string;
  /** Config path, for start-up errors. */
  readonly path: string;
  readonly now?: () => number;
}

function defaultAlgorithm(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return Object.keys(CURVES).find((alg) => CURVES[alg] === curve);
  }
  return undefined;
}

function fits(alg: string, key: KeyObject): boolean {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return key.asymmetricKeyType === 'rsa' || (alg.startsWith('PS') && key.asymmetricKeyType === 'rsa-pss');
  if (alg.startsWith('ES')) return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVES[alg];
  return alg === 'EdDSA' && key.asymmetricKeyType === 'ed25519';
}

/**
 * Builds a signer of RFC 7523 client assertions (`private_key_jwt`, RFC 7521 §4.2) with
 * `node:crypto` only: `iss` = `sub` = the client id, the configured `aud`, a fresh `jti`, and a
 * 60-second lifetime. The key is imported once, here, so a bad key or an algorithm that does
 * not fit it throws a {@link ConfigError} at start-up.
 *
 * @example
 * const assertion = createClientAssertionSigner({ clientId: 'api', privateKey: pem, audience: introspectionEndpoint, path: 'providers[0]' });
 * body.set('client_assertion', assertion());
 */
export function createClientAssertionSigner(options: ClientAssertionOptions): () => string {
  let key: KeyObject;
  try {
    key = createPrivateKey(options.privateKey);
  } catch (cause) {
    throw new ConfigError([{ path: `${options.path}.privateKey`, message: 'is not a PEM private key' }], { cause });
  }
  const alg = options.algorithm ?? defaultAlgorithm(key);
  if (alg === undefined || !(CLIENT_ASSERTION_ALGORITHMS as readonly string[]).includes(alg) || !fits(alg, key)) {
    throw new ConfigError([{
      path: `${options.path}.${options.algorithm === undefined ? 'privateKey' : 'assertionAlgorithm'}`,
      message: alg === undefined ? `a ${key.asymmetricKeyType ?? 'unknown'} key cannot sign client assertions` : `"${alg}" cannot be used with this ${key.asymmetricKeyType ?? ''} key`,
    }]);
  }
  const digest = alg === 'EdDSA' ? null : (DIGESTS[alg.slice(2)] as string);
  const signOptions = alg.startsWith('PS')
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  const header = Buffer.from(JSON.stringify({ alg, typ: 'JWT', ...(options.keyId === undefined ? {} : { kid: options.keyId }) })).toString('base64url');
  const now = options.now ?? Date.now;

  return () => {
    const iat = Math.floor(now() / 1000);
    const claims = { iss: options.clientId, sub: options.clientId, aud: options.audience, jti: randomUUID(), iat, exp: iat + 60 };
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${sign(digest, Buffer.from(input), signOptions).toString('base64url')}`;
  };
}
