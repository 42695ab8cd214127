-- KEYS: schema, drafts, drafts:rev, drafts:state, drafts:incident. ARGV: version, prefix, then
-- id/revision pairs. A draft goes (with its index entries) only while still at that revision;
-- returns how many went.
local prefix, n = ARGV[2], 0
for i = 3, #ARGV, 2 do
  local id, revision = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', KEYS[3], id) == revision then
    local state = redis.call('HGET', KEYS[4], id)
    local incident = redis.call('HGET', KEYS[5], id)
    if state then redis.call('SREM', prefix .. 'drafts:by-state:' .. state, id) end
    if incident then redis.call('SREM', prefix .. 'drafts:by-incident:' .. incident, id) end
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
    redis.call('HDEL', KEYS[5], id)
    n = n + 1
  end
end
return n
