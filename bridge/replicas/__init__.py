"""Several replicas on one store: the lease taken and renewed (:mod:`.leadership`) and the
fencing token the leader's writes carry (:mod:`.fence`). Reading what other replicas stored
is part of evaluation (:mod:`bridge.evaluation.replica_sync`)."""
