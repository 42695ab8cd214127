-- audit_search: one page of a search of the audit log (bridge/store/redis/audit.py; the rules
-- are bridge/core/audit_search.py's). KEYS: audit, audit:at, audit:clock, the source (audit:
-- entry JSON scored by seq; audit:by-target:T, audit:actor:A, audit:incident:X: seq members).
-- ARGV: source kind ('entries' or 'seqs'), limit, scan, the filter as JSON (keys present only
-- when given: before, since_us, till_us, since, till (codec.ts text), actor, action, prefix
-- (true: action is a prefix), target, incident, track ('privacy', 'outage' or 'none')).
-- Returns {resume ('' = none), entry JSON…}, newest first.
local f = cjson.decode(ARGV[4])
local limit, scan = tonumber(ARGV[2]), tonumber(ARGV[3])

local function track(target)
  local kind, rest = string.match(target, '^([^:]*):(.*)$')
  if not kind then kind, rest = target, '' end
  if kind == 'privacy' or string.sub(rest, 1, 5) == 'priv-' then return 'privacy' end
  return 'outage'
end

local function matches(e)
  if f.since and e.at < f.since then return false end
  if f.till and e.at >= f.till then return false end
  if f.actor and e.actor ~= f.actor then return false end
  if f.action then
    if f.prefix then
      if string.sub(e.action, 1, #f.action) ~= f.action then return false end
    elseif e.action ~= f.action then
      return false
    end
  end
  if f.target or f.incident then  -- any of the entry's targets (schema 15: also)
    local found_target, found_incident = not f.target, not f.incident
    local targets = {e.target}
    for _, t in ipairs(e.also or {}) do targets[#targets + 1] = t end
    for _, t in ipairs(targets) do
      if t == f.target then found_target = true end
      if f.incident and audit_incident(t) == f.incident then found_incident = true end
    end
    if not (found_target and found_incident) then return false end
  end
  if f.track and track(e.target) ~= f.track then return false end
  return true
end

-- the range of seq the time range allows (audit_search.window_times), exclusive bounds
local hi, lo = f.before, nil
if f.since_us or f.till_us then
  local lag = tonumber(redis.call('HGET', KEYS[3], 'lag') or '0')
  if f.since_us then
    local y = redis.call('ZREVRANGEBYSCORE', KEYS[2], '(' .. string.format('%.0f', f.since_us - lag),
                         '-inf', 'LIMIT', 0, 1)
    if y[1] then lo = tonumber(y[1]) end
  end
  if f.till_us then
    local x = redis.call('ZRANGEBYSCORE', KEYS[2], string.format('%.0f', f.till_us + lag), '+inf',
                         'LIMIT', 0, 1)
    if x[1] and (hi == nil or tonumber(x[1]) < hi) then hi = tonumber(x[1]) end
  end
end

local max = hi and ('(' .. string.format('%.0f', hi)) or '+inf'
local min = lo and ('(' .. string.format('%.0f', lo)) or '-inf'
local found, looked, lowest = {}, 0, nil
while looked < scan and #found < limit do
  local batch = math.min(scan - looked, 256)
  local rows = redis.call('ZREVRANGEBYSCORE', KEYS[4], max, min, 'WITHSCORES', 'LIMIT', 0, batch)
  for i = 1, #rows, 2 do
    local seq = tonumber(rows[i + 1])
    looked, lowest = looked + 1, seq
    local text = rows[i]
    if ARGV[1] == 'seqs' then text = redis.call('ZRANGEBYSCORE', KEYS[1], seq, seq)[1] end
    if text and matches(cjson.decode(text)) then
      found[#found + 1] = text
      if #found == limit then break end
    end
  end
  if #rows < 2 * batch then break end
  max = '(' .. string.format('%.0f', lowest)
end

local resume = ''
if #found == limit or looked == scan then resume = string.format('%.0f', lowest) end
local reply = {resume}
for _, text in ipairs(found) do reply[#reply + 1] = text end
return reply
