-- KEYS: schema, lease, lease:token. ARGV: version, holder, ttl in ms. The lease is a hash
-- (holder, token) that Redis expires itself (PEXPIRE: the server's clock, not the replicas').
local holder = redis.call('HGET', KEYS[2], 'holder')
if holder and holder ~= ARGV[2] then return {'held', holder} end
local token
if holder then
  token = redis.call('HGET', KEYS[2], 'token')
else
  token = tostring(redis.call('INCR', KEYS[3]))
  redis.call('HSET', KEYS[2], 'holder', ARGV[2], 'token', token)
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {'ok', token}
