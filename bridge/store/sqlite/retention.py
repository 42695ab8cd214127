"""SQLite's retention: counts of the tables (on a connection of their own), incidents page by
page (by id) with their drafts, and deletes of at most a batch per write (one short transaction
in the group commit)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bridge.core.alerts import AlertEpisode
from bridge.core.incidents import EpisodeKey
from bridge.errors import StoreUnavailable
from bridge.store.codec import ts
from bridge.store.records import DraftRecord, IncidentRecord
from bridge.store.sqlite.alerts import _READ_ALERTS, row_to_episode
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.guards import from_row
from bridge.store.sqlite.incidents import COLUMNS as INCIDENT_COLUMNS

_INCIDENT = INCIDENT_COLUMNS
_DRAFT = ("id", "incident_id", "state", "revision", "updated_at", "document")
#: kind → the count query (the draft queries use the drafts_state index)
_COUNTS = {
    "alerts": "SELECT count(*) FROM alerts",
    "deliveries": "SELECT count(*) FROM deliveries",
    "incidents": "SELECT count(*) FROM incidents",
    "drafts": "SELECT count(*) FROM drafts WHERE state <> 'sent'",
    "notices": "SELECT count(*) FROM drafts WHERE state = 'sent'",
    "audit": "SELECT count(*) FROM audit",
    "privacy_cases": "SELECT count(*) FROM privacy_cases",
}
# The newest delivery stays: its id is the change number episodes_since hands out, and SQLite
# would give the next delivery that id again were it deleted.
_OLD_DELIVERIES = (
    "SELECT id FROM deliveries WHERE received_at < ? "
    "AND id < (SELECT max(id) FROM deliveries) ORDER BY id"
)


def _deleted(conn: sqlite3.Connection, sql: str, rows: Sequence[Sequence[object]]) -> int:
    before = conn.total_changes
    conn.executemany(sql, rows)
    return conn.total_changes - before


def _forget_resent(conn: sqlite3.Connection) -> None:
    """Forget re-sent writes none of whose rows carries their number any more (pruned, or
    taken over by a later write): table ``resent``, see alerts.py. The table holds a row per
    write re-sent since, so this reads little."""
    conn.execute(
        "DELETE FROM resent WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE alerts.seq = resent.seq)"
    )


class SqliteRetention(SqliteConnection):
    """:class:`bridge.store.interfaces.RetentionStore` on SQLite."""

    async def count_records(self) -> dict[str, int]:
        # A count walks a table (10^6 alerts: 0.1-0.3 s), so it runs on a connection of its own
        # in a worker thread: WAL lets it read beside the shared reader, which it never holds.
        if self._reader is None:
            raise StoreUnavailable("count_records", "store is not open")
        uri = self.path.resolve().as_uri() + "?mode=ro"

        def count() -> dict[str, int]:
            conn = sqlite3.connect(uri, uri=True, timeout=self.busy_timeout_ms / 1000)
            try:
                return {kind: int(conn.execute(q).fetchone()[0]) for kind, q in _COUNTS.items()}
            finally:
                conn.close()

        try:
            return await asyncio.to_thread(count)
        except sqlite3.Error as exc:
            raise StoreUnavailable("count_records", str(exc)) from exc

    async def retention_page(
        self, cursor: str, limit: int
    ) -> tuple[list[IncidentRecord], list[DraftRecord], str]:
        # decoded in the reader thread too: a page of documents is the largest piece of work
        # a pass does, and the event loop only receives the records
        def read(c: sqlite3.Connection) -> tuple[list[IncidentRecord], list[DraftRecord]]:
            rows = c.execute(
                f"SELECT {', '.join(_INCIDENT)} FROM incidents WHERE id > ? ORDER BY id LIMIT ?",
                (cursor, limit),
            ).fetchall()
            ids = [r[0] for r in rows]
            draft_rows = c.execute(
                f"SELECT {', '.join(_DRAFT)} FROM drafts "
                f"WHERE incident_id IN ({','.join('?' * len(ids))}) ORDER BY id",
                ids,
            ).fetchall()
            return (
                [from_row(IncidentRecord, _INCIDENT, r, ("episodes", "document")) for r in rows],
                [from_row(DraftRecord, _DRAFT, r) for r in draft_rows],
            )

        incidents, drafts = await self._read("retention_page", read)
        following = incidents[-1].id if len(incidents) == limit else ""
        return incidents, drafts, following

    async def count_deliveries_before(self, before: datetime) -> int:
        return await self._read(
            "count_deliveries_before",
            lambda c: int(
                c.execute(f"SELECT count(*) FROM ({_OLD_DELIVERIES})", (ts(before),)).fetchone()[0]
            ),
        )

    async def prune_deliveries(self, before: datetime, batch: int) -> int:
        def apply(conn: sqlite3.Connection) -> int:
            went = conn.execute(
                f"DELETE FROM deliveries WHERE id IN ({_OLD_DELIVERIES} LIMIT ?)",
                (ts(before), batch),
            ).rowcount
            _forget_resent(conn)  # also those whose alerts a later write took over
            return went

        return await self._write("prune_deliveries", apply)

    async def prune_truncation(
        self, before: datetime | None, cleared_before: datetime, cursor: str, batch: int
    ) -> tuple[int, str]:
        # by rowid (kept by the upsert): each call reads the next ``batch`` rows, no index
        # needed, however many a store written before only non-zero counts were kept holds
        old = ts(before) if before is not None else ""
        cleared = ts(cleared_before)

        def apply(conn: sqlite3.Connection) -> tuple[int, str]:
            rows = conn.execute(
                "SELECT rowid FROM group_truncation WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (int(cursor or 0), batch),
            ).fetchall()
            if not rows:
                return 0, ""
            went = _deleted(
                conn,
                "DELETE FROM group_truncation WHERE rowid = ? "
                "AND (updated_at < ? OR (truncated = 0 AND updated_at < ?))",
                [(r[0], old, cleared) for r in rows],
            )
            return went, str(rows[-1][0]) if len(rows) == batch else ""

        return await self._write("prune_truncation", apply)

    async def resolved_before(
        self, before: datetime, cursor: str, limit: int
    ) -> tuple[list[AlertEpisode], str]:
        # along the index alerts_live (status, ends_at, then the row id): no sort, each page
        # starts where the last one ended; the cursor is that row's "ends_at id"
        at = ts(before)
        after_end, _, after_id = cursor.partition(" ")
        sql = (
            _READ_ALERTS.replace("SELECT ", "SELECT a.id, ", 1)
            + " WHERE a.status = 'resolved' AND (a.ends_at, a.id) > (?, ?) AND a.ends_at <= ? "
            "AND a.first_seen <= ? ORDER BY a.ends_at, a.id LIMIT ?"
        )

        def read(c: sqlite3.Connection) -> list[tuple[object, ...]]:
            return c.execute(sql, (after_end, int(after_id or 0), at, at, limit)).fetchall()

        rows = await self._read("resolved_before", read)
        following = f"{rows[-1][4]} {rows[-1][0]}" if len(rows) == limit else ""
        return [row_to_episode(r[1:]) for r in rows], following

    async def count_episodes(self, keys: Sequence[EpisodeKey]) -> int:
        rows = [(fingerprint, ts(starts_at)) for fingerprint, starts_at in keys]
        sql = "SELECT 1 FROM alerts WHERE fingerprint=? AND starts_at=?"
        return await self._read(
            "count_episodes", lambda c: sum(1 for r in rows if c.execute(sql, r).fetchone())
        )

    async def prune_episodes(self, keys: Sequence[EpisodeKey]) -> int:
        rows = [(fingerprint, ts(starts_at)) for fingerprint, starts_at in keys]
        sql = "DELETE FROM alerts WHERE fingerprint=? AND starts_at=?"

        def prune(c: sqlite3.Connection) -> int:
            deleted = _deleted(c, sql, rows)
            _forget_resent(c)
            return deleted

        return await self._write("prune_episodes", prune)

    async def prune_drafts(self, drafts: Sequence[tuple[str, int]]) -> int:
        rows = list(drafts)
        sql = "DELETE FROM drafts WHERE id=? AND revision=?"
        return await self._write("prune_drafts", lambda c: _deleted(c, sql, rows))

    async def prune_incidents(self, ids: Sequence[str]) -> int:
        rows = [(i,) for i in ids]
        sql = "DELETE FROM incidents WHERE id=?"
        return await self._write("prune_incidents", lambda c: _deleted(c, sql, rows))
