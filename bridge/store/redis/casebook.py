"""Redis's casebook (schema 6). Keys (``P`` = prefix): ``P casebook`` (hash: incident id →
record JSON of :mod:`bridge.store.record_codec`), ``P casebook:rev`` and ``P casebook:number``
(hashes: id → revision / number) and ``P casebook:counter`` (the last number given, INCR in the
same script that creates the records: ``lua/open_casebook.lua``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from bridge.errors import Conflict
from bridge.store.record_codec import decode, encode
from bridge.store.records import AuditEntry, CasebookRecord
from bridge.store.redis.connection import RedisConnection
from bridge.store.redis.guards import audit_args
from bridge.store.redis.replies import raise_if_conflict
from bridge.store.revisions import check_revision


class RedisCasebook(RedisConnection):
    """:class:`bridge.store.interfaces.Casebook` on Redis."""

    def _casebook_keys(self) -> list[str]:
        return [self._key(k) for k in ("casebook", "casebook:rev", "casebook:number")]

    async def open_casebook(self, incident_id: str, at: datetime) -> CasebookRecord:
        return (await self.open_casebooks([incident_id], at))[incident_id]

    async def open_casebooks(
        self, incident_ids: Sequence[str], at: datetime
    ) -> dict[str, CasebookRecord]:
        wanted = list(dict.fromkeys(incident_ids))  # once each, in order
        if not wanted:
            return {}
        args: list[str] = []
        for incident_id in wanted:
            args.append(incident_id)
            args.append(encode(CasebookRecord(incident_id, 0, 1, at), omit=("number",)))
        stored = await self._write(
            "open_casebooks",
            "open_casebook",
            [*self._casebook_keys(), self._key("casebook:counter")],
            args,
        )
        records = [decode(text, CasebookRecord) for text in stored]
        return {r.incident_id: r for r in records}

    async def put_casebook(
        self, record: CasebookRecord, expected_revision: int, audit: Sequence[AuditEntry]
    ) -> None:
        what = f"casebook {record.incident_id}"
        check_revision(what, record.revision, expected_revision)
        result = await self._write(
            "put_casebook",
            "put_casebook",
            [*self._casebook_keys(), self._key("audit:seq"), self._key("audit")],
            [
                self.prefix,
                record.incident_id,
                str(expected_revision),
                str(record.revision),
                str(record.number),
                encode(record),
                *audit_args(audit),
            ],
        )
        raise_if_conflict(result, what, expected_revision)
        if isinstance(result, list) and result and result[0] == "number":
            raise Conflict(what, f"its number is not {record.number}")

    async def get_casebook(self, incident_id: str) -> CasebookRecord | None:
        found = await self._call(
            "get_casebook", lambda c: c.hget(self._key("casebook"), incident_id)
        )
        return None if found is None else decode(found, CasebookRecord)

    async def casebooks(self, incident_ids: Collection[str]) -> dict[str, CasebookRecord]:
        wanted = sorted(set(incident_ids))
        if not wanted:
            return {}
        values = await self._call("casebooks", lambda c: c.hmget(self._key("casebook"), wanted))
        records = [decode(v, CasebookRecord) for v in values if v is not None]
        return {r.incident_id: r for r in records}

    async def list_casebooks(self) -> list[CasebookRecord]:
        values = await self._call("list_casebooks", lambda c: c.hvals(self._key("casebook")))
        return sorted((decode(v, CasebookRecord) for v in values), key=lambda r: r.number)
