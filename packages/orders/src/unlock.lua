-- Compare-and-delete (ARGV[2] = 'del') or compare-and-extend (ARGV[2] = ms) of an order lock:
-- only the holder's token may release or renew it.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == 'del' then
  return redis.call('DEL', KEYS[1])
end
return redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
