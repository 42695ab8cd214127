-- KEYS: alerts, alerts:changes, alerts:resent. ARGV: episode fields. Returns the episodes
-- stored under them, as stored (_resent.lua), skipping fields with none.
local out = {}
local memo = {}
for i = 1, #ARGV do
  local value = redis.call('HGET', KEYS[1], ARGV[i])
  if value then out[#out + 1] = folded(value, ARGV[i], KEYS[2], KEYS[3], memo) end
end
return out
