"""People and API tokens: the directory over the store (:mod:`.directory`), the ``bridge users``
and ``bridge tokens`` commands (:mod:`.cli`)."""
