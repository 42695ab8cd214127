-- KEYS: schema, alerts, alerts:changes. ARGV: version, then episode fields (alerts.episode_field).
-- Returns how many episodes were stored.
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('HDEL', KEYS[2], ARGV[i])
  redis.call('ZREM', KEYS[3], ARGV[i])
end
return n
