-- KEYS: schema, incidents. ARGV: version, then incident ids. Returns how many were stored.
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('HDEL', KEYS[2], ARGV[i])
end
return n
