-- KEYS: schema, sessions, sessions:expiry. ARGV: version, prefix, mode (id | user | expired),
-- value (id hash, user name, or the epoch score of now). Returns how many sessions went.
local prefix, mode, value = ARGV[2], ARGV[3], ARGV[4]
local ids
if mode == 'user' then
  ids = redis.call('SMEMBERS', prefix .. 'sessions:by-user:' .. value)
elseif mode == 'expired' then
  ids = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', value)
else
  ids = {value}
end
local n = 0
for _, id in ipairs(ids) do
  local doc = redis.call('HGET', KEYS[2], id)
  if doc then
    redis.call('SREM', prefix .. 'sessions:by-user:' .. cjson.decode(doc)['user'], id)
    redis.call('HDEL', KEYS[2], id)
    n = n + 1
  end
  redis.call('ZREM', KEYS[3], id)
end
if mode == 'user' then redis.call('DEL', prefix .. 'sessions:by-user:' .. value) end
return n
