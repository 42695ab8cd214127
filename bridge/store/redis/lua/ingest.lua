-- merge_episode in Lua. KEYS: schema, alerts, deliveries, truncation, alerts:seq, alerts:changes
-- (every episode written gets the delivery's change number as its score there), alerts:ends,
-- alerts:resent, alerts:resent:changes. ARGV: version, delivery JSON, group key, received ts,
-- "ts n" truncation value, then every episode's field and value in one argument, each followed
-- by a NUL byte (field NUL value NUL …: one argument to encode and send instead of two per
-- alert; no field or value holds a NUL, compact JSON escapes it), then the highest change
-- number the caller has seen (_floor.lua; the number given is above it and above every number
-- the changes indexes hold, even after a rollback underneath). Returns the change number,
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
raise_to(KEYS[5], ARGV[7])
for _, index in ipairs({KEYS[6], KEYS[9]}) do
  local top = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  if #top > 0 then raise_to(KEYS[5], top[2]) end
end
local seq = redis.call('INCR', KEYS[5])
-- The packed pairs apart, then every stored value read, merged and written back with one
-- call per command and chunk rather than four per alert (a storm's webhooks are mostly new
-- alerts: HMGET finds nothing, and the writes are HSET, ZADD, ZADD of many at once).
local fields, values = {}, {}
local packed, at = ARGV[6], 1
while at <= #packed do
  local cut = string.find(packed, '\0', at, true)
  local stop = string.find(packed, '\0', cut + 1, true)
  fields[#fields + 1] = string.sub(packed, at, cut - 1)
  values[#values + 1] = string.sub(packed, cut + 1, stop - 1)
  at = stop + 1
end
local CHUNK = 1000  -- arguments per call stay well below Lua's unpack limit
local kepts = {}
for first = 1, #fields, CHUNK do
  local got = redis.call('HMGET', KEYS[2], unpack(fields, first, math.min(first + CHUNK - 1, #fields)))
  for j = 1, #got do kepts[first + j - 1] = got[j] end
end
local stored, ends, changes, gone = {}, {}, {}, {}
for i = 1, #fields do
  local field, value = fields[i], values[i]
  local kept = kepts[i]
  local before = nil
  if kept then
    kept = folded(kept, field, KEYS[6], KEYS[8], memo)
    local ostatus, oend, ofirst, olast, oid, odisplay = string.match(kept, FORM)
    local status, ends_at, first, last, id, display = string.match(value, FORM)
    before = ends_member(ostatus, oend, field)
    -- _rank(new) >= _rank(old): a resolve beats a firing; among resolves the later (or
    -- equal) end; '' (no end) ranks lowest, like datetime.min
    local new_wins
    if status == 'firing' then new_wins = (ostatus == 'firing')
    elseif ostatus == 'firing' then new_wins = true
    else new_wins = (ends_at >= oend) end
    if not new_wins then status, ends_at, id = ostatus, oend, oid end
    if last < olast then display = odisplay end
    if ofirst < first then first = ofirst end
    if olast > last then last = olast end
    value = status .. '|' .. ends_at .. '|' .. first .. '|' .. last .. '|' .. id .. '\n' .. display
  end
  stored[#stored + 1] = field
  stored[#stored + 1] = value
  local nstatus, nends = string.match(value, '^([^|]*)|([^|]*)|')
  local member = ends_member(nstatus, nends, field)
  if before and before ~= member then gone[#gone + 1] = before end
  ends[#ends + 1] = 0
  ends[#ends + 1] = member
  changes[#changes + 1] = seq
  changes[#changes + 1] = field
  merged[#merged + 1] = value
  merged[#merged + 1] = '\0'
end
local function each_chunk(command, key, items, width)
  local step = CHUNK * width
  for first = 1, #items, step do
    redis.call(command, key, unpack(items, first, math.min(first + step - 1, #items)))
  end
end
each_chunk('HSET', KEYS[2], stored, 2)
each_chunk('ZREM', KEYS[7], gone, 1)
each_chunk('ZADD', KEYS[7], ends, 2)
each_chunk('ZADD', KEYS[6], changes, 2)
for write, at in pairs(memo) do  -- writes re-sent before, whose episodes were written now
  if at and redis.call('ZCOUNT', KEYS[6], write, write) == 0 then
    redis.call('HDEL', KEYS[8], write)
    redis.call('ZREM', KEYS[9], write)
  end
end
redis.call('LPUSH', KEYS[3], ARGV[2])
-- the group's truncation, the later delivery winning; a zero only clears a count kept
keep_truncation(KEYS[4], ARGV[3], ARGV[4], ARGV[5])
return {seq, table.concat(merged)}
