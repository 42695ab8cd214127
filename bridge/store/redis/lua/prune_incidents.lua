-- KEYS: schema, incidents, incidents:start, incidents:by-start, incidents:unsettled,
-- incidents:settled (see migration_6.lua). ARGV: version, then incident ids. Each record leaves
-- the hash and every index. Returns how many were stored.
local n = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local member = redis.call('HGET', KEYS[3], id)
  if member then redis.call('ZREM', KEYS[4], member) end
  redis.call('HDEL', KEYS[3], id)
  redis.call('SREM', KEYS[5], id)
  redis.call('ZREM', KEYS[6], id)
  n = n + redis.call('HDEL', KEYS[2], id)
end
return n
