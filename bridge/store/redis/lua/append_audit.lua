-- KEYS: schema, audit:seq, audit. ARGV: version, prefix, then target/entry pairs.
append_audit(ARGV[2], KEYS[2], KEYS[3], 3)
return 'ok'
