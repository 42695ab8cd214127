"""Redis's incident archive. Keys (``P`` = prefix): ``P incidents`` (hash: id → record JSON
of :mod:`bridge.store.record_codec`), written by ``lua/save_incidents.lua`` (fenced) with its
indexes: ``P incidents:start`` (hash: id → ``STARTED|id``), ``P incidents:by-start`` (sorted
set, lex, of those members: pages newest first), ``P incidents:unsettled`` (set of ids) and
``P incidents:settled`` (sorted set: id scored by ``settled_at`` in epoch seconds)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis

from bridge.store.codec import ts
from bridge.store.record_codec import decode, encode
from bridge.store.records import IncidentRecord
from bridge.store.redis.connection import RedisConnection
from bridge.store.redis.guards import opt_arg
from bridge.store.redis.replies import raise_if_fenced, text


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
            args.append(_start_member(r.started_at, r.id))
            args.append("" if r.settled_at is None else repr(r.settled_at.timestamp()))
        keys = [
            self._key("incidents"),
            self._key("lease"),
            self._key("incidents:start"),
            self._key("incidents:by-start"),
            self._key("incidents:unsettled"),
            self._key("incidents:settled"),
        ]
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

    async def live_incidents(self, since: datetime) -> list[IncidentRecord]:
        async def read(c: aioredis.Redis) -> list[Any]:
            async with c.pipeline(transaction=True) as pipe:
                pipe.smembers(self._key("incidents:unsettled"))
                pipe.zrangebyscore(self._key("incidents:settled"), since.timestamp(), "+inf")
                unsettled, settled = await pipe.execute()
            ids = sorted({text(i) for i in unsettled} | {text(i) for i in settled})
            return await c.hmget(self._key("incidents"), ids) if ids else []

        values = await self._call("live_incidents", read)
        records = [decode(v, IncidentRecord) for v in values if v is not None]
        records.sort(key=lambda r: (r.started_at, r.id))
        return records

    async def incident_page(
        self, state: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[IncidentRecord]:
        top = "+" if before is None else "(" + _start_member(*before)
        out: list[IncidentRecord] = []
        batch = max(limit, 100)
        while len(out) < limit:
            members, values = await self._call("incident_page", self._page_of(top, batch))
            if not members:
                break
            for value in values:
                if value is None:
                    continue
                record = decode(value, IncidentRecord)
                if state == "all" or record.state == state:
                    out.append(record)
            top = "(" + text(members[-1])
            if len(members) < batch:
                break
        return out[:limit]

    def _page_of(
        self, top: str, batch: int
    ) -> Callable[[aioredis.Redis], Awaitable[tuple[list[Any], list[Any]]]]:
        """A read of up to ``batch`` by-start members below ``top`` and their records."""

        async def read(c: aioredis.Redis) -> tuple[list[Any], list[Any]]:
            members = await c.zrevrangebylex(
                self._key("incidents:by-start"), top, "-", start=0, num=batch
            )
            ids = [text(m).rsplit("|", 1)[1] for m in members]
            values = await c.hmget(self._key("incidents"), ids) if ids else []
            return list(members), list(values)

        return read


def _start_member(started_at: datetime, incident_id: str) -> str:
    """The by-start index's member: stored text of the start (fixed width), then the id."""
    return f"{ts(started_at)}|{incident_id}"
