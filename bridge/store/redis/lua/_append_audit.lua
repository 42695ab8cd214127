-- append_audit(prefix, seq_key, log_key, first): appends audit entries from ARGV[first..]
-- (target/entry-JSON pairs) to the log and to P audit:target:T. The entry JSON gets its seq
-- from INCR, spliced in front ('{"seq":N,' .. rest).
local function append_audit(prefix, seq_key, log_key, first)
  for i = first, #ARGV, 2 do
    local seq = redis.call('INCR', seq_key)
    local entry = '{"seq":' .. seq .. ',' .. string.sub(ARGV[i + 1], 2)
    redis.call('ZADD', log_key, seq, entry)
    redis.call('ZADD', prefix .. 'audit:target:' .. ARGV[i], seq, entry)
  end
end
