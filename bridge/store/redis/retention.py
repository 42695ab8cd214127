"""Redis's retention: counts from the sizes of hashes, sets and lists (no document is read),
incidents page by page (``HSCAN`` of ``P incidents``) with their drafts, and deletes of at most
a batch per script (``lua/prune_*.lua``). Deliveries go from the list's oldest end, in arrival
order, and stop at the first one received at or after the cut-off."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

import redis.asyncio as aioredis

from bridge.core.alerts import AlertEpisode
from bridge.core.incidents import EpisodeKey
from bridge.store.codec import loads, ts
from bridge.store.record_codec import decode
from bridge.store.records import DraftRecord, IncidentRecord
from bridge.store.redis.alerts import episode
from bridge.store.redis.connection import RedisConnection
from bridge.store.redis.replies import text

_READ_CHUNK = 1000  # deliveries read per command when counting


class RedisRetention(RedisConnection):
    """:class:`bridge.store.interfaces.RetentionStore` on Redis."""

    async def count_records(self) -> dict[str, int]:
        async def read(c: aioredis.Redis) -> list[int]:
            async with c.pipeline(transaction=False) as pipe:
                pipe.hlen(self._key("alerts"))
                pipe.llen(self._key("deliveries"))
                pipe.hlen(self._key("incidents"))
                pipe.hlen(self._key("drafts"))
                pipe.scard(self._key("drafts:by-state:sent"))
                pipe.zcard(self._key("audit"))
                pipe.hlen(self._key("privacy"))
                return [int(n) for n in await pipe.execute()]

        alerts, deliveries, incidents, drafts, sent, audit, privacy = await self._call(
            "count_records", read
        )
        return {
            "alerts": alerts,
            "deliveries": deliveries,
            "incidents": incidents,
            "drafts": drafts - sent,
            "notices": sent,
            "audit": audit,
            "privacy_cases": privacy,
        }

    async def retention_page(
        self, cursor: str, limit: int
    ) -> tuple[list[IncidentRecord], list[DraftRecord], str]:
        async def read(
            c: aioredis.Redis,
        ) -> tuple[int, list[bytes | str], list[bytes | str]]:
            following, found = await c.hscan(
                self._key("incidents"), cursor=int(cursor or 0), count=limit
            )
            ids = [text(i) for i in found]
            draft_ids: set[str] = set()
            if ids:
                async with c.pipeline(transaction=False) as pipe:
                    for i in ids:
                        pipe.smembers(self._key(f"drafts:by-incident:{i}"))
                    for members in await pipe.execute():
                        draft_ids.update(text(m) for m in members)
            drafts = await c.hmget(self._key("drafts"), sorted(draft_ids)) if draft_ids else []
            assert isinstance(found, dict)  # HSCAN of a hash: field → value
            return int(following), list(found.values()), [d for d in drafts if d is not None]

        following, values, draft_values = await self._call("retention_page", read)

        def decoded() -> tuple[list[IncidentRecord], list[DraftRecord]]:
            incidents = sorted((decode(v, IncidentRecord) for v in values), key=lambda r: r.id)
            ids = {r.id for r in incidents}
            # the index and the documents are read by two commands: keep the drafts still theirs
            drafts = [decode(v, DraftRecord) for v in draft_values]
            return incidents, sorted(
                (d for d in drafts if d.incident_id in ids), key=lambda d: d.id
            )

        # a page of documents is the largest piece of work a pass does: decoded off the loop
        incidents, drafts = await asyncio.to_thread(decoded)
        return incidents, drafts, str(following) if following else ""

    async def count_deliveries_before(self, before: datetime) -> int:
        cut = ts(before)
        key = self._key("deliveries")
        stored = await self._call("count_deliveries_before", lambda c: c.llen(key))
        n = 0
        while n < stored - 1:  # the newest always stays
            end = -1 - n
            chunk = await self._call(
                "count_deliveries_before",
                lambda c, end=end: c.lrange(key, end - _READ_CHUNK + 1, end),  # type: ignore[misc]
            )
            for row in reversed(chunk):  # oldest first
                if n == stored - 1 or loads(row)["received_at"] >= cut:
                    return n
                n += 1
            if len(chunk) < _READ_CHUNK:
                break
        return max(n, 0)

    async def prune_deliveries(self, before: datetime, batch: int) -> int:
        keys = [self._key("deliveries")]
        n = await self._write("prune_deliveries", "prune_deliveries", keys, [ts(before), batch])
        return int(n)

    async def prune_truncation(
        self, before: datetime | None, cleared_before: datetime, cursor: str, batch: int
    ) -> tuple[int, str]:
        key = self._key("truncation")

        async def scan(c: aioredis.Redis) -> tuple[int, list[bytes | str]]:
            following, found = await c.hscan(key, cursor=int(cursor or 0), count=batch)
            return int(following), list(found)

        following, fields = await self._call("prune_truncation", scan)
        went = 0
        if fields:  # the script reads each again: one updated meanwhile stays
            args = [ts(before) if before is not None else "", ts(cleared_before), *fields]
            went = int(await self._write("prune_truncation", "prune_truncation", [key], args))
        return went, str(following) if following else ""

    async def resolved_before(
        self, before: datetime, cursor: str, limit: int
    ) -> tuple[list[AlertEpisode], str]:
        # alerts:ends holds "END|field" for a resolved episode (fixed-width END: lex order is
        # time order; "~|field" while firing sorts after every END); "}" sorts after "|", so
        # the bound takes the episodes that ended at ``before`` too. The cursor is the last
        # member read.
        ends, alerts = self._key("alerts:ends"), self._key("alerts")
        low = f"({cursor}" if cursor else "-"
        high = f"({ts(before)}}}"

        async def read(c: aioredis.Redis) -> tuple[list[bytes | str], list[bytes | str | None]]:
            members = await c.zrangebylex(ends, low, high, start=0, num=limit)
            fields = [text(m).split("|", 1)[1] for m in members]
            return members, (await c.hmget(alerts, fields) if fields else [])

        members, values = await self._call("resolved_before", read)
        found = [episode(v) for v in values if v is not None]
        going = [ep for ep in found if ep.status == "resolved" and ep.first_seen <= before]
        return going, text(members[-1]) if len(members) == limit else ""

    async def count_episodes(self, keys: Sequence[EpisodeKey]) -> int:
        if not keys:
            return 0
        fields = [f"{fingerprint}\n{ts(starts_at)}" for fingerprint, starts_at in keys]
        key = self._key("alerts")

        async def read(c: aioredis.Redis) -> int:
            async with c.pipeline(transaction=False) as pipe:
                for field in fields:
                    pipe.hexists(key, field)
                return sum(1 for found in await pipe.execute() if found)

        return await self._call("count_episodes", read)

    async def prune_episodes(self, keys: Sequence[EpisodeKey]) -> int:
        if not keys:
            return 0
        fields = [f"{fingerprint}\n{ts(starts_at)}" for fingerprint, starts_at in keys]
        script_keys = [
            self._key("alerts"),
            self._key("alerts:changes"),
            self._key("alerts:ends"),
            self._key("alerts:resent"),
            self._key("alerts:resent:changes"),
        ]
        return int(await self._write("prune_episodes", "prune_episodes", script_keys, fields))

    async def prune_drafts(self, drafts: Sequence[tuple[str, int]]) -> int:
        if not drafts:
            return 0
        keys = [
            self._key("drafts"),
            self._key("drafts:rev"),
            self._key("drafts:state"),
            self._key("drafts:incident"),
        ]
        args = [self.prefix, *(v for d, r in drafts for v in (d, str(r)))]
        return int(await self._write("prune_drafts", "prune_drafts", keys, args))

    async def prune_incidents(self, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        keys = [
            self._key("incidents"),
            self._key("incidents:start"),
            self._key("incidents:by-start"),
            self._key("incidents:unsettled"),
            self._key("incidents:settled"),
        ]
        return int(await self._write("prune_incidents", "prune_incidents", keys, list(ids)))
