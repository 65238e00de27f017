/**
 * The exit codes of every `restauth` command.
 *
 * - `0` success; for `test-token`, the request is allowed
 * - `1` the answer is "no": the request is denied, the config has problems, the token was not
 *   accepted, the token id is unknown, a store or endpoint failed
 * - `2` the command could not run as asked: wrong arguments, an unreadable or invalid config
 *   (for every command but `config check`, whose verdict that is), an unsupported setup
 *
 * @example
 * import { EXIT_CODES } from '@restauth/cli';
 * if ((await run(['test-token', token])) === EXIT_CODES.deny) console.log('denied');
 */
export const EXIT_CODES = Object.freeze({ ok: 0, allow: 0, deny: 1, failure: 1, usage: 2 } as const);
