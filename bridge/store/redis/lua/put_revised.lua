-- A document under compare-and-set on its revision, with audit entries (users, privacy
-- cases; API tokens: put_token.lua). KEYS: schema, documents, revisions, audit:seq, audit,
-- index (hash: field -> id). ARGV: version, prefix, id, expected revision ('' = must not exist), revision, document
-- JSON, index field ('' = none), history key prefix ('' = none: else every revision is also
-- pushed on P<history>ID, e.g. P privacy:revisions:ID), then audit entries (four arguments each, _append_audit.lua).
local prefix, id, expected = ARGV[2], ARGV[3], ARGV[4]
local stored = redis.call('HGET', KEYS[3], id)
if (expected == '' and stored) or (expected ~= '' and stored ~= expected) then
  return {'conflict', stored or ''}
end
redis.call('HSET', KEYS[2], id, ARGV[6])
redis.call('HSET', KEYS[3], id, ARGV[5])
if ARGV[7] ~= '' then redis.call('HSET', KEYS[6], ARGV[7], id) end
if ARGV[8] ~= '' then redis.call('RPUSH', prefix .. ARGV[8] .. id, ARGV[6]) end
append_audit(prefix, KEYS[4], KEYS[5], 9)
return {'ok', ARGV[5]}
