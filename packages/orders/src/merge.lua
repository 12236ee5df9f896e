-- Merges deal states into their order hashes, all in one atomic step for a whole webhook body.
-- KEYS: one order hash per deal (a key may repeat: later deals merge over earlier ones).
-- ARGV[1]: TTL of an order hash in seconds (0 = none); then per deal:
--   statusDateIfFirst, statusDateIfStatusChanges, n, then n pairs of field, JSON value.
-- Values are compared as opaque strings (no JSON in Lua). `seq` rises only on a real change,
-- so a CRM retry of the same state leaves everything, its seq included, as it was.
-- Returns the resulting seq of each deal.
local ttl = tonumber(ARGV[1])
local pos = 2
local result = {}
for i, key in ipairs(KEYS) do
  local ifFirst = ARGV[pos]
  local ifStatusChanges = ARGV[pos + 1]
  local n = tonumber(ARGV[pos + 2])
  pos = pos + 3
  local seq = tonumber(redis.call('HGET', key, 'seq') or '0')
  local changed = false
  local statusChanged = false
  for j = 1, n do
    local field = ARGV[pos]
    local value = ARGV[pos + 1]
    pos = pos + 2
    if redis.call('HGET', key, field) ~= value then
      redis.call('HSET', key, field, value)
      changed = true
      if field == 'status' then statusChanged = true end
    end
  end
  local statusDate = ''
  if seq == 0 then
    statusDate = ifFirst
  elseif statusChanged then
    statusDate = ifStatusChanges
  end
  if statusDate ~= '' and redis.call('HGET', key, 'statusDate') ~= statusDate then
    redis.call('HSET', key, 'statusDate', statusDate)
    changed = true
  end
  if changed then
    seq = redis.call('HINCRBY', key, 'seq', 1)
  end
  if ttl > 0 then
    redis.call('EXPIRE', key, ttl)
  end
  result[i] = seq
end
return result
