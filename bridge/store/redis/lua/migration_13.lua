-- schema 13: one live API token per name. P tokens:live-names (hash: id -> name, A-Z
-- lower-cased as bridge.store.records.token_name_key does) lists each live token (one whose
-- record in P tokens has no revoked_at), read here from every token; put_token.lua keeps it
-- since. Live tokens sharing a name from before are all listed (each keeps it: see
-- docs/deployment.md, Upgrading). Built anew, so running it again changes nothing.
local tokens, live = ARGV[2] .. 'tokens', ARGV[2] .. 'tokens:live-names'
redis.call('DEL', live)
for _, id in ipairs(redis.call('HKEYS', tokens)) do
  local ok, token = pcall(cjson.decode, redis.call('HGET', tokens, id))
  if ok and type(token) == 'table' and type(token['name']) == 'string'
      and (token['revoked_at'] == nil or token['revoked_at'] == cjson.null) then
    redis.call('HSET', live, id, string.lower(token['name']))
  end
end
