"""Redis's audit log. Keys (``P`` = prefix): ``P audit:seq`` (counter), ``P audit`` and
``P audit:target:T`` (sorted sets scored by seq, members the entry JSON with its seq). Entries
get their ``seq`` from ``INCR`` inside the same script as the entry (``lua/_append_audit.lua``,
shared by every script that appends); append-only by discipline (Redis has no triggers to
enforce it as SQLite does)."""

from __future__ import annotations

from collections.abc import Sequence

from bridge.store.record_codec import decode
from bridge.store.records import AuditEntry
from bridge.store.redis.connection import RedisConnection
from bridge.store.redis.guards import audit_args


class RedisAudit(RedisConnection):
    """:class:`bridge.store.interfaces.AuditLog` on Redis."""

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        if entries:
            await self._write(
                "append_audit",
                "append_audit",
                [self._key("audit:seq"), self._key("audit")],
                [self.prefix, *audit_args(entries)],
            )

    async def audit_log(
        self, limit: int = 100, before_seq: int | None = None, target: str | None = None
    ) -> list[AuditEntry]:
        if limit <= 0:
            return []
        key = self._key("audit") if target is None else self._key(f"audit:target:{target}")
        top = "+inf" if before_seq is None else f"({before_seq}"
        rows = await self._call(
            "audit_log", lambda c: c.zrevrangebyscore(key, top, "-inf", start=0, num=limit)
        )
        return [decode(row, AuditEntry) for row in rows if isinstance(row, str | bytes)]
