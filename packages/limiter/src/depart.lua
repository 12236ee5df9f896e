-- Records a departure if the strict sliding window allows it now.
-- KEYS[1]  list of recent departure times (ms, Redis clock), newest insertion first; 2 × limit
--          are kept because amend.lua may later raise an entry above newer ones
-- KEYS[2]  limiter hash (pausedUntil, widenMs/widenAt, counters)
-- KEYS[3]  optional: a hash where the ids in ARGV[7..] are marked in flight (id -> time)
-- ARGV[1]  limit (requests per window)
-- ARGV[2]  window + margin, ms
-- ARGV[3]  extra transit time to assume for this departure, ms (a cold connection)
-- ARGV[4]  half-life of a widening, ms
-- ARGV[5]  1 when this asks again after a grant that went stale (counted as `stale`)
-- ARGV[6]  how far ahead a departure may be booked, ms
-- Returns {wait_ms, 0} when the caller must ask again after wait_ms, or {wait_ms, now, recorded}
-- when the departure is recorded: at once (wait_ms 0) or booked for now + wait_ms, when the
-- window allows it; the caller then sleeps wait_ms and sends without asking again (now: Redis
-- time of the grant; recorded: the time logged for the departure).
-- Checking actual departures (not only reserved slots) keeps the window exact when a process
-- wakes late: a late departure pushes the ones after it instead of crowding them. Booking the
-- moment the window opens, rather than asking again then, spares the departure a round trip
-- and a wake-up on a busy host, both of which would delay it and every fifth one after it.
-- Marking the request's items in the same script costs no extra round-trip between check and
-- send.
local now = redis_now()
local limit = tonumber(ARGV[1])
local span = tonumber(ARGV[2]) + current_widen(KEYS[2], now, tonumber(ARGV[4]))
local paused = tonumber(redis.call('HGET', KEYS[2], 'pausedUntil') or '0') or 0
if paused > now then return {paused - now, 0} end
-- The new departure must be at least `span` after the limit-th latest one logged. Entries are
-- sorted by time, not taken in insertion order: an amended entry can be later than newer ones.
-- Booked departures (later than now) are in the log too, so a booking pushes the next ones.
local logged = redis.call('LRANGE', KEYS[1], 0, -1)
local at = now
if #logged >= limit then
  local times = {}
  for i, v in ipairs(logged) do times[i] = tonumber(v) end
  table.sort(times, function(a, b) return a > b end)
  at = math.max(now, math.ceil(times[limit] + span))
  if at - now > tonumber(ARGV[6]) then return {at - now, 0} end
end
-- A request on a cold connection (handshake, first use) arrives later than its departure:
-- record when it is likely to arrive, so that the next ones keep their distance from that.
local recorded = at + tonumber(ARGV[3])
redis.call('LPUSH', KEYS[1], recorded)
redis.call('LTRIM', KEYS[1], 0, 2 * limit - 1)
redis.call('PEXPIRE', KEYS[1], 86400000)
if ARGV[5] == '1' then
  redis.call('HINCRBY', KEYS[2], 'stale', 1)
  redis.call('PEXPIRE', KEYS[2], 86400000)
end
if KEYS[3] and #ARGV > 6 then
  for i = 7, #ARGV do
    redis.call('HSET', KEYS[3], ARGV[i], now)
  end
end
return {at - now, now, recorded}
