-- Groups re-sent unchanged (seen_again.lua) leave their episodes' values and scores as they
-- are: P alerts:resent (hash: the change number of the write whose episodes were re-sent →
-- "C|T", the change number of its latest re-send and the last_seen that left) and
-- P alerts:resent:changes (zset: that write, scored by C). An episode's value as stored is its
-- value with last_seen the later of its own and T of its write (its score in alerts:changes):
-- folded(). ``memo`` (a table per script run) keeps each write's T, or false.
local function folded(value, field, changes, resent, memo)
  local write = redis.call('ZSCORE', changes, field)
  if not write then return value end
  local at = memo[write]
  if at == nil then
    local kept = redis.call('HGET', resent, write)
    at = kept and string.match(kept, '|(.*)$') or false
    memo[write] = at
  end
  if not at then return value end
  local head, last, rest = string.match(value, '^([^|]*|[^|]*|[^|]*|)([^|]*)(|.*)$')
  if at > last then return head .. at .. rest end
  return value
end
