-- KEYS: alerts:changes, alerts, alerts:resent, alerts:resent:changes. ARGV: cursor. Returns
-- the top change number, then the episodes changed after the cursor (read in one step, so the
-- number and the values agree): written after it, or written before it and re-sent after it
-- (_resent.lua), as stored.
local changed = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES')
local resent = redis.call('ZRANGEBYSCORE', KEYS[4], '(' .. ARGV[1], '+inf', 'WITHSCORES')
local out = {ARGV[1]}
if #changed > 0 then out[1] = changed[#changed] end
if #resent > 0 and tonumber(resent[#resent]) > tonumber(out[1]) then out[1] = resent[#resent] end
local memo = {}
for i = 1, #changed, 2 do
  local value = redis.call('HGET', KEYS[2], changed[i])
  if value then out[#out + 1] = folded(value, changed[i], KEYS[1], KEYS[3], memo) end
end
for i = 1, #resent, 2 do
  local write = resent[i]
  if tonumber(write) <= tonumber(ARGV[1]) then  -- later writes' episodes are read above
    for _, field in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], write, write)) do
      local value = redis.call('HGET', KEYS[2], field)
      if value then out[#out + 1] = folded(value, field, KEYS[1], KEYS[3], memo) end
    end
  end
end
return out
