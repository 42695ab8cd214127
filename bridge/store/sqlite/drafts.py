"""SQLite's drafts: table ``drafts`` (indexed copies of id, incident, state, revision, time;
``document`` the whole draft), written under the revision check with their audit entries."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

from bridge.store.records import AuditEntry, DraftRecord
from bridge.store.revisions import check_follows
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.guards import (
    audit_rows,
    check_fence,
    from_row,
    to_row,
    write_revised,
)

_COLUMNS = ("id", "incident_id", "state", "revision", "updated_at", "document")
_UPDATED = ("state", "revision", "updated_at", "document")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM drafts"


class SqliteDrafts(SqliteConnection):
    """:class:`bridge.store.interfaces.DraftStore` on SQLite."""

    async def put_draft(
        self,
        draft: DraftRecord,
        expected_revision: int | None,
        audit: Sequence[AuditEntry],
        fence: int | None = None,
    ) -> None:
        check_follows(draft, expected_revision)
        row = to_row(draft, _COLUMNS)
        what = f"draft {draft.id}"
        entries = audit_rows(audit)

        def apply(conn: sqlite3.Connection) -> None:
            check_fence(conn, "put_draft", fence)
            write_revised(conn, "drafts", _COLUMNS, _UPDATED, row, expected_revision, what, entries)

        await self._write("put_draft", apply)

    async def get_draft(self, draft_id: str) -> DraftRecord | None:
        row = await self._read(
            "get_draft", lambda c: c.execute(f"{_SELECT} WHERE id=?", (draft_id,)).fetchone()
        )
        return from_row(DraftRecord, _COLUMNS, row) if row else None

    async def list_drafts(
        self, incident_id: str | None = None, states: Collection[str] | None = None
    ) -> list[DraftRecord]:
        where: list[str] = []
        params: list[Any] = []
        if incident_id is not None:
            where.append("incident_id=?")
            params.append(incident_id)
        if states is not None:
            chosen = sorted(states)
            if not chosen:
                return []
            where.append(f"state IN ({','.join('?' * len(chosen))})")
            params.extend(chosen)
        sql = _SELECT
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        rows = await self._read("list_drafts", lambda c: c.execute(sql, params).fetchall())
        return [from_row(DraftRecord, _COLUMNS, r) for r in rows]

    async def drafts_of(self, case_ids: Collection[str]) -> list[DraftRecord]:
        wanted = sorted(set(case_ids))

        def read(c: sqlite3.Connection) -> list[Any]:
            rows: list[Any] = []
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                rows += c.execute(
                    f"{_SELECT} WHERE incident_id IN ({','.join('?' * len(chunk))})", chunk
                ).fetchall()
            return rows

        rows = await self._read("drafts_of", read) if wanted else []
        drafts = [from_row(DraftRecord, _COLUMNS, r) for r in rows]
        drafts.sort(key=lambda d: d.id)
        return drafts
