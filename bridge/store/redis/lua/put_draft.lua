-- KEYS: schema, drafts, drafts:rev, drafts:state, drafts:incident, audit:seq, audit, lease.
-- ARGV: version, prefix, id, expected revision ('' = must not exist), revision, state,
-- incident id, draft JSON, fence ('' = none), then audit entries (four arguments each, _append_audit.lua).
if fenced(KEYS[8], ARGV[9]) then
  return {'fenced', redis.call('HGET', KEYS[8], 'token') or ''}
end
local prefix, id, expected = ARGV[2], ARGV[3], ARGV[4]
local stored = redis.call('HGET', KEYS[3], id)
if (expected == '' and stored) or (expected ~= '' and stored ~= expected) then
  return {'conflict', stored or ''}
end
local state, incident = ARGV[6], ARGV[7]
local old_state = redis.call('HGET', KEYS[4], id)
if old_state and old_state ~= state then
  redis.call('SREM', prefix .. 'drafts:by-state:' .. old_state, id)
end
local old_incident = redis.call('HGET', KEYS[5], id)
if old_incident and old_incident ~= incident then
  redis.call('SREM', prefix .. 'drafts:by-incident:' .. old_incident, id)
end
redis.call('SADD', prefix .. 'drafts:by-state:' .. state, id)
redis.call('SADD', prefix .. 'drafts:by-incident:' .. incident, id)
redis.call('HSET', KEYS[2], id, ARGV[8])
redis.call('HSET', KEYS[3], id, ARGV[5])
redis.call('HSET', KEYS[4], id, state)
redis.call('HSET', KEYS[5], id, incident)
append_audit(prefix, KEYS[6], KEYS[7], 10)
return {'ok', ARGV[5]}
