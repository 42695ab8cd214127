-- The audit log's seq counter raised to at least ARGV[2] (never lowered): the next entry's seq
-- comes above it (a log restored from a backup). KEYS: schema, audit:seq. ARGV: version,
-- at_least. Returns the counter now.
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local wanted = tonumber(ARGV[2])
if wanted > current then
  redis.call('SET', KEYS[2], ARGV[2])
  current = wanted
end
return current
