-- KEYS: schema, lease, lease:token. ARGV: version, holder, ttl in ms, the highest fencing
-- token the caller has seen (_floor.lua: a new token is above it even after a rollback). The
-- lease is a hash (holder, token) that Redis expires itself (PEXPIRE: the server's clock, not
-- the replicas'). Held by another: {'held', holder, its token} (the caller learns the token).
local holder = redis.call('HGET', KEYS[2], 'holder')
if holder and holder ~= ARGV[2] then
  return {'held', holder, redis.call('HGET', KEYS[2], 'token') or '0'}
end
local token
if holder then
  token = redis.call('HGET', KEYS[2], 'token')
else
  raise_to(KEYS[3], ARGV[4])
  token = tostring(redis.call('INCR', KEYS[3]))
  redis.call('HSET', KEYS[2], 'holder', ARGV[2], 'token', token)
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {'ok', token}
