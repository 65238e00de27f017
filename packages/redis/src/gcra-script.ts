import { createHash } from 'node:crypto';

/**
 * Core's `gcra()` in Lua, step for step (same doubles, same order of operations, so the same
 * answers), run atomically inside Redis: one round trip per request.
 *
 * KEYS[1]: the bucket. ARGV: limit, windowMs, burst, cost, now in ms ('' = Redis `TIME`, so
 * the app servers' clocks never matter). The bucket holds the theoretical arrival time in ms
 * (`%.17g` round-trips a double exactly) and expires when the bucket would be full again, so
 * an idle key vanishes. Returns {allowed 0|1, remaining, resetMs, retryAfterMs}.
 */
export const GCRA_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local limit = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local now
if ARGV[5] ~= '' then
  now = tonumber(ARGV[5])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local interval = math.max(1, math.floor(windowMs / limit * 1024 + 0.5)) / 1024
local tolerance = interval * burst
local tat = tonumber(redis.call('GET', KEYS[1]))
local base = now
if tat ~= nil and tat > now then base = tat end
local newTat = base + interval * cost
local allowAt = newTat - tolerance
if now < allowAt then
  return {0, 0, math.ceil(base - now), math.ceil(allowAt - now)}
end
redis.call('SET', KEYS[1], string.format('%.17g', newTat), 'PX', math.max(1, math.ceil(newTat - now)))
return {1, math.floor((now - allowAt) / interval), math.ceil(newTat - now), 0}
`;

/** SHA-1 of {@link GCRA_SCRIPT}, for EVALSHA. */
export const GCRA_SCRIPT_SHA = createHash('sha1').update(GCRA_SCRIPT).digest('hex');
