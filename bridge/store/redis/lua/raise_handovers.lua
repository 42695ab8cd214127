-- The hand-over count raised to at least ARGV[2] (never lowered). KEYS: schema, handovers.
-- ARGV: version, at_least. Returns the count now.
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local wanted = tonumber(ARGV[2])
if wanted > current then
  redis.call('SET', KEYS[2], ARGV[2])
  current = wanted
end
return current
