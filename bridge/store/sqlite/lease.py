"""SQLite's lease: table ``lease`` (one row per lease name: holder, fencing token, expiry in
epoch seconds on this host's clock). Writes of other concerns check it through :mod:`.guards`.

The token grows whenever the holder changes; the same holder taking its own lapsed lease again
gets the same token (nobody can have written under another meanwhile:
:meth:`bridge.replicas.leadership.Leadership.lost`). Holders are processes
(:func:`bridge.replicas.leadership.lease_holder`), so a restarted bridge gets a new token."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta

from bridge.store.interfaces import LEADER_LEASE
from bridge.store.records import Lease
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.guards import read_lease


class SqliteLease(SqliteConnection):
    """:class:`bridge.store.interfaces.LeaseStore` on SQLite."""

    async def acquire_lease(self, holder: str, ttl: timedelta) -> int | None:
        def apply(conn: sqlite3.Connection) -> int | None:
            now = time.time()
            row = read_lease(conn)
            if row is not None and row[0] != holder and row[2] > now:
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
