import { extractCredential, repeatsAuthorization, type Credential, type ExtractOptions } from '../credentials.js';
import { fixedRefusal, RestAuthError } from '../errors.js';
import type { RequestLike } from '../request.js';
import { fail, PASS, SKIP, type Check } from './check.js';

const MAX_REMEMBERED_HEADERS = 1024;
const MAX_REMEMBERED_HEADER = 4096;
const AUTH_REQUIRED = fail(fixedRefusal('unauthorized', 'Authentication required'));

/**
 * Reads the credential (Bearer, Basic or the API-key header). None: 401, unless the route lets
 * anonymous callers pass. Malformed, or sent more than one way: 400 (thrown by the extractor).
 */
export function createCredentialsCheck(options: ExtractOptions): Check {
  const credentialOf = createCredentialReader(options);
  return {
    name: 'credentials',
    run(ctx) {
      const credential = credentialOf(ctx.request);
      if (credential === undefined) return ctx.anonymousOk ? SKIP : AUTH_REQUIRED;
      ctx.credential = credential;
      return PASS;
    },
    describe: (ctx) => (ctx.credential ? `${ctx.credential.kind} credential present` : 'no credentials; anonymous access to a public route'),
  };
}

/**
 * Checking a bearer header is a regex over the whole token, and API clients send the same
 * header on every request: the parsed credential is remembered per header (bounded, bearer
 * only). Same result, once. The key is the header's last 32 characters (hashing a whole 1 KB
 * header would cost more than the regex); a hit also needs the whole header to be equal, a
 * comparison only reached by a header whose unguessable tail already matches.
 */
function createCredentialReader(options: ExtractOptions): (request: RequestLike) => Credential | undefined {
  const parsedBearers = new Map<string, { readonly header: string; readonly credential: Credential }>();
  return function credentialOf(request) {
    if (request.rawHeaders !== undefined && repeatsAuthorization(request.rawHeaders)) {
      throw new RestAuthError('invalid_request', 'More than one Authorization header');
    }
    const h = request.headers;
    const auth = h['authorization'];
    if (typeof auth !== 'string' || auth.length < 64 || auth.length > MAX_REMEMBERED_HEADER
      || (options.apiKeyHeader !== undefined && h[options.apiKeyHeader] !== undefined)
      || request.url.includes('access_token=')) {
      return extractCredential(h, request.url, options);
    }
    const key = auth.slice(-32);
    const hit = parsedBearers.get(key);
    if (hit !== undefined && hit.header === auth) return hit.credential;
    const credential = extractCredential(h, request.url, options);
    if (credential?.kind === 'bearer') {
      if (parsedBearers.size >= MAX_REMEMBERED_HEADERS) parsedBearers.delete(parsedBearers.keys().next().value as string);
      parsedBearers.set(key, { header: auth, credential: Object.freeze(credential) });
    }
    return credential;
  };
}
