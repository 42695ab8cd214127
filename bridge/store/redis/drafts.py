"""Redis's drafts. Keys (``P`` = prefix): ``P drafts`` (hash: id → draft JSON of
:mod:`bridge.store.record_codec`) with ``P drafts:rev|state|incident`` (hashes: id → indexed
field) and ``P drafts:by-state:S`` and ``P drafts:by-incident:I`` (sets of ids), all written
by ``lua/put_draft.lua`` (revision check, fence, index sets, audit entries in one step)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import redis.asyncio as aioredis

from bridge.store.record_codec import decode, encode
from bridge.store.records import AuditEntry, DraftRecord
from bridge.store.redis.connection import RedisConnection
from bridge.store.redis.guards import audit_args, opt_arg
from bridge.store.redis.replies import raise_if_conflict, raise_if_fenced, text
from bridge.store.revisions import check_follows


class RedisDrafts(RedisConnection):
    """:class:`bridge.store.interfaces.DraftStore` on Redis."""

    async def put_draft(
        self,
        draft: DraftRecord,
        expected_revision: int | None,
        audit: Sequence[AuditEntry],
        fence: int | None = None,
    ) -> None:
        check_follows(draft, expected_revision)
        keys = [
            self._key("drafts"),
            self._key("drafts:rev"),
            self._key("drafts:state"),
            self._key("drafts:incident"),
            self._key("audit:seq"),
            self._key("audit"),
            self._key("lease"),
        ]
        args = [
            self.prefix,
            draft.id,
            opt_arg(expected_revision),
            str(draft.revision),
            draft.state,
            draft.incident_id,
            encode(draft),
            opt_arg(fence),
            *audit_args(audit),
        ]
        result = await self._write("put_draft", "put_draft", keys, args)
        raise_if_fenced("put_draft", result, fence)
        raise_if_conflict(result, f"draft {draft.id}", expected_revision)

    async def get_draft(self, draft_id: str) -> DraftRecord | None:
        found = await self._call("get_draft", lambda c: c.hget(self._key("drafts"), draft_id))
        return None if found is None else decode(found, DraftRecord)

    async def list_drafts(
        self, incident_id: str | None = None, states: Collection[str] | None = None
    ) -> list[DraftRecord]:
        if states is not None and not states:
            return []

        async def read(c: aioredis.Redis) -> list[str]:
            if incident_id is None and states is None:
                return [text(v) for v in await c.hvals(self._key("drafts"))]
            ids: set[str] | None = None
            if incident_id is not None:
                members = await c.smembers(self._key(f"drafts:by-incident:{incident_id}"))
                ids = {text(m) for m in members}
            if states is not None:
                keys = [self._key(f"drafts:by-state:{s}") for s in sorted(states)]
                in_states = {text(m) for m in await c.sunion(keys)}
                ids = in_states if ids is None else ids & in_states
            if not ids:
                return []
            found = await c.hmget(self._key("drafts"), sorted(ids))
            return [text(doc) for doc in found if doc is not None]

        drafts = [decode(found, DraftRecord) for found in await self._call("list_drafts", read)]
        # the index and the documents are read by two commands: filter on the documents
        drafts = [
            d
            for d in drafts
            if (incident_id is None or d.incident_id == incident_id)
            and (states is None or d.state in states)
        ]
        drafts.sort(key=lambda d: d.id)
        return drafts

    async def drafts_of(self, case_ids: Collection[str]) -> list[DraftRecord]:
        wanted = sorted(set(case_ids))
        if not wanted:
            return []

        async def read(c: aioredis.Redis) -> list[str]:
            keys = [self._key(f"drafts:by-incident:{case}") for case in wanted]
            ids = sorted({text(m) for m in await c.sunion(keys)})
            if not ids:
                return []
            found = await c.hmget(self._key("drafts"), ids)
            return [text(doc) for doc in found if doc is not None]

        chosen = set(wanted)
        drafts = [decode(found, DraftRecord) for found in await self._call("drafts_of", read)]
        drafts = [d for d in drafts if d.incident_id in chosen]
        drafts.sort(key=lambda d: d.id)
        return drafts
