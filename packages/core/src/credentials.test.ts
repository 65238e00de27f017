import { describe, expect, it } from 'vitest';
import { extractCredential, repeatsAuthorization, type ExtractOptions } from './credentials.js';
import { RestAuthError } from './errors.js';

const opts: ExtractOptions = { apiKeyHeader: 'x-api-key', basic: true, maxLength: 8192 };
const extract = (headers: Record<string, string | string[]>, url = '/x', o = opts) => extractCredential(headers, url, o);
function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as RestAuthError).code + ': ' + (e as RestAuthError).message;
  }
  return 'no error';
}

describe('extractCredential', () => {
  it('finds nothing when nothing is sent', () => expect(extract({})).toBeUndefined());
  it('reads Bearer case-insensitively', () => {
    expect(extract({ authorization: 'Bearer abc.def-_~+/=' })).toEqual({ kind: 'bearer', token: 'abc.def-_~+/=' });
    expect(extract({ authorization: 'bearer abc' })).toEqual({ kind: 'bearer', token: 'abc' });
    expect(extract({ authorization: 'BEARER   abc  ' })).toEqual({ kind: 'bearer', token: 'abc' });
  });
  it('reads Basic and API-key headers', () => {
    expect(extract({ authorization: 'Basic ' + Buffer.from('u:p:w').toString('base64') })).toEqual({ kind: 'basic', username: 'u', password: 'p:w' });
    expect(extract({ 'x-api-key': 'rat_abc' })).toEqual({ kind: 'api-key', token: 'rat_abc' });
  });
  it('400 for malformed headers', () => {
    expect(code(() => extract({ authorization: 'Bearer' }))).toBe('invalid_request: Bearer scheme with no token');
    expect(code(() => extract({ authorization: 'Bearer a b' }))).toBe('invalid_request: Malformed bearer token');
    expect(code(() => extract({ authorization: 'Bearer "x"' }))).toBe('invalid_request: Malformed bearer token');
    expect(code(() => extract({ authorization: '' }))).toBe('invalid_request: Empty Authorization header');
    expect(code(() => extract({ authorization: 'Basic !!!' }))).toBe('invalid_request: Malformed Basic credentials');
    expect(code(() => extract({ authorization: 'Basic ' + Buffer.from('nocolon').toString('base64') }))).toBe('invalid_request: Malformed Basic credentials');
    expect(code(() => extract({ 'x-api-key': 'a b' }))).toBe('invalid_request: Malformed x-api-key header');
  });
  it('400 for oversized credentials', () => {
    expect(code(() => extract({ authorization: 'Bearer ' + 'a'.repeat(9000) }))).toBe('invalid_request: Authorization header too long');
    expect(code(() => extract({ 'x-api-key': 'a'.repeat(9000) }))).toBe('invalid_request: API key too long');
  });
  it('400 for repeated headers', () => {
    expect(code(() => extract({ authorization: ['Bearer a', 'Bearer b'] }))).toBe('invalid_request: More than one Authorization header');
  });
  it('finds a repeated Authorization header in rawHeaders, in any case, and only there', () => {
    expect(repeatsAuthorization(['Authorization', 'Bearer a', 'authorization', 'Bearer b'])).toBe(true);
    expect(repeatsAuthorization(['AUTHORIZATION', 'Bearer a', 'Host', 'x', 'Authorization', ''])).toBe(true);
    expect(repeatsAuthorization(['Authorization', 'Bearer a', 'Host', 'authorization'])).toBe(false); // a value, not a name
    expect(repeatsAuthorization(['Authorizations', 'a', 'Authorization', 'b', 'Proxy-Authorization', 'c'])).toBe(false);
    expect(repeatsAuthorization([])).toBe(false);
  });
  it('400 for a token sent more than one way', () => {
    expect(code(() => extract({ authorization: 'Bearer a' }, '/x?access_token=a'))).toMatch(/^invalid_request: Credentials were sent more than one way/);
    expect(code(() => extract({ authorization: 'Bearer a', 'x-api-key': 'b' }))).toMatch(/more than one way/);
  });
  it('400 for a token in the query alone, saying to use the header', () => {
    expect(code(() => extract({}, '/x?a=1&access_token=abc'))).toMatch(/^invalid_request: .*use the Authorization header/);
  });
  it('401 without an error code for an unsupported scheme', () => {
    expect(code(() => extract({ authorization: 'Digest x=1' }))).toBe('unauthorized: Unsupported authorization scheme; use Bearer');
    expect(code(() => extract({ authorization: 'Basic abc' }, '/x', { ...opts, basic: false }))).toMatch(/^unauthorized/);
  });
  it('ignores the API-key header when API tokens are off', () => {
    expect(extract({ 'x-api-key': 'rat_abc' }, '/x', { ...opts, apiKeyHeader: undefined })).toBeUndefined();
  });
});
