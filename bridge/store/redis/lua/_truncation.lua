-- keep_truncation(key, group, received, value): keep ``value`` ("ts n", n the alerts the
-- group's delivery left out) for ``group`` in the hash ``key``, the later delivery (by
-- ``received``, the value's ts) winning; a zero (n = 0) only clears a count kept, so it is
-- written only over a nonzero value from no later a delivery.
local function keep_truncation(key, group, received, value)
  local previous = redis.call('HGET', key, group)
  if string.match(value, ' 0$') then
    if previous and string.match(previous, ' (%S+)$') ~= '0'
        and received >= string.match(previous, '^(%S+)') then
      redis.call('HSET', key, group, value)
    end
  elseif (not previous) or received >= string.match(previous, '^(%S+)') then
    redis.call('HSET', key, group, value)
  end
end
