import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The restauth gate of a variant: one JWT provider (the local IdP's JWKS, RS256), and for the
 * API-token variant the memory token store with one token made for alice. Rate limiting and
 * audit stay at their defaults (off), as the peers have neither, except in the two variants that
 * show what each costs: rate limiting with the memory store (a limit no run reaches) and audit
 * to a file sink in a temporary folder.
 */
export async function restauthFor(variant, idp) {
  const { createRestAuth } = await import('@restauth/core');
  const { jwtPlugin } = await import('@restauth/jwt');
  const config = {
    realm: 'bench',
    providers: [{ name: 'idp', type: 'jwt', issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri, algorithms: ['RS256'] }],
    ...(variant.credential === 'api-token' ? { apiTokens: { enabled: true, store: { type: 'memory' } } } : {}),
    ...(variant.rateLimit ? { rateLimit: { enabled: true, limit: 1_000_000_000, windowSec: 60, store: { type: 'memory' } } } : {}),
    ...(variant.audit ? { audit: { enabled: true, sink: { type: 'file', path: join(mkdtempSync(join(tmpdir(), 'restauth-bench-')), 'audit.log') } } } : {}),
  };
  const instance = createRestAuth(config, { plugins: [jwtPlugin(variant.cache === false ? { verifiedCacheSize: 0 } : {})] });
  let apiToken;
  if (variant.credential === 'api-token') {
    const d = await instance.authenticate({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${idp.token}` }, remoteAddress: '127.0.0.1' });
    if (!d.allowed || !d.principal) throw new Error(`cannot authenticate alice to create an API token: ${d.body}`);
    apiToken = (await instance.tokens.create(d.principal, { name: 'bench', scopes: ['items:read'] })).token;
  }
  return { instance, apiToken };
}

/** The username an app reports on GET /api/me, whichever library put the caller on the request. */
export function usernameOf(v) {
  if (!v) return null;
  return v.username ?? v.preferred_username ?? v.payload?.preferred_username ?? null;
}
