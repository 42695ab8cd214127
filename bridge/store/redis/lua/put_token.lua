-- An API token under compare-and-set on its revision, with audit entries (as put_revised.lua),
-- refused when it is live under a name another live token holds. KEYS: schema, tokens,
-- tokens:rev, audit:seq, audit, tokens:by-hash, tokens:live-names (hash: id -> the name each
-- live token holds, A-Z lower-cased). ARGV: version, prefix, id, expected revision ('' = must
-- not exist), revision, document JSON, hash of the secret, 'live' ('' = revoked), the name it
-- holds while live, then audit entries (four arguments each, _append_audit.lua). A token
-- holding its name already is not refused (live tokens sharing a name from before schema 13
-- keep it). The live tokens are read one by one: they are few (each is a credential a person
-- made); the least id holding the name is answered.
local prefix, id, expected = ARGV[2], ARGV[3], ARGV[4]
local live, name = ARGV[8] == 'live', ARGV[9]
local stored = redis.call('HGET', KEYS[3], id)
if (expected == '' and stored) or (expected ~= '' and stored ~= expected) then
  return {'conflict', stored or ''}
end
if live and redis.call('HGET', KEYS[7], id) ~= name then
  local holders = redis.call('HGETALL', KEYS[7])
  local holder
  for i = 1, #holders, 2 do
    local other = holders[i]
    if holders[i + 1] == name and other ~= id and (holder == nil or other < holder) then
      holder = other
    end
  end
  if holder then return {'taken', holder} end
end
redis.call('HSET', KEYS[2], id, ARGV[6])
redis.call('HSET', KEYS[3], id, ARGV[5])
redis.call('HSET', KEYS[6], ARGV[7], id)
if live then
  redis.call('HSET', KEYS[7], id, name)
else
  redis.call('HDEL', KEYS[7], id)
end
append_audit(prefix, KEYS[4], KEYS[5], 10)
return {'ok', ARGV[5]}
