-- One more hand-over to the mail relay. KEYS: schema, handovers. ARGV: version. Returns the
-- new count.
return redis.call('INCR', KEYS[2])
