-- Shared head of every write script: KEYS[1] is the schema key, ARGV[1] the version this
-- bridge writes. A missing or different version is refused with an error starting BRIDGE_SCHEMA
-- (connection.py reads that word). Timestamps are codec.ts text (fixed width, same punctuation
-- everywhere), so Lua's string order is time order.
local found = redis.call('GET', KEYS[1])
if found ~= ARGV[1] then
  return redis.error_reply('BRIDGE_SCHEMA ' .. (found or 'missing'))
end
