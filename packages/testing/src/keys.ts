import { createHash, createPrivateKey, createPublicKey, generateKeyPair, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { FIXED_CERTIFICATE_PEM, FIXED_PRIVATE_KEY_PEM } from './fixed-key.js';

/** An RS256 signing key of the IdP, in every shape the IdP needs. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKeyPem: string;
  /** a self-signed certificate for the key, only for the fixed initial key */
  certificatePem?: string;
  /** the private JWK handed to oidc-provider */
  privateJwk: Record<string, unknown>;
}

/** RFC 7638 thumbprint, so a kid always names one key. */
function thumbprint(jwk: Record<string, unknown>): string {
  const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

function fromPrivateKey(privateKey: KeyObject, certificatePem?: string): SigningKey {
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const kid = thumbprint(jwk);
  const privateJwk: Record<string, unknown> = { ...jwk, kid, alg: 'RS256', use: 'sig' };
  if (certificatePem !== undefined) {
    privateJwk.x5c = [new X509Certificate(certificatePem).raw.toString('base64')];
  }
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return certificatePem === undefined
    ? { kid, privateKey, publicKeyPem, privateJwk }
    : { kid, privateKey, publicKeyPem, certificatePem, privateJwk };
}

/** The fixed key (with its certificate) every IdP starts with. */
export function fixedSigningKey(): SigningKey {
  return fromPrivateKey(createPrivateKey(FIXED_PRIVATE_KEY_PEM), FIXED_CERTIFICATE_PEM);
}

/** A fresh RSA-2048 key, for rotation. */
export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return fromPrivateKey(privateKey);
}
