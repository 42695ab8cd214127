-- KEYS: schema, sessions, sessions:expiry. ARGV: version, prefix, id hash, user, JSON, score.
redis.call('HSET', KEYS[2], ARGV[3], ARGV[5])
redis.call('SADD', ARGV[2] .. 'sessions:by-user:' .. ARGV[4], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[3])
return 'ok'
