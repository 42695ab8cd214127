-- KEYS: schema, truncation (hash: group key -> "ts n"). ARGV: version, before (codec.ts text,
-- '' for none), cleared before (codec.ts text), then group keys. Deletes each named group's
-- count last updated before ARGV[2], or a zero (a cleared count) last updated before ARGV[3];
-- returns how many went. Read here again, so a count updated since the scan stays.
local n = 0
for i = 4, #ARGV do
  local value = redis.call('HGET', KEYS[2], ARGV[i])
  if value then
    local at, count = string.match(value, '^(%S+) (%S+)$')
    if at < ARGV[2] or (count == '0' and at < ARGV[3]) then
      redis.call('HDEL', KEYS[2], ARGV[i])
      n = n + 1
    end
  end
end
return n
