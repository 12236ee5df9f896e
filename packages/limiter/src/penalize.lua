-- A 429 arrived: slow the whole egress down.
-- KEYS[1]  limiter hash
-- ARGV[1]  Retry-After, ms (0 when the answer had none)
-- ARGV[2]  the window, ms
-- ARGV[3]  window + margin, ms
-- ARGV[4]  widening step, ms
-- ARGV[5]  largest widening, ms
-- ARGV[6]  half-life of a widening, ms
-- Returns {pause_ms, widen_ms}: the fleet-wide pause imposed (0 for none) and the widening now.
--
-- A strict window's 429 says the request was the (limit + 1)-th within one window: the spacing
-- was too thin for the jitter between us and Calltouch. So the span between departures widens
-- by one step for every process of the egress (depart.lua, sliding-window.lua), and decays by
-- half every half-life. No pause is needed for that: the rejected request counted, it is in the
-- departure log, and the wider span already makes the next departures wait as long as the
-- window needs. Retry-After (whole seconds) is honoured as a pause when it asks for more than
-- the window (a storm, a ban), or when 429s come back within one span of each other (something
-- the window does not explain, such as another client on the same IP). One widening per span:
-- the 429s of one burst do not stack.
local now = redis_now()
local retryAfter = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local span = tonumber(ARGV[3])
local widen = current_widen(KEYS[1], now, tonumber(ARGV[6]))
local last = tonumber(redis.call('HGET', KEYS[1], 'penaltyAt') or '0') or 0
local repeated = now - last < span
if not repeated then
  widen = math.min(tonumber(ARGV[5]), widen + tonumber(ARGV[4]))
  redis.call('HSET', KEYS[1], 'widenMs', widen, 'widenAt', now)
end
redis.call('HSET', KEYS[1], 'penaltyAt', now)
redis.call('HINCRBY', KEYS[1], 'penalties', 1)
local pause = 0
if retryAfter > windowMs then
  pause = retryAfter
elseif repeated then
  pause = math.max(retryAfter, windowMs)
end
if pause > 0 then
  local current = tonumber(redis.call('HGET', KEYS[1], 'pausedUntil') or '0') or 0
  if now + pause > current then redis.call('HSET', KEYS[1], 'pausedUntil', now + pause) end
end
redis.call('PEXPIRE', KEYS[1], 86400000)
return {pause, math.floor(widen)}
