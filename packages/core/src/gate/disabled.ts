import { ALLOW, type Check } from './check.js';

/** `enabled: false`: the only check, and it lets every request through untouched. */
export function createDisabledCheck(): Check {
  return { name: 'disabled', run: () => ALLOW, describe: () => 'restauth is disabled: every request passes' };
}
