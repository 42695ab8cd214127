-- KEYS: schema, incidents, lease, incidents:start, incidents:by-start, incidents:unsettled,
-- incidents:settled (see migration_6.lua). ARGV: version, fence, then per record: id, record
-- JSON, "STARTED|id" (its by-start member), settled_at in epoch seconds or '' (unsettled).
if fenced(KEYS[3], ARGV[2]) then
  return {'fenced', redis.call('HGET', KEYS[3], 'token') or ''}
end
for i = 3, #ARGV, 4 do
  local id, member, settled = ARGV[i], ARGV[i + 2], ARGV[i + 3]
  redis.call('HSET', KEYS[2], id, ARGV[i + 1])
  local before = redis.call('HGET', KEYS[4], id)
  if before ~= member then
    if before then redis.call('ZREM', KEYS[5], before) end
    redis.call('HSET', KEYS[4], id, member)
    redis.call('ZADD', KEYS[5], 0, member)
  end
  if settled == '' then
    redis.call('SADD', KEYS[6], id)
    redis.call('ZREM', KEYS[7], id)
  else
    redis.call('SREM', KEYS[6], id)
    redis.call('ZADD', KEYS[7], settled, id)
  end
end
return #ARGV
