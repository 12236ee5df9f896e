-- Prepended to every limiter script by limiter.ts (Lua scripts have no includes).

-- Redis' clock, ms: every process on every host shares it.
local function redis_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The extra span a 429 added for the whole egress (hash fields widenMs, set at widenAt), halved
-- every `half_life` ms since, so the spacing narrows back by itself over tens of seconds.
local function current_widen(hash, now, half_life)
  local state = redis.call('HMGET', hash, 'widenMs', 'widenAt')
  local widen = tonumber(state[1] or '0') or 0
  if widen <= 0 then return 0 end
  local age = now - (tonumber(state[2] or '0') or 0)
  if age > 0 and half_life > 0 then widen = widen * math.pow(0.5, age / half_life) end
  if widen < 0.5 then return 0 end
  return widen
end
