-- KEYS: schema, alerts, alerts:changes, alerts:ends. ARGV: version, then episode fields
-- (alerts.episode_field). Each episode leaves the hash and both indexes (alerts:ends holds
-- "END|field", "~|field" while firing: see ingest.lua). Returns how many episodes were stored.
local n = 0
for i = 2, #ARGV do
  local field = ARGV[i]
  local value = redis.call('HGET', KEYS[2], field)
  if value then
    local status, ends = string.match(value, '^([^|]*)|([^|]*)|')
    local member = (status == 'firing') and ('~|' .. field) or (ends .. '|' .. field)
    redis.call('ZREM', KEYS[4], member)
    redis.call('HDEL', KEYS[2], field)
    n = n + 1
  end
  redis.call('ZREM', KEYS[3], field)
end
return n
