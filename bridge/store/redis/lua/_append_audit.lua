-- append_audit(prefix, seq_key, log_key, first): appends audit entries from ARGV[first..]
-- (target, actor, at in microseconds since the epoch, entry JSON, the entry's further targets
-- as a JSON array or '' for none (schema 15): five per entry) to the log and to the search
-- indexes: P audit:at (seq scored by at), P audit:by-target:T (schema 14),
-- P audit:actor:A and P audit:incident:X (seq scored by seq; X as
-- bridge/core/audit_search.py incident_of names it), the target and incident indexes under the
-- entry's target and each further one (an entry is found by any). Every index member is the seq,
-- zero-padded to 20 digits. The entry JSON gets its seq from INCR, spliced in front ('{"seq":N,' .. rest).
-- P audit:clock keeps the log's clock (audit_search.lag_after): high, the latest at appended;
-- lag, the most an entry's at fell behind the high before it (microseconds).
local function audit_incident(target)
  local kind, rest = string.match(target, '^([^:]*):(.*)$')
  local found = nil
  if kind == 'incident' or kind == 'privacy' then
    found = rest
  elseif kind == 'draft' then
    found = string.match(rest, '^([^.]*)%.')
  end
  if found == '' then return nil end
  return found
end

local function append_audit(prefix, seq_key, log_key, first)
  if first > #ARGV then return end
  local clock_key = prefix .. 'audit:clock'
  local clock = redis.call('HMGET', clock_key, 'high', 'lag')
  local high = tonumber(clock[1])
  local lag = tonumber(clock[2]) or 0
  for i = first, #ARGV, 5 do
    local seq = redis.call('INCR', seq_key)
    local member = string.format('%020d', seq)
    local at = tonumber(ARGV[i + 2])
    local entry = '{"seq":' .. seq .. ',' .. string.sub(ARGV[i + 3], 2)
    redis.call('ZADD', log_key, seq, entry)
    redis.call('ZADD', prefix .. 'audit:at', ARGV[i + 2], member)
    redis.call('ZADD', prefix .. 'audit:actor:' .. ARGV[i + 1], seq, member)
    local targets = {ARGV[i]}
    if ARGV[i + 4] ~= '' then
      for _, t in ipairs(cjson.decode(ARGV[i + 4])) do targets[#targets + 1] = t end
    end
    local indexed = {}  -- an incident named by several targets: indexed once
    for _, t in ipairs(targets) do
      redis.call('ZADD', prefix .. 'audit:by-target:' .. t, seq, member)
      local incident = audit_incident(t)
      if incident and not indexed[incident] then
        indexed[incident] = true
        redis.call('ZADD', prefix .. 'audit:incident:' .. incident, seq, member)
      end
    end
    if high == nil or at >= high then
      high = at
    elseif high - at > lag then
      lag = high - at
    end
  end
  redis.call('HSET', clock_key, 'high', string.format('%.0f', high), 'lag',
             string.format('%.0f', lag))
end
