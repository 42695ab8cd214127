-- KEYS: schema, audit:seq, audit. ARGV: version, prefix, then audit entries, five arguments each (_append_audit.lua).
append_audit(ARGV[2], KEYS[2], KEYS[3], 3)
return 'ok'
