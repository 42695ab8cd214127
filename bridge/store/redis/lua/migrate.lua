-- The migration: read the version (KEYS[1]), refuse a newer one, apply each missing step
-- (each migration_N.lua, inserted at the steps marker), set it. ARGV: version, prefix.
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local target = tonumber(ARGV[1])
if current > target then return {'newer', current} end
--@steps
redis.call('SET', KEYS[1], ARGV[1])
return {'ok', current}
