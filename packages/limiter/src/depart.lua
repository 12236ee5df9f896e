-- Records a departure if the strict sliding window allows it now.
-- KEYS[1]  list of the last ARGV[1] departure times (ms, newest first)
-- KEYS[2]  optional: a hash where the ids in ARGV[4..] are marked in flight (id -> time)
-- ARGV[1]  limit (requests per window)
-- ARGV[2]  window + margin, ms
-- ARGV[3]  extra transit time to assume for this departure, ms (a cold connection)
-- Returns minus the departure time (ms) when it is recorded, or the ms to wait before asking again. Checking
-- actual departures (not only reserved slots) keeps the window exact when a process wakes
-- late: a late departure pushes the ones after it instead of crowding them. Marking the
-- request's items in the same script costs no extra round-trip between check and send.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
local oldest = redis.call('LINDEX', KEYS[1], limit - 1)
if oldest then
  local wait = tonumber(oldest) + span - now
  if wait > 0 then return wait end
end
-- A request on a cold connection (handshake, first use) arrives later than its departure:
-- record when it is likely to arrive, so that the next ones keep their distance from that.
redis.call('LPUSH', KEYS[1], now + tonumber(ARGV[3]))
redis.call('LTRIM', KEYS[1], 0, limit - 1)
redis.call('PEXPIRE', KEYS[1], 86400000)
if KEYS[2] and #ARGV > 3 then
  for i = 4, #ARGV do
    redis.call('HSET', KEYS[2], ARGV[i], now)
  end
end
return -now
