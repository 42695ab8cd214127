-- KEYS: schema, tokens:used. ARGV: version, id, ts (kept only when later).
local old = redis.call('HGET', KEYS[2], ARGV[2])
if (not old) or ARGV[3] > old then redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) end
return 'ok'
