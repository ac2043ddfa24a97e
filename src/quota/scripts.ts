// Lua run atomically by Redis: each script is the one place where a decision and its bookkeeping
// happen together, so processes sharing an instance can never interleave between check and write.
// All times come from the caller's clock (ARGV), never Redis TIME, so tests can move time.

/**
 * KEYS: day, rate, inflight.
 * ARGV: now, windowMs, ratePerWindow, maxInFlight, token, slotExpiresAt, budget, resetAt,
 *       dayTtlSeconds, endpoint, idleTtlMs.
 * Returns {1, used, 0, at} on success, {0, used, 0, at} when the day's budget is spent,
 * {-1, used, waitMs, at} when every in-flight slot is taken, {-2, used, waitMs, at} when the window
 * is full. `at` is the time the decision was made for: the caller's `now`, or the window's newest
 * entry (a call's time, or its answer's: see RELEASE) when that is later. A caller whose clock
 * reading is stale, or whose clock lags another process's, is judged at the window's time, so it can
 * never slip an extra call into a past window.
 */
export const RESERVE = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local budget = tonumber(ARGV[7])
local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if newest[2] and tonumber(newest[2]) > now then now = tonumber(newest[2]) end
local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
if redis.call('HEXISTS', KEYS[1], 'exhausted') == 1 or used >= budget then
  return {0, used, 0, now}
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then
  local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  return {-1, used, tonumber(first[2]) - now, now}
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {-2, used, tonumber(first[2]) + window - now, now}
end
used = redis.call('HINCRBY', KEYS[1], 'used', 1)
redis.call('HINCRBY', KEYS[1], 'ep:' .. ARGV[10], 1)
redis.call('HSET', KEYS[1], 'limit', ARGV[7], 'resetAt', ARGV[8])
redis.call('EXPIRE', KEYS[1], ARGV[9])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[11])
redis.call('ZADD', KEYS[2], now, ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[11])
return {1, used, 0, now}
`;

/**
 * KEYS: day, inflight, rate.
 * ARGV: token, counted ('1'|'0'), endpoint, errorField ('' or 'err:606'…), dayTtlSeconds, now.
 * Frees the slot; gives the unit back when Marketo did not count the call. The call's place in the
 * 20 s window moves to `now`: Marketo counts a call when it arrives, which may be any time before
 * the answer, so the window only lets it go 20 s after the answer (never earlier than it was). The
 * day hash is only touched while it exists, so a release after the key expired cannot resurrect it.
 */
export const RELEASE = `
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], 'XX', 'GT', ARGV[6], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] == '0' then
  if tonumber(redis.call('HGET', KEYS[1], 'used') or '0') > 0 then
    redis.call('HINCRBY', KEYS[1], 'used', -1)
  end
  local ep = 'ep:' .. ARGV[3]
  if tonumber(redis.call('HGET', KEYS[1], ep) or '0') > 0 then
    redis.call('HINCRBY', KEYS[1], ep, -1)
  end
end
if ARGV[4] ~= '' then
  redis.call('HINCRBY', KEYS[1], ARGV[4], 1)
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
`;

/**
 * KEYS: day. ARGV: count, budget, resetAt, dayTtlSeconds.
 * Raises the day's `used` to `count` when it is lower (never lowers it). Returns {before, after}.
 */
export const RAISE_USED = `
local before = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
local after = before
if tonumber(ARGV[1]) > before then
  after = tonumber(ARGV[1])
  redis.call('HSET', KEYS[1], 'used', after)
end
redis.call('HSETNX', KEYS[1], 'limit', ARGV[2])
redis.call('HSETNX', KEYS[1], 'resetAt', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return {before, after}
`;
