-- KEYS: alerts:seq, alerts:ends, alerts. ARGV: the horizon's start as stored text. Returns the
-- change number, then every episode firing or resolved at or after it (one step, so the number
-- and the values agree).
local out = {redis.call('GET', KEYS[1]) or '0'}
for _, member in ipairs(redis.call('ZRANGEBYLEX', KEYS[2], '[' .. ARGV[1], '+')) do
  local value = redis.call('HGET', KEYS[3], string.sub(member, string.find(member, '|', 1, true) + 1))
  if value then out[#out + 1] = value end
end
return out
