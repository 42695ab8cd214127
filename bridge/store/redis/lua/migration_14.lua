-- schema 14: the target index holds each entry's seq (P audit:by-target:T, the seq zero-padded
-- to 20 digits scored by seq, as P audit:actor:A and P audit:incident:X do) instead of the
-- entry's JSON again (P audit:target:T): about 250 bytes of memory an entry kept twice. Stepped:
-- each step moves the next budget entries of P audit in seq order after the progress's seq
-- (its target read from its JSON) from the old index to the new; entries a bridge of schema 13
-- appends meanwhile (to P audit:target:T) get higher seqs, so a later step moves them. The old
-- index empties as it goes (Redis drops an empty key), so memory grows by no more than a step;
-- a bridge of schema 13 reading by target meanwhile sees only the entries not yet moved.
local after = tonumber(redis.call('HGET', progress, 'seq')) or 0
local entries = redis.call('ZRANGEBYSCORE', prefix .. 'audit', '(' .. string.format('%.0f', after),
                           '+inf', 'WITHSCORES', 'LIMIT', 0, budget)
for i = 1, #entries, 2 do
  local target = cjson.decode(entries[i])['target']
  local seq = entries[i + 1]
  if type(target) == 'string' then
    redis.call('ZADD', prefix .. 'audit:by-target:' .. target, seq,
               string.format('%020d', tonumber(seq)))
    redis.call('ZREMRANGEBYSCORE', prefix .. 'audit:target:' .. target, seq, seq)
  end
  after = tonumber(seq)
end
if #entries / 2 >= budget then
  redis.call('HSET', progress, 'seq', string.format('%.0f', after))
  return string.format('audit entries moved up to seq %.0f', after)
end
