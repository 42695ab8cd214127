-- Incidents' casebook records, each created with the next number if it has none, in the order
-- given. KEYS: schema, casebook (id -> record JSON), casebook:rev (id -> revision),
-- casebook:number (id -> number), casebook:counter. ARGV: version, then id / the new record's
-- JSON without its number (starting '{') pairs. Returns the stored record JSON of each id, in
-- order (a new one's number spliced in front).
local out = {}
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local stored = redis.call('HGET', KEYS[2], id)
  if not stored then
    local number = redis.call('INCR', KEYS[5])
    stored = '{"number":' .. number .. ',' .. string.sub(ARGV[i + 1], 2)
    redis.call('HSET', KEYS[2], id, stored)
    redis.call('HSET', KEYS[3], id, '1')
    redis.call('HSET', KEYS[4], id, number)
  end
  out[#out + 1] = stored
end
return out
