import { createHash } from 'node:crypto';
import type { ClientIp } from '../client-ip.js';
import type { ResolvedConfig } from '../config/types.js';
import { RestAuthError } from '../errors.js';
import { formatIp, isV4 } from '../ip.js';
import type { Observers, StoreErrorEvent } from '../observe.js';
import type { RateLimitResult, RateLimitStore } from '../rate-limit.js';
import { fail, PASS, type Check, type Outcome } from './check.js';
import type { GateContext } from './context.js';
import { hasAny } from './requirements.js';

const STORE_ERROR: StoreErrorEvent = Object.freeze({ store: 'rateLimit' });
const STORE_DOWN_ALLOW: Outcome = { result: 'skip', detail: 'rate-limit store unavailable; onStoreError is "allow"' };

/**
 * `rateLimit`: one hit per request in the caller's bucket (by token, principal, client or IP;
 * a matching rule's own limit wins, then an API token's own `rateLimit`), `RateLimit-*` headers
 * on every answer, 429 when spent. A store that fails denies with 503, or lets the request pass
 * (`onStoreError: "allow"`). With `tokenLimits` the check is there even when `rateLimit.enabled`
 * is off, for API tokens that carry their own limit (and only for them).
 */
export function createRateLimitCheck(rl: ResolvedConfig['rateLimit'], store: RateLimitStore | undefined, observers?: Observers, tokenLimits = false): Check | undefined {
  if ((!rl.enabled && !tokenLimits) || store === undefined) return undefined;
  const exemptGroups = new Set(rl.exempt.groups);
  const exemptClients = new Set(rl.exempt.clients);
  const keyOf = createKeyFunction(rl);
  return {
    name: 'rateLimit',
    run(ctx) {
      const p = ctx.principal;
      if (p?.tokenRateLimit && !(rl.enabled && ctx.matchedRules.some((r) => r.rateLimit))) return hit(ctx, p.tokenRateLimit, `tok:${p.tokenId}`);
      if (!rl.enabled) return undefined;
      if (p && (hasAny(p.groups, exemptGroups) || (p.clientId !== undefined && exemptClients.has(p.clientId)))) return undefined;
      return hit(ctx);
    },
    describe: (ctx) => `${ctx.headers?.['ratelimit-remaining']} of ${ctx.headers?.['ratelimit-limit']} left`,
  };

  async function hit(ctx: GateContext, own?: { limit: number; windowSec: number; burst?: number }, ownKey?: string): Promise<Outcome> {
    const rule = own ? undefined : ctx.matchedRules.find((r) => r.rateLimit);
    const ruleLimit = own ?? rule?.rateLimit;
    const limit = ruleLimit?.limit ?? rl.limit;
    const windowSec = ruleLimit?.windowSec ?? rl.windowSec;
    const key = ownKey ?? (rule ? `r${rule.index}:` : '') + keyOf(ctx);
    let result: RateLimitResult;
    try {
      result = await (store as RateLimitStore).hit({ key, limit, windowMs: windowSec * 1000, burst: ruleLimit?.burst ?? rl.burst ?? limit });
    } catch (cause) {
      observers?.storeError(STORE_ERROR);
      if (rl.onStoreError === 'allow') return STORE_DOWN_ALLOW;
      return fail(new RestAuthError('temporarily_unavailable', 'Rate limiting is temporarily unavailable', { cause, retryAfterSec: 1 }));
    }
    const headers = {
      'ratelimit-limit': String(result.limit),
      'ratelimit-remaining': String(result.remaining),
      'ratelimit-reset': String(Math.ceil(result.resetMs / 1000)),
      'ratelimit-policy': `${result.limit};w=${windowSec}`,
    };
    // Merged: an earlier check may have set a header of its own (proof: DPoP-Nonce).
    ctx.headers = ctx.headers ? { ...ctx.headers, ...headers } : headers;
    if (!result.allowed) return fail(new RestAuthError('rate_limited', 'Rate limit exceeded', { retryAfterSec: result.retryAfterMs / 1000 }), headers);
    return PASS;
  }
}

/** The bucket of a request, by `rateLimit.by`; callers without a principal are counted by IP. */
function createKeyFunction(rl: ResolvedConfig['rateLimit']): (ctx: GateContext) => string {
  // One IPv6 client usually holds a whole /64 (or more), so IPv6 buckets are per prefix.
  const v6Prefix = rl.ipv6Prefix ?? 64;
  const v6FullBytes = v6Prefix >> 3;
  const v6LastMask = (0xff << (8 - (v6Prefix & 7))) & 0xff;
  const v6Scratch = new Uint8Array(16);

  function ipKey(ip: ClientIp): string {
    const b = ip.bytes;
    if (!b || ip.text === undefined) return 'ip:unknown';
    // IPv4 and IPv4-mapped IPv6 are the same 16 bytes and the same dotted text: one bucket.
    if (v6Prefix >= 128 || isV4(b)) return 'ip:' + ip.text;
    v6Scratch.fill(0);
    v6Scratch.set(b.subarray(0, v6FullBytes));
    if (v6LastMask) v6Scratch[v6FullBytes] = (b[v6FullBytes] as number) & v6LastMask;
    return `ip:${formatIp(v6Scratch)}/${v6Prefix}`;
  }

  return function keyOf(ctx) {
    const { principal, credential } = ctx;
    const by = rl.by;
    if (principal) {
      if (by === 'token' && credential && credential.kind !== 'basic') {
        return 't:' + createHash('sha256').update(credential.token).digest('base64url').slice(0, 32);
      }
      if (by === 'client' && principal.clientId) return 'c:' + principal.clientId;
      if (by !== 'ip') return `p:${principal.provider}:${principal.subject || principal.username}`;
    }
    return ipKey(ctx.ip);
  };
}
