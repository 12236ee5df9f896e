-- A 429 slows the whole fleet: no slot is granted before now + ARGV[1] ms.
-- KEYS[1] limiter hash. Returns the pause end (ms, Redis clock).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil') or '0') or 0
if untilMs > current then
  redis.call('HSET', KEYS[1], 'pausedUntil', untilMs)
  current = untilMs
end
redis.call('HINCRBY', KEYS[1], 'penalties', 1)
redis.call('PEXPIRE', KEYS[1], 86400000)
return current
