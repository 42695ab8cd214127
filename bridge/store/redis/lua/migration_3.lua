-- change numbers for the episodes already stored; the lease is created on first use
for _, field in ipairs(redis.call('HKEYS', ARGV[2] .. 'alerts')) do
  redis.call('ZADD', ARGV[2] .. 'alerts:changes', redis.call('INCR', ARGV[2] .. 'alerts:seq'),
             field)
end
