-- The migration, one bounded call at a time: connection.py's driver calls it until 'done'.
-- KEYS: schema, migration (the progress of the stepped migration under way: a hash with its
-- version and whatever its steps keep; deleted by its last step). ARGV: the version this
-- bridge writes, prefix, budget (how many items one step may handle).
-- A call refuses a newer version, applies the whole migrations due in a row (each sets its
-- version), and at a stepped one (scripts.STEPPED) does one step of it and returns: a step
-- handles at most about budget items, and only its last sets its version. A migration's data
-- is never read as migrated before that (the version says what is done), and what an older
-- bridge writes meanwhile (the version is still its own, so its writes are accepted) is the
-- stepped migration's to take in (see each migration_N.lua).
-- Returns {'newer', version}, {'done', version} or {'more', version, N, progress note}.
local schema, progress = KEYS[1], KEYS[2]
local target, prefix, budget = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local whole, stepped = {}, {}
--@migrations
local current = tonumber(redis.call('GET', schema) or '0')
if current > target then return {'newer', current} end
while current < target do
  local version = current + 1
  local step = stepped[version]
  if step then
    if tonumber(redis.call('HGET', progress, 'version')) ~= version then
      redis.call('DEL', progress)  -- another migration's, left behind: start this one
      redis.call('HSET', progress, 'version', version)
    end
    local note = step()
    if note then return {'more', current, version, note} end
    redis.call('DEL', progress)
    redis.call('SET', schema, version)
    if version == target then return {'done', version} end
    return {'more', version, version, 'done'}
  end
  whole[version]()
  redis.call('SET', schema, version)
  current = version
end
return {'done', current}
