-- raise_to(counter_key, floor): set the counter to ``floor`` when it is lower, before an INCR.
-- After a rollback underneath (Redis restarted from an older AOF/RDB, a failover to a lagging
-- replica) the counter is behind numbers already handed out; the caller passes the highest it
-- has seen ('' or 0: none), so no number it saw is handed out again.
local function raise_to(key, floor)
  local wanted = tonumber(floor)
  if wanted and wanted > (tonumber(redis.call('GET', key)) or 0) then
    redis.call('SET', key, string.format('%d', wanted))
  end
end
