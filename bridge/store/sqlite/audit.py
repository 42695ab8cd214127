"""SQLite's audit log: table ``audit`` (``seq`` its AUTOINCREMENT key; triggers refuse every
UPDATE and DELETE; indexed by ``(target, seq)``, ``at`` and ``(actor, seq)``) and, schema 15,
``audit_also`` (an entry's further targets, ``AuditEntry.also``: ``(seq, n)`` → target, indexed
by ``(target, seq)``; append-only too). Writes of other concerns append through :mod:`.guards`,
which keeps the log's clock in ``meta``. A target's (or an incident's) rows are those of both
tables' target indexes: an entry is found by any of its targets.

A search (:meth:`SqliteAudit.search_audit`) runs in one read transaction: the range of ``seq``
the time range allows (two lookups in the index of ``at``), then the walk: at most ``scan`` rows
of the source's index within that range, newest first (a ``LIMIT`` in the query), of which the
rows the whole filter matches are the page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bridge.core.audit_search import AuditFilter, window_times
from bridge.store.codec import dumps, ts
from bridge.store.records import AuditEntry, AuditPage
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.guards import AUDIT_COLUMNS, audit_rows, from_row, insert_audit

_COLUMNS = ("seq", *AUDIT_COLUMNS)


def _audit_seq(conn: sqlite3.Connection) -> int:
    """The highest seq AUTOINCREMENT handed out (kept in ``sqlite_sequence``; 0: none)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name='audit'").fetchone()
    return 0 if row is None else int(row[0])


class SqliteAudit(SqliteConnection):
    """:class:`bridge.store.interfaces.AuditLog` on SQLite."""

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        rows = audit_rows(entries)
        if rows:
            await self._write("append_audit", lambda c: insert_audit(c, rows))

    async def audit_seq(self) -> int:
        return await self._read("audit_seq", _audit_seq)

    async def raise_audit_seq(self, at_least: int) -> int:
        def apply(conn: sqlite3.Connection) -> int:
            if _audit_seq(conn) < at_least:
                updated = conn.execute(
                    "UPDATE sqlite_sequence SET seq=? WHERE name='audit'", (at_least,)
                ).rowcount
                if not updated:
                    conn.execute(
                        "INSERT INTO sqlite_sequence(name, seq) VALUES('audit', ?)", (at_least,)
                    )
            return _audit_seq(conn)

        return await self._write("raise_audit_seq", apply)

    async def audit_log(
        self, limit: int = 100, before_seq: int | None = None, target: str | None = None
    ) -> list[AuditEntry]:
        where: list[str] = []
        params: list[Any] = []
        if before_seq is not None:
            where.append("seq < ?")
            params.append(before_seq)
        if target is not None:
            source, source_params = _by_target(target)
            where.append(source)
            params += source_params
        sql = f"SELECT {', '.join(_COLUMNS)} FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit)

        def run(conn: sqlite3.Connection) -> list[AuditEntry]:
            conn.execute("BEGIN")  # the entries and their further targets: one snapshot
            try:
                return _entries(conn, conn.execute(sql, params).fetchall())
            finally:
                conn.execute("COMMIT")

        return await self._read("audit_log", run)

    async def search_audit(
        self, where: AuditFilter, limit: int, before_seq: int | None = None, scan: int = 5000
    ) -> AuditPage:
        if limit <= 0 or scan <= 0:
            return AuditPage([], before_seq)

        def run(conn: sqlite3.Connection) -> AuditPage:
            conn.execute("BEGIN")  # one snapshot: the clock, the range and the walk agree
            try:
                return _search(conn, where, limit, before_seq, scan)
            finally:
                conn.execute("COMMIT")

        return await self._read("search_audit", run)


def _search(
    conn: sqlite3.Connection, where: AuditFilter, limit: int, before_seq: int | None, scan: int
) -> AuditPage:
    bounds, params = _window(conn, where)
    if before_seq is not None:
        bounds.append("seq < ?")
        params.append(before_seq)
    walk, walk_params = _walk(where, bounds, params, scan)
    rest, rest_params = _matching(where)
    # no ORDER BY outside: SQLite runs the walk as a co-routine and keeps its order (the
    # contract tests check it); sorting again would read all ``scan`` rows for every page
    rows = conn.execute(
        f"SELECT * FROM ({walk}) WHERE {rest} LIMIT ?",
        [*walk_params, *rest_params, limit],
    ).fetchall()
    entries = _entries(conn, rows)
    if len(entries) == limit:
        return AuditPage(entries, entries[-1].seq)
    looked, lowest = conn.execute(
        f"SELECT COUNT(*), MIN(seq) FROM ({walk})", walk_params
    ).fetchone()
    return AuditPage(entries, lowest if looked == scan else None)


def _walk(
    where: AuditFilter, bounds: list[str], params: list[Any], scan: int
) -> tuple[str, list[Any]]:
    """The rows the search looks at, newest first: at most ``scan`` of the source's index within
    ``bounds``. A target's or an incident's index is two: ``audit``'s and ``audit_also``'s, each
    walked in seq order and merged (a compound SELECT: no sort of every entry of the target),
    the rows then read by seq in that order (the merged seqs the outer loop: CROSS JOIN)."""
    kind, value = where.source()
    columns = ", ".join(_COLUMNS)
    if kind not in ("target", "incident"):
        source, source_params = _SOURCES[kind](value)
        sql = (
            f"SELECT {columns} FROM audit WHERE {' AND '.join([source, *bounds])} "
            "ORDER BY seq DESC LIMIT ?"
        )
        return sql, [*source_params, *params, scan]
    about, about_params = _ABOUT[kind](value)
    seqs = (
        f"SELECT seq FROM audit WHERE {' AND '.join([about, *bounds])} UNION "
        f"SELECT seq FROM audit_also WHERE {' AND '.join([about, *bounds])} "
        "ORDER BY seq DESC LIMIT ?"
    )
    picked = ", ".join(f"a.{c}" for c in _COLUMNS)
    sql = f"SELECT {picked} FROM ({seqs}) AS w CROSS JOIN audit AS a ON a.seq = w.seq"
    return sql, [*about_params, *params, *about_params, *params, scan]


def _entries(conn: sqlite3.Connection, rows: list[Any]) -> list[AuditEntry]:
    """The entries of ``rows`` (of :data:`_COLUMNS`), each with its further targets."""
    entries = [from_row(AuditEntry, _COLUMNS, r, json=("detail",)) for r in rows]
    if not entries:
        return entries
    also: dict[int, list[str]] = {}
    for seq, target in conn.execute(
        "SELECT seq, target FROM audit_also WHERE seq IN (SELECT value FROM json_each(?)) "
        "ORDER BY seq, n",
        (dumps([e.seq for e in entries]),),
    ):
        also.setdefault(seq, []).append(target)
    return [replace(e, also=tuple(also[e.seq])) if e.seq in also else e for e in entries]


def _window(conn: sqlite3.Connection, where: AuditFilter) -> tuple[list[str], list[Any]]:
    """The range of ``seq`` the time range allows (:func:`window_times`)."""
    if where.since is None and where.until is None:
        return [], []
    found = conn.execute("SELECT value FROM meta WHERE key = 'audit_lag_us'").fetchone()
    lag = timedelta(microseconds=int(found[0]) if found else 0)
    before, from_on = window_times(where.since, where.until, lag)
    bounds: list[str] = []
    params: list[Any] = []
    if before is not None:
        row = conn.execute(
            "SELECT seq FROM audit WHERE at < ? ORDER BY at DESC, seq DESC LIMIT 1", (ts(before),)
        ).fetchone()
        if row is not None:
            bounds.append("seq > ?")
            params.append(row[0])
    if from_on is not None:
        row = conn.execute(
            "SELECT seq FROM audit WHERE at >= ? ORDER BY at, seq LIMIT 1", (ts(from_on),)
        ).fetchone()
        if row is not None:
            bounds.append("seq < ?")
            params.append(row[0])
    return bounds, params


#: the entries one of whose further targets (``audit_also``) is as ``{}`` says of ``target``
_ALSO = "seq IN (SELECT seq FROM audit_also WHERE {})"


def _about_target(target: str) -> tuple[str, list[Any]]:
    """A target index's rows (``audit``'s or ``audit_also``'s) of ``target``."""
    return "target = ?", [target]


def _about_incident(incident: str) -> tuple[str, list[Any]]:
    """A target index's rows of incident:X, privacy:X and draft:X.… (X holds no dot)."""
    return "(target IN (?, ?) OR (target >= ? AND target < ?))", [
        f"incident:{incident}",
        f"privacy:{incident}",
        f"draft:{incident}.",
        f"draft:{incident}/",  # "/" follows "." (BINARY collation): every "draft:X.…" between
    ]


_ABOUT = {"target": _about_target, "incident": _about_incident}


def _by_target(target: str) -> tuple[str, list[Any]]:
    """The entries one of whose targets (``target`` or ``also``) is ``target``."""
    about, params = _about_target(target)
    return f"({about} OR {_ALSO.format(about)})", [*params, *params]


def _by_incident(incident: str) -> tuple[str, list[Any]]:
    """The entries one of whose targets names ``incident``."""
    about, params = _about_incident(incident)
    return f"({about} OR {_ALSO.format(about)})", [*params, *params]


def _by_actor(actor: str) -> tuple[str, list[Any]]:
    return "actor = ?", [actor]


def _whole_log(_: str) -> tuple[str, list[Any]]:
    return "1", []


_SOURCES = {  # the sources of one index (a target's or an incident's: _walk)
    "actor": _by_actor,
    "log": _whole_log,
}

#: the track of a target as SQL (bridge.core.access.audit_track): ``privacy`` before any colon,
#: or a target whose part after the first colon starts with ``priv-``
_PRIVACY = (
    "(target = 'privacy' OR substr(target, 1, 8) = 'privacy:' OR "
    "(instr(target, ':') > 0 AND substr(target, instr(target, ':') + 1, 5) = 'priv-'))"
)


def _matching(where: AuditFilter) -> tuple[str, list[Any]]:
    """``where`` as SQL (:meth:`AuditFilter.matches`; comparisons case-sensitive, no LIKE)."""
    terms: list[str] = []
    params: list[Any] = []
    if where.since is not None:
        terms.append("at >= ?")
        params.append(ts(where.since))
    if where.until is not None:
        terms.append("at < ?")
        params.append(ts(where.until))
    if where.actor is not None:
        terms.append("actor = ?")
        params.append(where.actor)
    if where.action is not None:
        if where.action_prefix:
            terms.append("substr(action, 1, ?) = ?")
            params += [len(where.action), where.action]
        else:
            terms.append("action = ?")
            params.append(where.action)
    if where.target is not None:
        source, source_params = _by_target(where.target)
        terms.append(source)
        params += source_params
    if where.incident is not None:
        source, source_params = _by_incident(where.incident)
        terms.append(source)
        params += source_params
    if not where.every_track():
        tracks = where.tracks or frozenset()
        if "privacy" in tracks:
            terms.append(_PRIVACY)
        elif "outage" in tracks:
            terms.append(f"NOT {_PRIVACY}")
        else:
            terms.append("0")
    return " AND ".join(terms) or "1", params
