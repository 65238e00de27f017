import { randomUUID, createHash, X509Certificate } from 'node:crypto';
import type { JWK } from 'jose';

/** Algorithms {@link createDpopClient} can sign proofs with. */
export type DpopAlgorithm = 'ES256' | 'RS256' | 'PS256' | 'EdDSA';

/** What one DPoP proof says (RFC 9449 §4.2); the `*` members override for negative tests. */
export interface DpopProofOptions {
  /** The request's method (`htm`). */
  readonly method: string;
  /** The request's URL (`htu`; query and fragment are dropped, as the RFC asks). */
  readonly url: string;
  /** The access token the proof goes with (`ath`); leave out for a token request. */
  readonly accessToken?: string | undefined;
  /** A server nonce (`DPoP-Nonce`). */
  readonly nonce?: string | undefined;
  /** Seconds since the epoch. Default now. */
  readonly iat?: number | undefined;
  /** Default a random UUID. */
  readonly jti?: string | undefined;
  /** Extra or replacing protected-header members (`typ`, `jwk`...). */
  readonly header?: Readonly<Record<string, unknown>> | undefined;
  /** Extra or replacing claims (`ath`, `htu`...). */
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * A DPoP client key pair: makes proofs for your requests and reports the key's RFC 7638
 * thumbprint (the `cnf.jkt` its tokens carry).
 *
 * @example
 * ```ts
 * const client = await createDpopClient();
 * const token = await idp.clientToken('service-a', { dpop: client });
 * const url = 'http://127.0.0.1:3000/api/items';
 * await fetch(url, { headers: await client.headers(token, { method: 'GET', url }) });
 * ```
 */
export interface DpopClient {
  readonly alg: DpopAlgorithm;
  /** The public key, as proofs embed it. */
  readonly jwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of the public key, base64url. */
  readonly thumbprint: string;
  /** A signed proof (`dpop+jwt`). */
  proof(options: DpopProofOptions): Promise<string>;
  /** `Authorization: DPoP <token>` and `DPoP: <proof>` for one request. */
  headers(accessToken: string, options: Omit<DpopProofOptions, 'accessToken'>): Promise<Record<string, string>>;
}

/** base64url(SHA-256(access token)): a proof's `ath`. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}

/**
 * A new DPoP key pair (default ES256) to sign proofs with, in your own API tests.
 *
 * @example
 * ```ts
 * import { createDpopClient } from '@restauth/testing';
 * const client = await createDpopClient({ alg: 'EdDSA' });
 * const proof = await client.proof({ method: 'POST', url: 'https://api.example.com/items', accessToken });
 * ```
 */
export async function createDpopClient(options: { readonly alg?: DpopAlgorithm } = {}): Promise<DpopClient> {
  const alg = options.alg ?? 'ES256';
  // jose is ESM-only: loaded on use, so that the CommonJS build of this package still loads
  // with require() on every Node 20 (as oidc-provider is).
  const { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } = await import('jose');
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const jwk = await exportJWK(publicKey);
  const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
  const client: DpopClient = {
    alg,
    jwk,
    thumbprint,
    proof(o) {
      const htu = o.url.replace(/[?#].*$/s, '');
      const claims: Record<string, unknown> = { htm: o.method, htu, iat: o.iat ?? Math.floor(Date.now() / 1000), jti: o.jti ?? randomUUID() };
      if (o.accessToken !== undefined) claims['ath'] = accessTokenHash(o.accessToken);
      if (o.nonce !== undefined) claims['nonce'] = o.nonce;
      return new SignJWT({ ...claims, ...o.claims })
        .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk, ...o.header })
        .sign(privateKey);
    },
    async headers(accessToken, o) {
      return { authorization: `DPoP ${accessToken}`, dpop: await client.proof({ ...o, accessToken }) };
    },
  };
  return client;
}

/**
 * The RFC 8705 thumbprint of a certificate (base64url SHA-256 of its DER): what the `cnf`
 * `x5t#S256` of a token bound to it holds.
 *
 * @example
 * const x5t = certificateThumbprint(clientCertPem);
 */
export function certificateThumbprint(certificatePem: string): string {
  return createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('base64url');
}
