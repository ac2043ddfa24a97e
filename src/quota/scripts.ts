// Lua run atomically by Redis: each script is the one place where a decision and its bookkeeping
// happen together, so processes sharing an instance can never interleave between check and write.
// All times come from the caller's clock (ARGV), never Redis TIME, so tests can move time.

/**
 * KEYS: day, rate, inflight.
 * ARGV: now, windowMs, ratePerWindow, maxInFlight, token, slotExpiresAt, budget, resetAt,
 *       dayTtlSeconds, endpoint, idleTtlMs, passesMark ('1' for a call that may pass a 607 mark and
 *       an unsynced day: the usage read that settles both), probeHoldMs, needsSync ('1' when the day's
 *       count must come from Marketo before any other call).
 * Returns {state, used, waitMs, at}: 1 granted; 0 the day's budget is spent (waitMs: until the
 * reset); -1 every in-flight slot is taken; -2 the window is full (waitMs 0: its oldest call is
 * still in flight, so poll); -3 a 607 paused the day until waitMs from now; -4 the day's count must
 * be read from Marketo first (this caller claimed that read); -5 another caller is reading it (poll).
 * `at` is the time the decision was made for: the caller's `now`, or the window's newest entry (a
 * call's time, or its answer's: see RELEASE) when that is later. A caller whose clock reading is
 * stale, or whose clock lags another process's, is judged at the window's time, so it can never
 * slip an extra call into a past window.
 * A window entry stays while its call is in flight (it may reach Marketo any time before its
 * answer), and for 20 s after RELEASE moved it to the answer's time.
 */
export const RESERVE = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local budget = tonumber(ARGV[7])
local passes = ARGV[12] == '1'
local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if newest[2] and tonumber(newest[2]) > now then now = tonumber(newest[2]) end
local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
if used >= budget then
  return {0, used, tonumber(ARGV[8]) - now, now}
end
local marked = redis.call('HEXISTS', KEYS[1], 'exhausted') == 1
if marked and not passes then
  local pausedUntil = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil') or '0')
  if now < pausedUntil then return {-3, used, pausedUntil - now, now} end
end
if ARGV[14] == '1' and not passes and redis.call('HEXISTS', KEYS[1], 'syncedAt') == 0 then
  local claim = tonumber(redis.call('HGET', KEYS[1], 'syncClaim') or '0')
  if claim > now then return {-5, used, claim - now, now} end
  redis.call('HSET', KEYS[1], 'syncClaim', now + tonumber(ARGV[13]))
  redis.call('EXPIRE', KEYS[1], ARGV[9])
  return {-4, used, 0, now}
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then
  local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  return {-1, used, tonumber(first[2]) - now, now}
end
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - window)) do
  if not redis.call('ZSCORE', KEYS[3], member) then redis.call('ZREM', KEYS[2], member) end
end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {-2, used, math.max(tonumber(first[2]) + window - now, 0), now}
end
if marked and not passes then
  -- This call probes whether Marketo took the quota back; the others wait for its answer.
  redis.call('HSET', KEYS[1], 'pausedUntil', now + tonumber(ARGV[13]))
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
 * ARGV: token, counted ('1'|'0'), endpoint, errorField ('' or 'err:606'…), dayTtlSeconds, now,
 *       grantedAt, clearsMark ('1' when a counted answer proves Marketo takes calls again).
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
if ARGV[2] == '1' and ARGV[8] == '1' then
  -- A call granted after the 607 mark went through: Marketo has reset (or was never out).
  local markedAt = tonumber(redis.call('HGET', KEYS[1], 'exhaustedAt') or '-1')
  if markedAt >= 0 and tonumber(ARGV[7]) >= markedAt then
    redis.call('HDEL', KEYS[1], 'exhausted', 'exhaustedAt', 'pausedUntil')
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
`;

/**
 * KEYS: day. ARGV: count, budget, resetAt, dayTtlSeconds, now.
 * Raises the day's `used` to `count` when it is lower (never lowers it) and records when the day's
 * count was last taken from Marketo (`syncedAt`). Returns {before, after}.
 */
export const RAISE_USED = `
local before = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
local after = before
if tonumber(ARGV[1]) > before then
  after = tonumber(ARGV[1])
  redis.call('HSET', KEYS[1], 'used', after)
end
redis.call('HSET', KEYS[1], 'syncedAt', ARGV[5])
redis.call('HDEL', KEYS[1], 'syncClaim')
redis.call('HSETNX', KEYS[1], 'limit', ARGV[2])
redis.call('HSETNX', KEYS[1], 'resetAt', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return {before, after}
`;
