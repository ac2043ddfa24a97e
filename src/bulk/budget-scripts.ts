// Lua run atomically by Redis: the export budget's decisions and their bookkeeping happen in one
// step, so workers sharing an instance can never both take the last MB or the last job slot.
// Times come from the caller's clock (ARGV), never Redis TIME, so tests can move time.

/**
 * KEYS: day (hash), jobs (hash jobKey → "<estimateBytes>:<expiresAtMs>").
 * ARGV: now, limitBytes, reserveBytes, maxJobs, jobKey, estimateBytes, expiresAt, resetAt,
 *       dayTtlSeconds, jobsTtlMs.
 * Claims a job slot for `jobKey` when the day's used bytes, the estimates of the jobs in flight and
 * this job's estimate fit under limit − reserve, and fewer than maxJobs are in flight. A key that
 * already holds a slot renews it (a restarted worker resuming its job). Claims past their expiry
 * (a worker that died) are dropped first.
 * Returns {1, used, jobs} when granted, {0, used, jobs} when the budget is spent (or Marketo said
 * so: `exhausted`), {-1, used, jobs} when every slot is taken.
 */
export const CLAIM = `
local now = tonumber(ARGV[1])
local claims = redis.call('HGETALL', KEYS[2])
local count, pending, mine = 0, 0, false
for i = 1, #claims, 2 do
  local est, exp = string.match(claims[i + 1], '^(%d+):(%d+)$')
  if exp == nil or tonumber(exp) <= now then
    redis.call('HDEL', KEYS[2], claims[i])
  elseif claims[i] == ARGV[5] then
    mine = true
  else
    count = count + 1
    pending = pending + tonumber(est)
  end
end
local used = tonumber(redis.call('HGET', KEYS[1], 'usedBytes') or '0')
if mine then
  redis.call('HSET', KEYS[2], ARGV[5], ARGV[6] .. ':' .. ARGV[7])
  redis.call('PEXPIRE', KEYS[2], ARGV[10])
  return {1, used, count + 1}
end
local room = tonumber(ARGV[2]) - tonumber(ARGV[3])
if redis.call('HEXISTS', KEYS[1], 'exhausted') == 1 or used + pending + tonumber(ARGV[6]) >= room then
  return {0, used, count}
end
if count >= tonumber(ARGV[4]) then
  return {-1, used, count}
end
redis.call('HSET', KEYS[2], ARGV[5], ARGV[6] .. ':' .. ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[10])
redis.call('HSET', KEYS[1], 'limitBytes', ARGV[2], 'reserveBytes', ARGV[3], 'resetAt', ARGV[8])
redis.call('HSETNX', KEYS[1], 'usedBytes', 0)
redis.call('EXPIRE', KEYS[1], ARGV[9])
return {1, used, count + 1}
`;

/**
 * KEYS: day (hash), jobs (hash).
 * ARGV: jobKey, exportId ('' to only free the slot), fileSize, limitBytes, reserveBytes, resetAt,
 *       dayTtlSeconds.
 * Frees the slot of `jobKey`; adds a completed export's fileSize to the day once per exportId (a
 * worker that completes the same job twice, e.g. after a restart, does not count it twice).
 * Returns the day's used bytes.
 */
export const SETTLE = `
redis.call('HDEL', KEYS[2], ARGV[1])
if ARGV[2] == '' then
  return tonumber(redis.call('HGET', KEYS[1], 'usedBytes') or '0')
end
if redis.call('HSETNX', KEYS[1], 'job:' .. ARGV[2], ARGV[3]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'usedBytes', ARGV[3])
end
redis.call('HSET', KEYS[1], 'limitBytes', ARGV[4], 'reserveBytes', ARGV[5], 'resetAt', ARGV[6])
redis.call('EXPIRE', KEYS[1], ARGV[7])
return tonumber(redis.call('HGET', KEYS[1], 'usedBytes'))
`;
