/**
 * The exit codes of every `restauth` command: one scheme, as in docs/cli.md.
 *
 * - `0` (`ok`, `allow`): success. `test-token`: the request is allowed (also `would-deny` in
 *   report-only mode); `inspect`: the token was decoded or an endpoint accepted it; `config
 *   check`: the config is valid; `tokens`, `audit`: done.
 * - `1` (`problem`, `deny`, `failure`): the command ran and the answer is no, or the work failed.
 *   `test-token`: the request is denied; `inspect`: no endpoint accepted the token; `config
 *   check --strict`: the config is valid but has warnings; `tokens`: an unknown token id, a
 *   creation the token policy refuses; any command: a store, endpoint or audit trail that failed
 *   or is not there.
 * - `2` (`usage`): the command could not run as asked: wrong arguments, or invalid input: an
 *   unreadable or invalid config file (for every command, `config check` included: an app would
 *   not start with it), a setup the command cannot use (API tokens in `memory`, a `stdout` audit
 *   sink, a store plugin that is not installed).
 *
 * @example
 * import { EXIT_CODES, run } from '@restauth/cli';
 * if ((await run(['test-token', token])) === EXIT_CODES.deny) console.log('denied');
 */
export const EXIT_CODES = Object.freeze({ ok: 0, allow: 0, problem: 1, deny: 1, failure: 1, usage: 2 } as const);
