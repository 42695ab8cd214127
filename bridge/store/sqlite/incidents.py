"""SQLite's incident archive: table ``incidents``, one row per record (``episodes`` and
``document`` as JSON), upserted whole, fenced when the leader writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bridge.store.codec import ts
from bridge.store.records import IncidentRecord
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.guards import check_fence, from_row, to_row

#: the table's columns, in order (the retention reads them too)
COLUMNS = (
    "id",
    "key",
    "started_at",
    "state",
    "merged_into",
    "episodes",
    "document",
    "settled_at",
)
_JSON = ("episodes", "document")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM incidents"


class SqliteIncidents(SqliteConnection):
    """:class:`bridge.store.interfaces.IncidentArchive` on SQLite."""

    async def save_incidents(
        self, records: Sequence[IncidentRecord], fence: int | None = None
    ) -> None:
        rows = [to_row(r, COLUMNS, _JSON) for r in records]

        def apply(conn: sqlite3.Connection) -> None:
            check_fence(conn, "save_incidents", fence)
            conn.executemany(
                f"INSERT OR REPLACE INTO incidents({', '.join(COLUMNS)}) VALUES (?,?,?,?,?,?,?,?)",
                rows,
            )

        await self._write("save_incidents", apply)

    async def load_incidents(self) -> list[IncidentRecord]:
        rows = await self._read(
            "load_incidents",
            lambda c: c.execute(f"{_SELECT} ORDER BY started_at, id").fetchall(),
        )
        return [from_row(IncidentRecord, COLUMNS, r, _JSON) for r in rows]

    async def get_incident(self, incident_id: str) -> IncidentRecord | None:
        row = await self._read(
            "get_incident",
            lambda c: c.execute(f"{_SELECT} WHERE id=?", (incident_id,)).fetchone(),
        )
        return from_row(IncidentRecord, COLUMNS, row, _JSON) if row else None

    async def live_incidents(self, since: datetime) -> list[IncidentRecord]:
        rows = await self._read(
            "live_incidents",
            lambda c: c.execute(
                f"{_SELECT} WHERE settled_at IS NULL UNION ALL "
                f"{_SELECT} WHERE settled_at >= ? ORDER BY started_at, id",
                (ts(since),),
            ).fetchall(),
        )
        return [from_row(IncidentRecord, COLUMNS, r, _JSON) for r in rows]

    async def incident_page(
        self, state: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[IncidentRecord]:
        where: list[str] = []
        args: list[object] = []
        if state != "all":
            where.append("state=?")
            args.append(state)
        if before is not None:
            where.append("(started_at, id) < (?, ?)")
            args += [ts(before[0]), before[1]]
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self._read(
            "incident_page",
            lambda c: c.execute(
                f"{_SELECT} {clause} ORDER BY started_at DESC, id DESC LIMIT ?",
                (*args, limit),
            ).fetchall(),
        )
        return [from_row(IncidentRecord, COLUMNS, r, _JSON) for r in rows]
