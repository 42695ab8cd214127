"""The evaluation stage: webhook bodies made durable and admitted (:mod:`.ingest`), the engine
kept current on ingest and on a timer (:mod:`.evaluator`), built and restored from
configuration and the store (:mod:`.engine`, :mod:`.restore`), incidents persisted
(:mod:`.persistence`) and read (:mod:`.incidents`), and what other replicas stored read in
(:mod:`.replica_sync`)."""
