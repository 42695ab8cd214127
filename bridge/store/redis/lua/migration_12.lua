-- schema 12 lists in each stored incident's document ("absorbed") the incidents merged into
-- it, directly or through a chain of merges, as each save has written it since
-- (bridge/evaluation/persistence.py): a record last saved before has none, and recall brings
-- back only what the host lists. Read from every record's merged_into (one pass over
-- P incidents, a record at a time); a list already there is kept and added to (sorted by id),
-- so running it again changes nothing; a host the store no longer holds (retention) is left
-- out. A record's text is the codec's (bridge/store/record_codec.py: sorted keys), so
-- "document" is its first key and "absorbed" the document's first: the list is written there
-- and the rest of the text is kept byte for byte (cjson would write the whole record in
-- another form: keys unsorted, an empty array as an object). A record not in that form is
-- left as it was.
local incidents = ARGV[2] .. 'incidents'
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

local into = {}
for _, id in ipairs(redis.call('HKEYS', incidents)) do
  local text = redis.call('HGET', incidents, id)
  local host = text and merged_into(text)
  if host and host ~= id then into[id] = host end
end
local listed = {}
for id, host in pairs(into) do  -- each listed in every incident its chain leads through
  local seen = {[id] = true}
  while host and not seen[host] do
    seen[host] = true
    listed[host] = listed[host] or {}
    listed[host][id] = true
    host = into[host]
  end
end
for host, ids in pairs(listed) do
  local text = redis.call('HGET', incidents, host)
  if text and string.sub(text, 1, #head) == head then
    local rest = #head + 1
    if string.sub(text, rest, rest + 10) == '"absorbed":' then
      local stop = value_end(text, rest + 11)
      local ok, before = pcall(cjson.decode, string.sub(text, rest + 11, stop))
      if ok and type(before) == 'table' then
        for _, other in ipairs(before) do
          if type(other) == 'string' then ids[other] = true end
        end
      end
      rest = stop + 1
      if string.sub(text, rest, rest) == ',' then rest = rest + 1 end
    end
    local names = {}
    for other in pairs(ids) do names[#names + 1] = other end
    table.sort(names)
    local after = (string.sub(text, rest, rest) == '}') and '' or ','
    redis.call('HSET', incidents, host,
               head .. '"absorbed":' .. cjson.encode(names) .. after .. string.sub(text, rest))
  end
end
