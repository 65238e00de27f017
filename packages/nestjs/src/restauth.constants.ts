/**
 * Injection token of the core `RestAuth` instance the module builds (or was given).
 *
 * @example
 * constructor(@Inject(RESTAUTH) private readonly restauth: RestAuth) {}
 */
export const RESTAUTH: unique symbol = Symbol.for('@restauth/nestjs:RESTAUTH');

/** Route metadata keys (strings, so they survive duplicated package copies). */
export const PUBLIC_KEY = 'restauth:public';
export const READ_ONLY_KEY = 'restauth:read-only';
export const GROUPS_KEY = 'restauth:groups';
export const SCOPES_KEY = 'restauth:scopes';
