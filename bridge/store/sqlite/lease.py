"""SQLite's lease: table ``lease`` (one row per lease name: holder, fencing token, expiry in
epoch seconds on this host's clock). Writes of other concerns check it through :mod:`.guards`.

The token grows whenever the holder changes; the same holder taking its own lapsed lease again
gets the same token (nobody can have written under another meanwhile:
:meth:`bridge.replicas.leadership.Leadership.lost`). Holders are processes
(:mod:`bridge.store.holders`), so a restarted bridge gets a new token.

A store opened by the ``bridge serve`` that holds the file's serve lock (``sole``,
:mod:`.sole`) takes at once a lease another process holder left behind: no other ``serve`` runs
on this file, so that process is gone (killed) and waiting for its lease to expire would only
keep the restarted bridge from leading. A bare-name holder (a bridge from before the lock) is
waited out as before."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta

from bridge.store.holders import is_process_holder
from bridge.store.interfaces import LEADER_LEASE
from bridge.store.records import Lease
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.guards import read_lease


class SqliteLease(SqliteConnection):
    """:class:`bridge.store.interfaces.LeaseStore` on SQLite."""

    #: this process holds the file's serve lock (set by ``bridge serve``; see the docstring)
    sole = False

    async def acquire_lease(self, holder: str, ttl: timedelta) -> int | None:
        def apply(conn: sqlite3.Connection) -> int | None:
            now = time.time()
            row = read_lease(conn)
            if row is not None and self._held_by_another(row[0], row[2], holder, now):
                return None
            token = 1 if row is None else row[1] + (0 if row[0] == holder else 1)
            conn.execute(
                "INSERT INTO lease(name, holder, token, expires_at) VALUES (?,?,?,?) "
                "ON CONFLICT(name) DO UPDATE SET holder=excluded.holder, token=excluded.token, "
                "expires_at=excluded.expires_at",
                (LEADER_LEASE, holder, token, now + ttl.total_seconds()),
            )
            return token

        return await self._write("acquire_lease", apply, first=True)

    def _held_by_another(self, other: str, expires_at: float, holder: str, now: float) -> bool:
        """Held, unexpired, by a holder that is not ``holder`` nor a process gone (``sole``)."""
        if other == holder or expires_at <= now:
            return False
        return not (self.sole and is_process_holder(other))

    async def release_lease(self, holder: str) -> None:
        def apply(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE lease SET expires_at=0 WHERE name=? AND holder=?", (LEADER_LEASE, holder)
            )

        await self._write("release_lease", apply)

    async def current_lease(self) -> Lease | None:
        row = await self._read("current_lease", read_lease)
        if row is None or row[2] <= time.time():
            return None
        return Lease(row[0], row[1])
