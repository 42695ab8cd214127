-- KEYS: alerts, alerts:changes, alerts:resent. Returns every episode as stored (_resent.lua).
local out = {}
local memo = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  out[#out + 1] = folded(all[i + 1], all[i], KEYS[2], KEYS[3], memo)
end
return out
