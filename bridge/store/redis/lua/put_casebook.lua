-- A casebook record under compare-and-set on its revision, its number unchanged, with audit
-- entries. KEYS: schema, casebook, casebook:rev, casebook:number, audit:seq, audit. ARGV: version,
-- prefix, id, expected revision, new revision, number, record JSON, then audit entries (four arguments each, _append_audit.lua).
local prefix, id = ARGV[2], ARGV[3]
local stored = redis.call('HGET', KEYS[3], id)
if stored ~= ARGV[4] then return {'conflict', stored or ''} end
if redis.call('HGET', KEYS[4], id) ~= ARGV[6] then return {'number', ''} end
redis.call('HSET', KEYS[2], id, ARGV[7])
redis.call('HSET', KEYS[3], id, ARGV[5])
append_audit(prefix, KEYS[5], KEYS[6], 8)
return {'ok', ARGV[5]}
