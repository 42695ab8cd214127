"""People's handling of incidents: names, who is on it, notes (:mod:`.book`)."""
