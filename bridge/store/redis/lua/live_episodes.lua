-- KEYS: alerts:seq, alerts:ends, alerts, alerts:changes, alerts:resent. ARGV: the horizon's
-- start as stored text. Returns the change number, then every episode firing or resolved at or
-- after it, as stored (_resent.lua; one step, so the number and the values agree).
local out = {redis.call('GET', KEYS[1]) or '0'}
local memo = {}
for _, member in ipairs(redis.call('ZRANGEBYLEX', KEYS[2], '[' .. ARGV[1], '+')) do
  local field = string.sub(member, string.find(member, '|', 1, true) + 1)
  local value = redis.call('HGET', KEYS[3], field)
  if value then out[#out + 1] = folded(value, field, KEYS[4], KEYS[5], memo) end
end
return out
