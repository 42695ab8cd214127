"""SQLite's hand-over count (:class:`bridge.store.interfaces.HandoverCount`): the ``meta`` row
``handovers`` (absent on a store that never counted one: 0), changed inside the writer's
transaction (one writer: the read and the increment are one atomic step)."""

from __future__ import annotations

import sqlite3

from bridge.store.sqlite.connection import SqliteConnection

_READ = "SELECT CAST(value AS INTEGER) FROM meta WHERE key='handovers'"


def _count(conn: sqlite3.Connection) -> int:
    row = conn.execute(_READ).fetchone()
    return 0 if row is None else int(row[0])


class SqliteHandovers(SqliteConnection):
    """:class:`bridge.store.interfaces.HandoverCount` on SQLite."""

    async def count_handover(self) -> int:
        def apply(conn: sqlite3.Connection) -> int:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES('handovers', '1') ON CONFLICT(key) "
                "DO UPDATE SET value=CAST(value AS INTEGER)+1"
            )
            return _count(conn)

        return await self._write("count_handover", apply)

    async def handovers(self) -> int:
        return await self._read("handovers", _count)

    async def raise_handovers(self, at_least: int) -> int:
        def apply(conn: sqlite3.Connection) -> int:
            if _count(conn) < at_least:
                conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES('handovers', ?)",
                    (str(at_least),),
                )
            return _count(conn)

        return await self._write("raise_handovers", apply)
