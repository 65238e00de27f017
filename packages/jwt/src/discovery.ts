import { isJsonObject } from './compact-jws.js';
import { fetchJson } from './fetch-json.js';

/** `<issuer>/.well-known/openid-configuration`, per OpenID Connect Discovery 1.0 §4. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/**
 * Reads the issuer's discovery document and returns its `jwks_uri`. The document must name
 * exactly the configured issuer (a mismatch means a misrouted or spoofed document), and the
 * `jwks_uri` must be an http(s) URL.
 */
export async function discoverJwksUri(fetchFn: typeof fetch, issuer: string, timeoutMs: number): Promise<string> {
  const doc = await fetchJson(fetchFn, discoveryUrl(issuer), timeoutMs);
  if (!isJsonObject(doc)) throw new Error('discovery document is not a JSON object');
  if (doc['issuer'] !== issuer) throw new Error('discovery document names another issuer');
  const uri = doc['jwks_uri'];
  if (typeof uri !== 'string') throw new Error('discovery document has no jwks_uri');
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw new Error('discovery document has an invalid jwks_uri');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('discovery document has a non-http jwks_uri');
  return parsed.href;
}
