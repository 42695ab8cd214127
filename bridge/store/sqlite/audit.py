"""SQLite's audit log: table ``audit`` (``seq`` its AUTOINCREMENT key; triggers refuse every
UPDATE and DELETE). Writes of other concerns append through :mod:`.guards`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bridge.store.records import AuditEntry
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.guards import AUDIT_COLUMNS, audit_rows, from_row, insert_audit

_COLUMNS = ("seq", *AUDIT_COLUMNS)


class SqliteAudit(SqliteConnection):
    """:class:`bridge.store.interfaces.AuditLog` on SQLite."""

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        rows = audit_rows(entries)
        if rows:
            await self._write("append_audit", lambda c: insert_audit(c, rows))

    async def audit_log(
        self, limit: int = 100, before_seq: int | None = None, target: str | None = None
    ) -> list[AuditEntry]:
        where: list[str] = []
        params: list[Any] = []
        if before_seq is not None:
            where.append("seq < ?")
            params.append(before_seq)
        if target is not None:
            where.append("target = ?")
            params.append(target)
        sql = f"SELECT {', '.join(_COLUMNS)} FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit)
        rows = await self._read("audit_log", lambda c: c.execute(sql, params).fetchall())
        return [from_row(AuditEntry, _COLUMNS, r, json=("detail",)) for r in rows]
