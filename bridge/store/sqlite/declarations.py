"""SQLite's declarations of significance (schema 8): ``declarations``, one row per incident id
(latest revision), never deleted (by trigger). Written under the revision check with their
audit entries."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bridge.store.records import AuditEntry, DeclarationRecord
from bridge.store.revisions import check_follows
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.guards import audit_rows, from_row, to_row, write_revised

_COLUMNS = ("id", "revision", "updated_at", "document")
_UPDATED = ("revision", "updated_at", "document")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM declarations"


class SqliteDeclarations(SqliteConnection):
    """:class:`bridge.store.interfaces.DeclarationStore` on SQLite."""

    async def put_declaration(
        self, record: DeclarationRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        check_follows(record, expected_revision, "declaration of")
        row = to_row(record, _COLUMNS)
        what = f"declaration of {record.id}"
        entries = audit_rows(audit)

        def apply(conn: sqlite3.Connection) -> None:
            write_revised(
                conn, "declarations", _COLUMNS, _UPDATED, row, expected_revision, what, entries
            )

        await self._write("put_declaration", apply)

    async def get_declaration(self, incident_id: str) -> DeclarationRecord | None:
        row = await self._read(
            "get_declaration",
            lambda c: c.execute(f"{_SELECT} WHERE id=?", (incident_id,)).fetchone(),
        )
        return from_row(DeclarationRecord, _COLUMNS, row) if row else None

    async def list_declarations(self) -> list[DeclarationRecord]:
        rows = await self._read(
            "list_declarations", lambda c: c.execute(f"{_SELECT} ORDER BY id").fetchall()
        )
        return [from_row(DeclarationRecord, _COLUMNS, r) for r in rows]
