-- KEYS: alerts:changes, alerts. ARGV: cursor. Returns the top change number, then the episodes
-- changed after the cursor (read in one step, so the number and the values agree).
local changed = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES')
local out = {ARGV[1]}
if #changed == 0 then return out end
out[1] = changed[#changed]
for i = 1, #changed, 2 do
  local value = redis.call('HGET', KEYS[2], changed[i])
  if value then out[#out + 1] = value end
end
return out
