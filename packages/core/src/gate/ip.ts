import { fixedRefusal } from '../errors.js';
import { anyCidrContains, type Cidr } from '../ip.js';
import { fail, PASS, type Check } from './check.js';

const IP_NOT_ALLOWED = fail(fixedRefusal('forbidden', 'Client IP address is not allowed'));

/** `policy.ipAllow`: the client IP (through trusted proxies) must be in one of the ranges; 403 before any token is read. */
export function createIpCheck(ipAllow: readonly Cidr[], reportOnly: boolean): Check | undefined {
  if (!ipAllow.length) return undefined;
  return {
    name: 'ip',
    policy: { reportOnly },
    run(ctx) {
      const bytes = ctx.ip.bytes;
      return bytes && anyCidrContains(ipAllow, bytes) ? PASS : IP_NOT_ALLOWED;
    },
    describe: (ctx) => `client IP ${ctx.ip.text} is allowed`,
  };
}
