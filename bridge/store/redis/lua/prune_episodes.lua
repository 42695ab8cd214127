-- KEYS: schema, alerts, alerts:changes, alerts:ends, alerts:resent, alerts:resent:changes.
-- ARGV: version, then episode fields (alerts.episode_field). Each episode leaves the hash and
-- both indexes (alerts:ends holds "END|field", "~|field" while firing: see ingest.lua), and a
-- re-sent write none of whose episodes is left leaves alerts:resent (_resent.lua). Returns how
-- many episodes were stored.
local n = 0
local writes = {}
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
  local write = redis.call('ZSCORE', KEYS[3], field)
  if write then writes[write] = true end
  redis.call('ZREM', KEYS[3], field)
end
for write in pairs(writes) do
  if redis.call('HEXISTS', KEYS[5], write) == 1 and redis.call('ZCOUNT', KEYS[3], write, write) == 0 then
    redis.call('HDEL', KEYS[5], write)
    redis.call('ZREM', KEYS[6], write)
  end
end
return n
