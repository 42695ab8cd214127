-- KEYS: schema, lease. ARGV: version, holder.
if redis.call('HGET', KEYS[2], 'holder') == ARGV[2] then redis.call('DEL', KEYS[2]) end
return 'ok'
