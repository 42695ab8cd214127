"""Several replicas on one store: the lease and its fencing token (:mod:`.leadership`)."""
