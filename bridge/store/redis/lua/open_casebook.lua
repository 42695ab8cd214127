-- An incident's casebook record, created with the next number if there is none. KEYS: schema,
-- casebook (id -> record JSON), casebook:rev (id -> revision), casebook:number (id -> number),
-- casebook:counter. ARGV: version, id, the new record's JSON without its number (starting '{').
-- Returns the stored record JSON (the new one's number spliced in front).
local stored = redis.call('HGET', KEYS[2], ARGV[2])
if stored then return stored end
local number = redis.call('INCR', KEYS[5])
local record = '{"number":' .. number .. ',' .. string.sub(ARGV[3], 2)
redis.call('HSET', KEYS[2], ARGV[2], record)
redis.call('HSET', KEYS[3], ARGV[2], '1')
redis.call('HSET', KEYS[4], ARGV[2], number)
return record
