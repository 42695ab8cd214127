-- schema 12 lists in each stored incident's document ("absorbed") the incidents merged into
-- it, directly or through a chain of merges, as each save has written it since
-- (bridge/evaluation/persistence.py): a record last saved before has none, and recall brings
-- back only what the host lists. Read from every record's merged_into; a list already there is
-- kept and added to (sorted by id), so running it again changes nothing; a host the store no
-- longer holds (retention) is left out. A record's text is the codec's
-- (bridge/store/record_codec.py: sorted keys), so "document" is its first key and "absorbed"
-- the document's first: the list is written there and the rest of the text is kept byte for
-- byte (cjson would write the whole record in another form: keys unsorted, an empty array as
-- an object). A record not in that form is left as it was.
-- Stepped: each step takes the next budget incidents of P incidents:by-start after the
-- progress's member ("after") and follows each merged one's chain through the records,
-- adding it to every host on the chain (each host written once a step). A leader of schema 11
-- still running would save a host without its list (its records have none), so the steps hold
-- the leader lease (holder "schema migration 12", a token of its own, kept in the progress,
-- for 30 s from each step): an older leader's writes are fenced and no other replica takes
-- the lease. If someone took it between two steps (the counter P lease:token moved on: the
-- start stopped for longer than 30 s), the walk starts over. The last step releases it.
local incidents, by_start = prefix .. 'incidents', prefix .. 'incidents:by-start'
local lease, tokens = prefix .. 'lease', prefix .. 'lease:token'
local holder = 'schema migration 12'
local head = '{"document":{'

-- where the JSON value starting at text[pos] ends
local function value_end(text, pos)
  local depth, quoted, i = 0, false, pos
  while i <= #text do
    local c = string.sub(text, i, i)
    if quoted then
      if c == '\\' then
        i = i + 1
      elseif c == '"' then
        quoted = false
        if depth == 0 then return i end
      end
    elseif c == '"' then
      quoted = true
    elseif c == '[' or c == '{' then
      depth = depth + 1
    elseif c == ']' or c == '}' or c == ',' then
      if depth == 0 then return i - 1 end
      if c ~= ',' then
        depth = depth - 1
        if depth == 0 then return i end
      end
    end
    i = i + 1
  end
  return #text
end

-- the incident a record says it was merged into (nil: none). In the codec's form the record's
-- own merged_into is the last in its text, after its document and alerts, followed only by
-- settled_at, started_at and state: read from the text's end. Decoded whole when not there.
local function merged_into(text)
  local last
  for value in string.gmatch(string.sub(text, -1024), '"merged_into":([^,}]*)') do
    last = value
  end
  if last == nil then
    last = cjson.decode(text)['merged_into']
    return type(last) == 'string' and last or nil
  end
  if string.sub(last, 1, 1) == '"' then return string.sub(last, 2, -2) end
  return nil
end

-- the text of host with ids added to its list (nil: a record not in the codec's form)
local function listed(text, ids)
  if string.sub(text, 1, #head) ~= head then return nil end
  local rest = #head + 1
  local names, have = {}, {}
  for _, other in ipairs(ids) do
    if not have[other] then have[other] = true; names[#names + 1] = other end
  end
  if string.sub(text, rest, rest + 10) == '"absorbed":' then
    local stop = value_end(text, rest + 11)
    local ok, before = pcall(cjson.decode, string.sub(text, rest + 11, stop))
    if ok and type(before) == 'table' then
      for _, other in ipairs(before) do
        if type(other) == 'string' and not have[other] then
          have[other] = true
          names[#names + 1] = other
        end
      end
    end
    rest = stop + 1
    if string.sub(text, rest, rest) == ',' then rest = rest + 1 end
  end
  table.sort(names)
  local after = (string.sub(text, rest, rest) == '}') and '' or ','
  return head .. '"absorbed":' .. cjson.encode(names) .. after .. string.sub(text, rest)
end

-- the lease: this migration's while nobody else took it since its last step
local token = redis.call('HGET', progress, 'token')
if token and redis.call('GET', tokens) ~= token then
  token = nil
  redis.call('HDEL', progress, 'token', 'after')  -- an older leader may have written: start over
end
local after = redis.call('HGET', progress, 'after')
local members = redis.call('ZRANGEBYLEX', by_start, after and ('(' .. after) or '-', '+',
                           'LIMIT', 0, budget)
local last = #members < budget
if token or not last then  -- (a walk done in this one call needs no lease: nothing interleaves)
  if not token then
    token = tostring(redis.call('INCR', tokens))
    redis.call('HSET', progress, 'token', token)
  end
  redis.call('HSET', lease, 'holder', holder, 'token', token)
  redis.call('PEXPIRE', lease, 30000)
end

local hosts, order = {}, {}
for _, member in ipairs(members) do
  local id = string.match(member, '^[^|]*|(.*)$') or member
  local text = redis.call('HGET', incidents, id)
  local host = text and merged_into(text)
  local seen = {[id] = true}
  while host and not seen[host] do  -- listed in every incident its chain leads through
    seen[host] = true
    local found = redis.call('HGET', incidents, host)
    if not found then break end
    if not hosts[host] then hosts[host] = {}; order[#order + 1] = host end
    table.insert(hosts[host], id)
    host = merged_into(found)
  end
end
for _, host in ipairs(order) do
  local text = listed(redis.call('HGET', incidents, host), hosts[host])
  if text then redis.call('HSET', incidents, host, text) end
end
if not last then
  redis.call('HSET', progress, 'after', members[#members])
  return 'incidents read up to ' .. members[#members]
end
if token and redis.call('HGET', lease, 'token') == token then redis.call('DEL', lease) end
