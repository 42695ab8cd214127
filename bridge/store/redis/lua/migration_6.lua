-- what a restart loads, indexed: alerts:ends (lex "END|field", "~|field" while firing) for the
-- stored episodes; for the incidents, incidents:start (id → "STARTED|id"), incidents:by-start
-- (lex, for pages), incidents:unsettled (set) and incidents:settled (id scored by settled_at
-- in epoch seconds; records from before schema 6 have none, so they start unsettled)
local fields = redis.call('HGETALL', ARGV[2] .. 'alerts')
for i = 1, #fields, 2 do
  local status, ends = string.match(fields[i + 1], '^([^|]*)|([^|]*)|')
  local member = (status == 'firing') and ('~|' .. fields[i]) or (ends .. '|' .. fields[i])
  redis.call('ZADD', ARGV[2] .. 'alerts:ends', 0, member)
end
local records = redis.call('HGETALL', ARGV[2] .. 'incidents')
for i = 1, #records, 2 do
  local member = cjson.decode(records[i + 1])['started_at'] .. '|' .. records[i]
  redis.call('HSET', ARGV[2] .. 'incidents:start', records[i], member)
  redis.call('ZADD', ARGV[2] .. 'incidents:by-start', 0, member)
  redis.call('SADD', ARGV[2] .. 'incidents:unsettled', records[i])
end
