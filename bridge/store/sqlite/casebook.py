"""SQLite's casebook (schema 6): ``casebook`` (one row per incident: number, revision, people's
document), numbered from the ``meta`` row ``casebook_number`` inside the writer's transaction
(one writer: the read and the increment are one atomic step)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from bridge.errors import Conflict
from bridge.store.records import AuditEntry, CasebookRecord
from bridge.store.revisions import check_revision
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.guards import (
    audit_rows,
    check_stored_revision,
    from_row,
    insert_audit,
    to_row,
)

_COLUMNS = ("incident_id", "number", "revision", "updated_at", "document")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM casebook"


class SqliteCasebook(SqliteConnection):
    """:class:`bridge.store.interfaces.Casebook` on SQLite."""

    async def open_casebook(self, incident_id: str, at: datetime) -> CasebookRecord:
        return (await self.open_casebooks([incident_id], at))[incident_id]

    async def open_casebooks(
        self, incident_ids: Sequence[str], at: datetime
    ) -> dict[str, CasebookRecord]:
        def apply(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
            rows: list[tuple[object, ...]] = []
            for incident_id in dict.fromkeys(incident_ids):  # once each, in order
                row = conn.execute(f"{_SELECT} WHERE incident_id=?", (incident_id,)).fetchone()
                if row is not None:
                    rows.append(tuple(row))
                    continue
                conn.execute(
                    "UPDATE meta SET value=CAST(value AS INTEGER)+1 WHERE key='casebook_number'"
                )
                (number,) = conn.execute(
                    "SELECT CAST(value AS INTEGER) FROM meta WHERE key='casebook_number'"
                ).fetchone()
                fresh = to_row(CasebookRecord(incident_id, int(number), 1, at), _COLUMNS)
                conn.execute(
                    f"INSERT INTO casebook({', '.join(_COLUMNS)}) VALUES (?,?,?,?,?)", fresh
                )
                rows.append(fresh)
            return rows

        rows = await self._write("open_casebooks", apply)
        records = [from_row(CasebookRecord, _COLUMNS, r) for r in rows]
        return {r.incident_id: r for r in records}

    async def put_casebook(
        self, record: CasebookRecord, expected_revision: int, audit: Sequence[AuditEntry]
    ) -> None:
        what = f"casebook {record.incident_id}"
        check_revision(what, record.revision, expected_revision)
        row = to_row(record, _COLUMNS)
        entries = audit_rows(audit)

        def apply(conn: sqlite3.Connection) -> None:
            check_stored_revision(
                conn, "casebook", "incident_id", record.incident_id, expected_revision, what
            )
            changed = conn.execute(
                "UPDATE casebook SET revision=?, updated_at=?, document=? "
                "WHERE incident_id=? AND number=?",
                (row[2], row[3], row[4], row[0], row[1]),
            ).rowcount
            if changed != 1:
                raise Conflict(what, f"its number is not {record.number}")
            insert_audit(conn, entries)

        await self._write("put_casebook", apply)

    async def get_casebook(self, incident_id: str) -> CasebookRecord | None:
        row = await self._read(
            "get_casebook",
            lambda c: c.execute(f"{_SELECT} WHERE incident_id=?", (incident_id,)).fetchone(),
        )
        return from_row(CasebookRecord, _COLUMNS, row) if row else None

    async def casebooks(self, incident_ids: Collection[str]) -> dict[str, CasebookRecord]:
        wanted = sorted(set(incident_ids))

        def read(c: sqlite3.Connection) -> list[Any]:
            rows: list[Any] = []
            for at in range(0, len(wanted), 500):
                chunk = wanted[at : at + 500]
                marks = ",".join("?" * len(chunk))
                query = f"{_SELECT} WHERE incident_id IN ({marks})"
                rows.extend(c.execute(query, chunk).fetchall())
            return rows

        records = [
            from_row(CasebookRecord, _COLUMNS, r) for r in await self._read("casebooks", read)
        ]
        return {r.incident_id: r for r in records}

    async def list_casebooks(self) -> list[CasebookRecord]:
        rows = await self._read(
            "list_casebooks", lambda c: c.execute(f"{_SELECT} ORDER BY number").fetchall()
        )
        return [from_row(CasebookRecord, _COLUMNS, r) for r in rows]
