-- Reserves the next departure slot of the shared Calltouch limiter (one per egress IP).
-- KEYS[1]  limiter hash: next (ms, the earliest free slot), pausedUntil (ms, fleet-wide pause),
--          widenMs/widenAt (the spacing a 429 added, see penalize.lua)
-- ARGV[1]  interval between two departures, ms (window + margin, divided by the limit)
-- ARGV[2]  how far ahead a slot may be reserved, ms
-- ARGV[3]  limit (requests per window)
-- ARGV[4]  half-life of a widening, ms
-- Returns {slot_ms, wait_ms} when a slot is reserved, or {-1, wait_ms} when the caller must ask
-- again later (the queue of reserved slots is already longer than ARGV[2]).
local now = redis_now()
local ahead = tonumber(ARGV[2])
-- A widening of W ms spreads over the `limit` departures of a window: each slot W / limit later.
local widen = current_widen(KEYS[1], now, tonumber(ARGV[4]))
local interval = tonumber(ARGV[1]) + math.ceil(widen / tonumber(ARGV[3]))
local state = redis.call('HMGET', KEYS[1], 'next', 'pausedUntil')
local nextSlot = tonumber(state[1] or '0') or 0
local paused = tonumber(state[2] or '0') or 0
local slot = math.max(now, nextSlot, paused)
if slot - now > ahead then
  return {-1, slot - now - ahead}
end
redis.call('HSET', KEYS[1], 'next', slot + interval)
redis.call('HINCRBY', KEYS[1], 'granted', 1)
redis.call('PEXPIRE', KEYS[1], 86400000)
return {slot, slot - now}
