"""Redis's hand-over count (:class:`bridge.store.interfaces.HandoverCount`). Key (``P`` =
prefix): ``P handovers`` (a counter, absent on a store that never counted one: 0; INCR by
``lua/count_handover.lua``, raised by ``lua/raise_handovers.lua``). Unlike the fencing-token and
change-number counters it has no floor (``lua/_floor.lua``): after a rollback underneath it is
meant to be found lower than the copy kept outside the store."""

from __future__ import annotations

from bridge.store.redis.connection import RedisConnection
from bridge.store.redis.replies import text


class RedisHandovers(RedisConnection):
    """:class:`bridge.store.interfaces.HandoverCount` on Redis."""

    async def count_handover(self) -> int:
        result = await self._write("count_handover", "count_handover", [self._key("handovers")], [])
        return int(result)

    async def handovers(self) -> int:
        found = await self._call("handovers", lambda c: c.get(self._key("handovers")))
        return 0 if found is None else int(text(found))

    async def raise_handovers(self, at_least: int) -> int:
        result = await self._write(
            "raise_handovers", "raise_handovers", [self._key("handovers")], [str(at_least)]
        )
        return int(result)
