-- schema 11 indexes the audit log for its searches (_append_audit.lua): P audit:at,
-- P audit:actor:A and P audit:incident:X for the entries already stored, and P audit:clock
-- from them. Stepped: each step indexes the next budget entries of P audit in seq order after
-- the progress's seq, carrying the clock (high, lag) in the progress; entries a bridge of
-- schema 10 appends meanwhile get higher seqs, so a later step takes them. The step that finds
-- fewer left writes P audit:clock (nobody reads it before the version is 11). An entry's at is
-- codec.ts text (YYYY-MM-DDTHH:MM:SS.ffffffZ), read here as microseconds since the epoch (days
-- from the civil date, as Python's proleptic Gregorian calendar counts them).
local function micros(text)
  local y, mo, d, h, mi, s = string.match(text, '^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)')
  local frac = string.match(text, '^%d+-%d+-%d+T%d+:%d+:%d+%.(%d+)') or ''
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if mo <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (mo + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  local days = era * 146097 + doe - 719468
  local seconds = days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(s)
  return seconds * 1000000 + tonumber(string.sub(frac .. '000000', 1, 6))
end
local state = redis.call('HMGET', progress, 'seq', 'high', 'lag')
local after = tonumber(state[1]) or 0
local high, lag = tonumber(state[2]), tonumber(state[3]) or 0
local entries = redis.call('ZRANGEBYSCORE', prefix .. 'audit', '(' .. string.format('%.0f', after),
                           '+inf', 'WITHSCORES', 'LIMIT', 0, budget)
for i = 1, #entries, 2 do
  local e = cjson.decode(entries[i])
  local seq = tonumber(entries[i + 1])
  local member = string.format('%020d', seq)
  local at = micros(e['at'])
  redis.call('ZADD', prefix .. 'audit:at', string.format('%.0f', at), member)
  redis.call('ZADD', prefix .. 'audit:actor:' .. e['actor'], seq, member)
  local incident = audit_incident(e['target'])
  if incident then
    redis.call('ZADD', prefix .. 'audit:incident:' .. incident, seq, member)
  end
  if high == nil or at >= high then
    high = at
  elseif high - at > lag then
    lag = high - at
  end
  after = seq
end
if #entries / 2 >= budget then
  redis.call('HSET', progress, 'seq', string.format('%.0f', after), 'lag', string.format('%.0f', lag))
  if high ~= nil then redis.call('HSET', progress, 'high', string.format('%.0f', high)) end
  return string.format('audit entries indexed up to seq %.0f', after)
end
if high ~= nil then
  redis.call('HSET', prefix .. 'audit:clock', 'high', string.format('%.0f', high), 'lag',
             string.format('%.0f', lag))
end
