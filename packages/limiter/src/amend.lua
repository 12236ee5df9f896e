-- Corrects a departure that left later than it was recorded (the process stalled between the
-- grant and the bytes leaving): the departures after it then keep their distance from the
-- real time, not from the grant.
-- KEYS[1]  the departure list of depart.lua
-- KEYS[2]  limiter hash (counter `late`)
-- ARGV[1]  the time depart.lua recorded (ms)
-- ARGV[2]  the later time: an upper bound of when the bytes left (ms, Redis clock)
-- ARGV[3]  limit (requests per window)
-- Returns 1 when an entry was raised, 0 when it had already been trimmed and was added again.
local index = redis.call('LPOS', KEYS[1], ARGV[1])
local found = 1
if index then
  redis.call('LSET', KEYS[1], index, ARGV[2])
else
  -- Trimmed away by 2 × limit newer departures: it still happened, and no later than ARGV[2].
  redis.call('LPUSH', KEYS[1], ARGV[2])
  redis.call('LTRIM', KEYS[1], 0, 2 * tonumber(ARGV[3]) - 1)
  found = 0
end
redis.call('PEXPIRE', KEYS[1], 86400000)
redis.call('HINCRBY', KEYS[2], 'late', 1)
redis.call('PEXPIRE', KEYS[2], 86400000)
return found
