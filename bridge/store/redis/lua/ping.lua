-- KEYS: schema, alive. ARGV: version, now. A write, so a read-only replica or a full disk fails.
redis.call('SET', KEYS[2], ARGV[2])
return 'ok'
