"""The privacy track: privacy cases and what they owe (:mod:`.desk`), the register's exports
(:mod:`.register_export`)."""
