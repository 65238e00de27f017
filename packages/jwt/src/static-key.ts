import { createPublicKey, createSecretKey, X509Certificate, type KeyObject } from 'node:crypto';
import { ConfigError } from '@restauth/core';
import { MIN_RSA_BITS, type KeyKind } from './algorithms.js';
import { verificationKey, type VerificationKey } from './jws-signature.js';

/** A key given in config, imported once at start-up. */
export interface StaticKey {
  readonly kind: KeyKind;
  readonly key: VerificationKey;
}

const CURVES: Readonly<Record<string, KeyKind>> = {
  prime256v1: 'EC:P-256',
  secp384r1: 'EC:P-384',
  secp521r1: 'EC:P-521',
};

function fail(path: string, message: string): never {
  throw new ConfigError([{ path, message }]);
}

/** Kind of an asymmetric public key, or a ConfigError for one restauth will not verify with. */
function publicKeyKind(key: KeyObject, path: string): KeyKind {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) fail(path, `RSA key of ${bits} bits is too weak; use at least ${MIN_RSA_BITS} bits`);
    return 'RSA';
  }
  if (type === 'ec') {
    const kind = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!kind) fail(path, `EC curve ${key.asymmetricKeyDetails?.namedCurve ?? '(unknown)'} is not supported; use P-256, P-384 or P-521`);
    return kind;
  }
  if (type === 'ed25519') return 'OKP:Ed25519';
  return fail(path, `key type ${type ?? '(unknown)'} is not supported; use RSA, EC or Ed25519`);
}

function refusePrivate(pem: string, path: string): void {
  // createPublicKey() would quietly derive a public key from a private one; a private key in
  // a verifier's config is a leak to fix, not to accept.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) fail(path, 'contains a private key; configure the public key only');
}

/**
 * Imports a PEM SPKI public key. Throws a ConfigError naming `path` when the PEM is malformed,
 * holds a private key, or is an RSA key under 2048 bits.
 */
export function importPublicKeyPem(pem: string, path: string): StaticKey {
  refusePrivate(pem, path);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    return fail(path, 'is not a valid PEM public key');
  }
  const kind = publicKeyKind(key, path);
  return { kind, key: verificationKey(key, kind) };
}

/**
 * Imports the public key of a PEM X.509 certificate. Throws a ConfigError naming `path` when
 * the PEM is malformed or its key is unusable (RSA under 2048 bits...).
 */
export function importCertificatePem(pem: string, path: string): StaticKey {
  refusePrivate(pem, path);
  let key: KeyObject;
  try {
    key = new X509Certificate(pem).publicKey;
  } catch {
    return fail(path, 'is not a valid PEM X.509 certificate');
  }
  const kind = publicKeyKind(key, path);
  return { kind, key: verificationKey(key, kind) };
}

/** An HMAC key from a shared secret (its UTF-8 bytes; the schema enforces at least 32). */
export function importSecret(secret: string, path: string): StaticKey {
  const bytes = Buffer.from(secret, 'utf8');
  if (bytes.length < 32) fail(path, 'must be at least 32 bytes');
  return { kind: 'oct', key: verificationKey(createSecretKey(bytes), 'oct') };
}
