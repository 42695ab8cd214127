-- merge_episode in Lua. KEYS: schema, alerts, deliveries, truncation, alerts:seq, alerts:changes
-- (every episode written gets the delivery's change number as its score there), alerts:ends,
-- alerts:resent, alerts:resent:changes. ARGV: version, delivery JSON, group key, received ts,
-- "ts n" truncation value, then every episode's field and value in one argument, each followed
-- by a NUL byte (field NUL value NUL …: one argument to encode and send instead of two per
-- alert; no field or value holds a NUL, compact JSON escapes it). Returns the change number,
-- then every episode as now stored, in the same order, each followed by a NUL, as one string.
-- A stored episode merges as stored (its re-sends' last_seen folded in, _resent.lua); a
-- re-sent write none of whose episodes is left leaves alerts:resent.
-- Episodes are stored as "status|ends_at|first_seen|last_seen|IDENTITY\nDISPLAY" (see
-- alerts.episode_value), so the merge is string work: no JSON is decoded inside Redis, which
-- keeps the script (during which Redis serves nobody else) short in an alert storm.
local FORM = '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^\n]*)\n(.*)$'
local function ends_member(status, ends, field)
  if status == 'firing' then return '~|' .. field end
  return ends .. '|' .. field
end
local merged = {}
local memo = {}
local seq = redis.call('INCR', KEYS[5])
local packed, at = ARGV[6], 1
while at <= #packed do
  local cut = string.find(packed, '\0', at, true)
  local field = string.sub(packed, at, cut - 1)
  local stop = string.find(packed, '\0', cut + 1, true)
  local value = string.sub(packed, cut + 1, stop - 1)
  at = stop + 1
  local kept = redis.call('HGET', KEYS[2], field)
  local before = nil
  if kept then
    kept = folded(kept, field, KEYS[6], KEYS[8], memo)
    local ostatus, oend, ofirst, olast, oid, odisplay = string.match(kept, FORM)
    local status, ends, first, last, id, display = string.match(value, FORM)
    before = ends_member(ostatus, oend, field)
    -- _rank(new) >= _rank(old): a resolve beats a firing; among resolves the later (or
    -- equal) end; '' (no end) ranks lowest, like datetime.min
    local new_wins
    if status == 'firing' then new_wins = (ostatus == 'firing')
    elseif ostatus == 'firing' then new_wins = true
    else new_wins = (ends >= oend) end
    if not new_wins then status, ends, id = ostatus, oend, oid end
    if last < olast then display = odisplay end
    if ofirst < first then first = ofirst end
    if olast > last then last = olast end
    value = status .. '|' .. ends .. '|' .. first .. '|' .. last .. '|' .. id .. '\n' .. display
  end
  redis.call('HSET', KEYS[2], field, value)
  local nstatus, nends = string.match(value, '^([^|]*)|([^|]*)|')
  local member = ends_member(nstatus, nends, field)
  if before and before ~= member then redis.call('ZREM', KEYS[7], before) end
  redis.call('ZADD', KEYS[7], 0, member)
  redis.call('ZADD', KEYS[6], seq, field)
  merged[#merged + 1] = value
  merged[#merged + 1] = '\0'
end
for write, at in pairs(memo) do  -- writes re-sent before, whose episodes were written now
  if at and redis.call('ZCOUNT', KEYS[6], write, write) == 0 then
    redis.call('HDEL', KEYS[8], write)
    redis.call('ZREM', KEYS[9], write)
  end
end
redis.call('LPUSH', KEYS[3], ARGV[2])
local previous = redis.call('HGET', KEYS[4], ARGV[3])
if (not previous) or ARGV[4] >= string.match(previous, '^(%S+)') then
  redis.call('HSET', KEYS[4], ARGV[3], ARGV[5])
end
return {seq, table.concat(merged)}
