/** Keys whose values are secrets wherever they appear in a config. */
const SECRET_KEYS = new Set(['secret', 'clientSecret', 'privateKey', 'nonceSecret', 'sessionSecret', 'password', 'token', 'apiKey']);
const REDACTED = '[redacted]';

/** A string with URL credentials and PEM private keys masked. */
function redactString(s: string): string {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(s)) return REDACTED;
  return s.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, `$1${REDACTED}@`);
}

/**
 * A deep copy of a config for display: values of secret keys (`clientSecret`, `secret`,
 * `privateKey`, ...) replaced, URL credentials (`redis://:pw@host`) and private keys masked.
 *
 * @example
 * redactConfig({ url: 'redis://:pw@cache:6379', clientSecret: 's' }) // { url: 'redis://[redacted]@cache:6379', clientSecret: '[redacted]' }
 */
export function redactConfig(value: unknown, key?: string): unknown {
  if (key !== undefined && SECRET_KEYS.has(key) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redactConfig(v));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  }
  return value;
}
