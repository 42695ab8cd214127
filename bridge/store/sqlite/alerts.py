"""SQLite's alert log: episodes merged in SQL (table ``alerts``), deliveries, truncation.

The merge runs inside SQLite (one upsert per chunk of episodes) with the GIL released; the
delivery's row id is the change number of every episode it writes (``alerts.seq``,
:meth:`episodes_since`). A group re-sent unchanged (:meth:`SqliteAlerts.seen_again`) writes one
row of table ``resent``, keyed by the write whose rows it re-sends (their ``seq``, kept): the
change number of its latest re-send and the ``last_seen`` it left. Every read gives a row's
``last_seen`` as the later of its own and that one (:data:`_READ_ALERTS`), and a write that
takes a row over folds it in (the upsert), so the store holds per alert what it held when each
re-send rewrote every row, at the cost of one row per re-send (rewriting 1 000 rows, their
``seq`` index entries and the WAL pages they sit in cost the writer 2-3 ms per re-send).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from bridge.core.alerts import AlertEpisode, Delivery
from bridge.store.codec import dumps, loads, opt_parse_ts, opt_ts, parse_ts, ts
from bridge.store.records import DeliveryRecord
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.guards import from_row, to_row

_ALERT_COLUMNS = (
    "fingerprint, starts_at, status, ends_at, labels, annotations, first_seen, last_seen, "
    "generator_url, group_key"
)
# What every read gives: the row, its last_seen the later of its own and the one its write's
# latest re-send left (table ``resent``; NULL > x is NULL, so a row never re-sent keeps its own).
_READ_ALERTS = (
    "SELECT a.fingerprint, a.starts_at, a.status, a.ends_at, a.labels, a.annotations, "
    "a.first_seen, CASE WHEN r.last_seen > a.last_seen THEN r.last_seen ELSE a.last_seen END, "
    "a.generator_url, a.group_key FROM alerts a LEFT JOIN resent r ON r.seq = a.seq"
)


def row_to_episode(row: Sequence[Any]) -> AlertEpisode:
    return AlertEpisode(
        fingerprint=row[0],
        starts_at=parse_ts(row[1]),
        status=row[2],
        ends_at=opt_parse_ts(row[3]),
        labels=loads(row[4]),
        annotations=loads(row[5]),
        first_seen=parse_ts(row[6]),
        last_seen=parse_ts(row[7]),
        generator_url=row[8],
        group_key=row[9],
    )


def episode_row(ep: AlertEpisode, times: dict[datetime, str] | None = None) -> tuple[Any, ...]:
    """``ep`` as a row of ``alerts``; ``times`` (optional) memoises :func:`ts` over one
    delivery, whose episodes share their receive time."""
    if times is None:
        times = {}
    first = times.get(ep.first_seen) or times.setdefault(ep.first_seen, ts(ep.first_seen))
    last = times.get(ep.last_seen) or times.setdefault(ep.last_seen, ts(ep.last_seen))
    return (
        ep.fingerprint,
        ts(ep.starts_at),
        ep.status,
        opt_ts(ep.ends_at),
        dumps(ep.labels),
        dumps(ep.annotations),
        first,
        last,
        ep.generator_url,
        ep.group_key,
    )


def merged_episode(row: Sequence[Any], sent: tuple[Any, ...], ep: AlertEpisode) -> AlertEpisode:
    """The stored row the upsert returned, read back reusing the sent episode's values where
    the row kept the text that was sent (the common case: a new alert, or a re-sent one whose
    merge moved only ``first_seen``/``last_seen``); equal to :func:`row_to_episode`."""
    if tuple(row) == sent:
        return ep
    return AlertEpisode(
        fingerprint=ep.fingerprint,
        starts_at=ep.starts_at,  # the conflict key: the same text
        status=row[2],
        ends_at=ep.ends_at if row[3] == sent[3] else opt_parse_ts(row[3]),
        labels=ep.labels if row[4] == sent[4] else loads(row[4]),
        annotations=ep.annotations if row[5] == sent[5] else loads(row[5]),
        first_seen=ep.first_seen if row[6] == sent[6] else parse_ts(row[6]),
        last_seen=ep.last_seen if row[7] == sent[7] else parse_ts(row[7]),
        generator_url=row[8],
        group_key=row[9],
    )


# merge_episode (bridge/core/alerts.py) in SQL, so the merge runs inside SQLite with the GIL
# released: the stored row wins the structural state only when it ranks higher (a resolve beats
# a firing; among resolves the later end), the display fields follow the later-seen delivery.
# The store contract suite checks both give the same result.
_NEW_WINS = (
    "((excluded.status = 'resolved' AND (alerts.status = 'firing' "
    "OR excluded.ends_at >= alerts.ends_at)) "
    "OR (excluded.status = 'firing' AND alerts.status = 'firing'))"
)
# the stored episode's last_seen: its row's, or the later one a re-send of its write left
_STORED_LAST = (
    "max(alerts.last_seen, "
    "coalesce((SELECT resent.last_seen FROM resent WHERE resent.seq = alerts.seq), ''))"
)
_NEWER = f"(excluded.last_seen >= {_STORED_LAST})"
_UPSERT = (
    f"INSERT INTO alerts ({_ALERT_COLUMNS}, seq) VALUES {{values}} "
    "ON CONFLICT(fingerprint, starts_at) DO UPDATE SET "
    + ", ".join(
        [
            f"{c} = CASE WHEN {_NEW_WINS} THEN excluded.{c} ELSE alerts.{c} END"
            for c in ("status", "ends_at", "labels")
        ]
        + [
            f"{c} = CASE WHEN {_NEWER} THEN excluded.{c} ELSE alerts.{c} END"
            for c in ("annotations", "generator_url", "group_key")
        ]
        + [
            "first_seen = min(alerts.first_seen, excluded.first_seen)",
            f"last_seen = max({_STORED_LAST}, excluded.last_seen)",
            "seq = excluded.seq",
        ]
    )
    + f" RETURNING {_ALERT_COLUMNS}"
)
#: the rows of episodes not stored yet, as sent (the upsert's outcome for them)
_INSERT_NEW = (
    f"INSERT INTO alerts ({_ALERT_COLUMNS}, seq) VALUES {{values}} "
    "ON CONFLICT(fingerprint, starts_at) DO NOTHING"
)
_UPSERT_CHUNK = 500  # 11 parameters a row, well under SQLite's 32 766

_DELIVERY_COLUMNS = ("received_at", "receiver", "group_key", "status", "alerts", "truncated")


def read_keys_sql(count: int) -> str:
    """The rows of ``count`` episode keys, given as (fingerprint, starts_at) parameters, found
    through the key's index: ``IN (VALUES …)`` would scan the whole table instead (SQLite 3.40
    plans it so), which is what reading an old incident's alerts did."""
    marks = ",".join(["(?,?)"] * count)
    return (
        f"{_READ_ALERTS} WHERE (a.fingerprint, a.starts_at) IN "
        f"(SELECT column1, column2 FROM (VALUES {marks}))"
    )


class _WrittenSince(Exception):
    """:meth:`SqliteAlerts.seen_again` found an episode written since the change it names."""


def _keep_truncation(
    conn: sqlite3.Connection, group_key: str, truncated: int, received_at: datetime
) -> None:
    """Alertmanager's latest ``truncatedAlerts`` for the group (the later delivery wins): a
    zero is stored only where it clears a count (see AlertLog.load_truncation)."""
    if not truncated:
        conn.execute(
            "UPDATE group_truncation SET truncated=0, updated_at=?1 "
            "WHERE group_key=?2 AND truncated<>0 AND ?1 >= updated_at",
            (ts(received_at), group_key),
        )
        return
    conn.execute(
        "INSERT INTO group_truncation(group_key, truncated, updated_at) VALUES (?,?,?) "
        "ON CONFLICT(group_key) DO UPDATE SET truncated=excluded.truncated, "
        "updated_at=excluded.updated_at WHERE excluded.updated_at >= updated_at",
        (group_key, truncated, ts(received_at)),
    )


#: for a re-send naming change number ?1 of group ?2: the write it re-sends again (when ?1 was
#: a re-send), whether ?1 was re-sent since (then under another number), how many rows still
#: carry the write's number, and whether the group has a truncation count to clear
_RESENT_STATE = (
    "SELECT r.seq, EXISTS(SELECT 1 FROM resent WHERE seq = ?1), "
    "(SELECT count(*) FROM alerts WHERE seq = coalesce(r.seq, ?1)), "
    "EXISTS(SELECT 1 FROM group_truncation WHERE group_key = ?2 AND truncated <> 0) "
    "FROM (SELECT (SELECT seq FROM resent WHERE change = ?1) AS seq) AS r"
)

_INSERT_DELIVERY = f"INSERT INTO deliveries({', '.join(_DELIVERY_COLUMNS)}) VALUES (?,?,?,?,?,?)"

_RESENT_UPSERT = (
    "INSERT INTO resent(seq, change, last_seen) VALUES (?, ?, ?) "
    "ON CONFLICT(seq) DO UPDATE SET change = excluded.change, "
    "last_seen = max(last_seen, excluded.last_seen)"
)


class SqliteAlerts(SqliteConnection):
    """:class:`bridge.store.interfaces.AlertLog` on SQLite."""

    async def ingest(self, delivery: Delivery, received_at: datetime) -> list[AlertEpisode]:
        return (await self.ingest_numbered(delivery, received_at))[0]

    async def ingest_numbered(
        self, delivery: Delivery, received_at: datetime
    ) -> tuple[list[AlertEpisode], int]:
        times: dict[datetime, str] = {}
        episodes = delivery.episodes
        rows = [episode_row(ep, times) for ep in episodes]
        sent: dict[tuple[str, str], tuple[tuple[Any, ...], AlertEpisode]] = {}  # when merging
        record = to_row(DeliveryRecord.of(delivery, received_at), _DELIVERY_COLUMNS, json=())

        def apply(conn: sqlite3.Connection) -> tuple[list[AlertEpisode], int]:
            # The delivery's row id is the change number of every episode it writes: ids grow
            # in commit order (one writer), which is what episodes_since needs.
            seq = conn.execute(_INSERT_DELIVERY, record).lastrowid
            merged: list[AlertEpisode] = []
            new = True  # every row so far was new: try the plain insert first
            for start in range(0, len(rows), _UPSERT_CHUNK):
                chunk = rows[start : start + _UPSERT_CHUNK]
                values = ",".join(["(?,?,?,?,?,?,?,?,?,?,?)"] * len(chunk))
                params = [value for row in chunk for value in (*row, seq)]
                if new:
                    # New alerts (the common case): stored as sent, so nothing to read back.
                    # RETURNING costs more than the insert itself; a chunk holding a known
                    # episode is merged below (rows inserted here merge with themselves: a
                    # join is idempotent), and the chunks after it skip this attempt.
                    inserted = conn.execute(_INSERT_NEW.format(values=values), params).rowcount
                    if inserted == len(chunk):
                        merged += episodes[start : start + _UPSERT_CHUNK]
                        continue
                    new = False
                if not sent:
                    sent.update(
                        ((row[0], row[1]), (row, ep))
                        for row, ep in zip(rows, episodes, strict=True)
                    )
                cursor = conn.execute(_UPSERT.format(values=values), params)
                for r in cursor.fetchall():
                    row, ep = sent[(r[0], r[1])]
                    merged.append(merged_episode(r, row, ep))
            _keep_truncation(conn, delivery.group_key, delivery.truncated_alerts, received_at)
            return merged, int(seq or 0)

        return await self._write("ingest", apply)

    async def seen_again(self, change: int, count: int, record: DeliveryRecord) -> int | None:
        at = ts(record.received_at)
        # to_row(record, _DELIVERY_COLUMNS, json=()) spelled out: once per re-send, so it counts
        r = record
        row = (at, r.receiver, r.group_key, r.status, r.alerts, r.truncated)

        def apply(conn: sqlite3.Connection) -> int:
            # The rows keep the number of the write that stored them (``alerts.seq``); a
            # re-send is one row of ``resent`` (write → its latest re-send's change number and
            # last_seen), so no alert row is rewritten. ``change`` names either the write (not
            # re-sent since) or its latest re-send.
            # Rows still carrying ``write`` are those its delivery wrote and nothing since
            # (every write gives its rows its own change number; indexed). One statement for
            # the look-ups, before anything is written: a refusal writes nothing, so the job
            # needs no savepoint of its own (``bare``; this runs once per re-send).
            found, resent_since, held, to_clear = conn.execute(
                _RESENT_STATE, (change, r.group_key)
            ).fetchone()
            if found is not None:
                write = int(found)
            elif resent_since:
                raise _WrittenSince  # re-sent since under another number
            else:
                write = change
            if int(held) != count:
                raise _WrittenSince  # nothing written
            seq = int(conn.execute(_INSERT_DELIVERY, row).lastrowid or 0)
            conn.execute(_RESENT_UPSERT, (write, seq, at))
            if r.truncated or to_clear:  # a zero clears a stored count only (_keep_truncation)
                _keep_truncation(conn, r.group_key, r.truncated, r.received_at)
            return seq

        try:
            return await self._write("ingest", apply, bare=True)
        except _WrittenSince:
            return None

    async def load_episodes(self) -> list[AlertEpisode]:
        rows = await self._read(
            "load_episodes",
            lambda c: c.execute(_READ_ALERTS).fetchall(),
        )
        return [row_to_episode(r) for r in rows]

    async def latest_change(self) -> int:
        row = await self._read(
            "latest_change",
            lambda c: c.execute("SELECT coalesce(max(id), 0) FROM deliveries").fetchone(),
        )
        return int(row[0])

    async def episodes_since(self, cursor: int) -> tuple[list[AlertEpisode], int]:
        def read(c: sqlite3.Connection) -> tuple[list[AlertEpisode], int]:
            # One snapshot: the newest change number given out (a delivery's id), and every
            # row changed after the cursor up to it. Rows written before change numbers
            # existed have seq 0, so cursor 0 reads them too.
            c.execute("BEGIN")
            try:
                top = c.execute("SELECT coalesce(max(id), 0) FROM deliveries").fetchone()[0]
                if cursor == 0:
                    rows = c.execute(_READ_ALERTS).fetchall()
                else:  # written after the cursor, or written before it and re-sent after it
                    rows = c.execute(
                        f"{_READ_ALERTS} WHERE a.seq > ? UNION ALL "
                        f"{_READ_ALERTS} WHERE a.seq <= ? AND a.seq IN "
                        "(SELECT seq FROM resent WHERE change > ?)",
                        (cursor, cursor, cursor),
                    ).fetchall()
            finally:
                c.execute("COMMIT")
            return [row_to_episode(r) for r in rows], max(int(top), cursor)

        return await self._read("episodes_since", read)

    async def live_episodes(self, since: datetime) -> tuple[list[AlertEpisode], int]:
        def read(c: sqlite3.Connection) -> tuple[list[AlertEpisode], int]:
            c.execute("BEGIN")  # one snapshot: the change number and the rows agree
            try:
                top = c.execute("SELECT coalesce(max(id), 0) FROM deliveries").fetchone()[0]
                rows = c.execute(
                    f"{_READ_ALERTS} WHERE a.status='firing' UNION ALL "
                    f"{_READ_ALERTS} WHERE a.status='resolved' AND a.ends_at >= ?",
                    (ts(since),),
                ).fetchall()
            finally:
                c.execute("COMMIT")
            return [row_to_episode(r) for r in rows], int(top)

        return await self._read("live_episodes", read)

    async def get_episodes(self, keys: Collection[tuple[str, datetime]]) -> list[AlertEpisode]:
        wanted = [(fp, ts(start)) for fp, start in keys]

        def read(c: sqlite3.Connection) -> list[Any]:
            rows: list[Any] = []
            for i in range(0, len(wanted), _UPSERT_CHUNK):
                chunk = wanted[i : i + _UPSERT_CHUNK]
                rows += c.execute(
                    read_keys_sql(len(chunk)), [v for pair in chunk for v in pair]
                ).fetchall()
            return rows

        return [row_to_episode(r) for r in await self._read("get_episodes", read)]

    async def load_truncation(self) -> dict[str, int]:
        rows = await self._read(
            "load_truncation",
            lambda c: c.execute("SELECT group_key, truncated FROM group_truncation").fetchall(),
        )
        return {r[0]: int(r[1]) for r in rows}

    async def recent_deliveries(self, limit: int) -> list[DeliveryRecord]:
        rows = await self._read(
            "recent_deliveries",
            lambda c: c.execute(
                f"SELECT {', '.join(_DELIVERY_COLUMNS)} FROM deliveries ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall(),
        )
        return [from_row(DeliveryRecord, _DELIVERY_COLUMNS, r, json=()) for r in rows]
