"""Redis's incident archive. Keys (``P`` = prefix): ``P incidents`` (hash: id → record JSON
of :mod:`bridge.store.record_codec`), written by ``lua/save_incidents.lua`` (fenced)."""

from __future__ import annotations

from collections.abc import Sequence

from bridge.store.record_codec import decode, encode
from bridge.store.records import IncidentRecord
from bridge.store.redis.connection import RedisConnection
from bridge.store.redis.guards import opt_arg
from bridge.store.redis.replies import raise_if_fenced


class RedisIncidents(RedisConnection):
    """:class:`bridge.store.interfaces.IncidentArchive` on Redis."""

    async def save_incidents(
        self, records: Sequence[IncidentRecord], fence: int | None = None
    ) -> None:
        if not records:
            return
        args: list[str] = [opt_arg(fence)]
        for r in records:
            args.append(r.id)
            args.append(encode(r))
        keys = [self._key("incidents"), self._key("lease")]
        result = await self._write("save_incidents", "save_incidents", keys, args)
        raise_if_fenced("save_incidents", result, fence)

    async def load_incidents(self) -> list[IncidentRecord]:
        values = await self._call("load_incidents", lambda c: c.hvals(self._key("incidents")))
        records = [decode(value, IncidentRecord) for value in values]
        records.sort(key=lambda r: (r.started_at, r.id))
        return records

    async def get_incident(self, incident_id: str) -> IncidentRecord | None:
        found = await self._call(
            "get_incident", lambda c: c.hget(self._key("incidents"), incident_id)
        )
        return None if found is None else decode(found, IncidentRecord)
