-- KEYS: schema, incidents, lease. ARGV: version, fence, then id/record pairs.
if fenced(KEYS[3], ARGV[2]) then
  return {'fenced', redis.call('HGET', KEYS[3], 'token') or ''}
end
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
return #ARGV
