-- Records a delivery to Calltouch: the order exists there now, and it has the state `seq`.
-- KEYS[1]: the order hash. ARGV[1]: the seq that was sent; ARGV[2]: the comment sent (JSON),
-- or '' for none. `applied` never goes down: a slower, older delivery cannot undo a newer one.
redis.call('HSET', KEYS[1], 'created', '1')
local applied = tonumber(redis.call('HGET', KEYS[1], 'applied') or '0')
local sent = tonumber(ARGV[1])
if sent > applied then
  redis.call('HSET', KEYS[1], 'applied', sent)
end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'commentSent', ARGV[2])
end
return 1
