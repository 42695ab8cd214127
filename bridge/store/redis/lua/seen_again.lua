-- A re-sent group that changed nothing: move last_seen only. KEYS: schema, alerts, deliveries,
-- truncation, alerts:seq, alerts:changes, alerts:resent, alerts:resent:changes. ARGV: version,
-- change, count, delivery JSON, group key, received ts, "ts n" truncation value, the highest
-- change number the caller has seen (_floor.lua, as ingest.lua). ``change``
-- names a write (its episodes score it in alerts:changes) or that write's latest re-send
-- (_resent.lua); unless exactly ``count`` episodes still score the write (none written since)
-- and it was not re-sent since under another number, nothing is written and the reply is nil.
-- Else the re-send gets a new change number (returned) and leaves, per write, that number and
-- the later of the received ts and the last_seen kept (one hash field: no episode's value is
-- rewritten); the delivery and truncation are kept as ingest keeps them.
local write = ARGV[2]
local by = redis.call('ZRANGEBYSCORE', KEYS[8], ARGV[2], ARGV[2])
if #by > 0 then
  write = by[1]
elseif redis.call('HEXISTS', KEYS[7], ARGV[2]) == 1 then
  return false  -- re-sent since, under another number
end
if redis.call('ZCOUNT', KEYS[6], write, write) ~= tonumber(ARGV[3]) then return false end
raise_to(KEYS[5], ARGV[8])
for _, index in ipairs({KEYS[6], KEYS[8]}) do
  local top = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  if #top > 0 then raise_to(KEYS[5], top[2]) end
end
local seq = redis.call('INCR', KEYS[5])
local at = ARGV[6]
local kept = redis.call('HGET', KEYS[7], write)
if kept then
  local before = string.match(kept, '|(.*)$')
  if before > at then at = before end
end
redis.call('HSET', KEYS[7], write, seq .. '|' .. at)
redis.call('ZADD', KEYS[8], seq, write)
redis.call('LPUSH', KEYS[3], ARGV[4])
-- the group's truncation as ingest keeps it (a zero only clears a count kept)
keep_truncation(KEYS[4], ARGV[5], ARGV[6], ARGV[7])
return seq
