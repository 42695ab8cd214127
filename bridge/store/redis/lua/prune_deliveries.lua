-- KEYS: schema, deliveries (newest first). ARGV: version, before (codec.ts text), batch.
-- Pops from the oldest end while the delivery there was received before ARGV[2], at most
-- ARGV[3] of them, never the newest (as on SQLite); returns how many went. The record JSON has sorted keys and received_at is
-- codec.ts text, so a string match and a string comparison read it.
local n, batch = 0, tonumber(ARGV[3])
while n < batch and redis.call('LLEN', KEYS[2]) > 1 do
  local oldest = redis.call('LINDEX', KEYS[2], -1)
  if not oldest then break end
  local at = string.match(oldest, '"received_at":"([^"]+)"')
  if not at or at >= ARGV[2] then break end
  redis.call('RPOP', KEYS[2])
  n = n + 1
end
return n
