import type { Credential } from '../credentials.js';
import { fixedRefusal, isRestAuthError, RestAuthError } from '../errors.js';
import type { Observers } from '../observe.js';
import type { Strategy } from '../strategy.js';
import { PASS, type Check, type Outcome } from './check.js';
import type { GateContext } from './context.js';

const NOT_ACCEPTED = fixedRefusal('invalid_token', 'Token not accepted by any configured provider');
const BAD_BASIC = fixedRefusal('invalid_token', 'Invalid username or password');

/** Any error while verifying as a refusal: a RestAuthError as it is, anything else an invalid token (fail closed, never a 500). */
export function toRestAuthError(err: unknown): RestAuthError {
  if (isRestAuthError(err) && err.code !== 'config_error') return err;
  return new RestAuthError('invalid_token', 'Token could not be verified', { cause: err });
}

/**
 * Asks the strategies in order (API tokens first, then the providers, then custom ones) until
 * one accepts the credential and returns a principal.
 */
export function createVerifyCheck(strategies: readonly Strategy[], observers?: Observers): Check {
  return {
    name: 'verify',
    run(ctx) {
      const credential = ctx.credential;
      return credential === undefined ? undefined : verify(credential, ctx);
    },
    describe: (ctx) => `verified by ${ctx.principal?.provider} as ${ctx.principal?.username}`,
  };

  async function verify(credential: Credential, ctx: GateContext): Promise<Outcome> {
    // A provider that cannot be reached must not lock out the callers of the others: its 503
    // is kept while later strategies are asked, and wins only when none accepts the credential.
    let unavailable: RestAuthError | undefined;
    for (const s of strategies) {
      try {
        const principal = await s.verify(credential, { request: ctx.request, observers });
        if (principal) {
          ctx.principal = principal;
          return PASS;
        }
      } catch (err) {
        const e = toRestAuthError(err);
        if (e.code !== 'temporarily_unavailable') throw e;
        unavailable ??= e;
      }
    }
    throw unavailable ?? (credential.kind === 'basic' ? BAD_BASIC : NOT_ACCEPTED);
  }
}
