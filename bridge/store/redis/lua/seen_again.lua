-- A re-sent group that changed nothing: move last_seen only. KEYS: schema, alerts, deliveries,
-- truncation, alerts:seq, alerts:changes. ARGV: version, change, count, delivery JSON, group
-- key, received ts, "ts n" truncation value. The episodes still scored ``change`` in
-- alerts:changes are those its delivery wrote and nothing since; unless there are ``count``
-- of them, nothing is written and the reply is nil. Else each one's last_seen becomes the
-- later of its own and the received ts, each gets a new change number (returned), and the
-- delivery and truncation are kept as ingest keeps them.
local fields = redis.call('ZRANGEBYSCORE', KEYS[6], ARGV[2], ARGV[2])
if #fields ~= tonumber(ARGV[3]) then return false end
local values = {}
for i = 1, #fields do  -- one HGET each: unpack() of a large group would overflow Lua's stack
  values[i] = redis.call('HGET', KEYS[2], fields[i])
  if not values[i] then return false end
end
local seq = redis.call('INCR', KEYS[5])
local at = ARGV[6]
for i = 1, #fields do
  -- status|ends_at|first_seen|last_seen|rest (see alerts.episode_value)
  local head, last, rest = string.match(values[i], '^([^|]*|[^|]*|[^|]*|)([^|]*)(|.*)$')
  if last < at then redis.call('HSET', KEYS[2], fields[i], head .. at .. rest) end
  redis.call('ZADD', KEYS[6], seq, fields[i])
end
redis.call('LPUSH', KEYS[3], ARGV[4])
local previous = redis.call('HGET', KEYS[4], ARGV[5])
if (not previous) or ARGV[6] >= string.match(previous, '^(%S+)') then
  redis.call('HSET', KEYS[4], ARGV[5], ARGV[7])
end
return seq
