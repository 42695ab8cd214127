"""What several SQLite concerns do inside one write transaction: the fence check, the stored
revision check, the audit insert; and records to and from rows through the record codec."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bridge.core.audit_search import lag_after
from bridge.errors import Conflict, LeaseLost
from bridge.store.codec import dumps, loads, ts
from bridge.store.interfaces import LEADER_LEASE
from bridge.store.record_codec import from_fields, to_fields
from bridge.store.records import AuditEntry
from bridge.store.revisions import revision_problem

R = TypeVar("R")

AUDIT_COLUMNS = ("at", "actor", "action", "target", "detail")


def check_stored_revision(
    conn: sqlite3.Connection, table: str, column: str, key: str, expected: int | None, what: str
) -> None:
    """Raise Conflict (same transaction as the write it guards) unless the stored revision of
    ``key`` is ``expected`` (None: no such row yet)."""
    found = conn.execute(f"SELECT revision FROM {table} WHERE {column}=?", (key,)).fetchone()
    stored = None if found is None else int(found[0])
    if stored != expected:
        raise Conflict(what, revision_problem(stored, expected))


def upsert(table: str, columns: Sequence[str], updated: Sequence[str]) -> str:
    """SQL inserting a row of ``columns``, or on a clash of the first (the key) setting the
    ``updated`` ones."""
    sets = ", ".join(f"{c}=excluded.{c}" for c in updated)
    marks = ",".join("?" * len(columns))
    return (
        f"INSERT INTO {table}({', '.join(columns)}) VALUES ({marks}) "
        f"ON CONFLICT({columns[0]}) DO UPDATE SET {sets}"
    )


def write_revised(
    conn: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    updated: Sequence[str],
    row: Sequence[Any],
    expected: int | None,
    what: str,
    audit: Sequence[tuple[Any, ...]],
) -> None:
    """The write of a document under compare-and-set, in one transaction: check the stored
    revision of the row keyed ``row[0]``, upsert ``row`` (:func:`upsert`), append the audit."""
    check_stored_revision(conn, table, columns[0], row[0], expected, what)
    conn.execute(upsert(table, columns, updated), row)
    insert_audit(conn, audit)


def read_lease(conn: sqlite3.Connection) -> tuple[str, int, float] | None:
    """The lease row (holder, token, expiry in epoch seconds), expired or not."""
    row = conn.execute(
        "SELECT holder, token, expires_at FROM lease WHERE name=?", (LEADER_LEASE,)
    ).fetchone()
    return None if row is None else (row[0], int(row[1]), float(row[2]))


def check_fence(conn: sqlite3.Connection, op: str, fence: int | None) -> None:
    """Raise LeaseLost unless ``fence`` is None or the unexpired lease's token (same
    transaction as the write it guards)."""
    if fence is None:
        return
    row = read_lease(conn)
    if row is None or row[1] != fence or row[2] <= time.time():
        held = "nobody holds it" if row is None else f"token {row[1]} held by {row[0]}"
        raise LeaseLost(op, f"the lease is not held with token {fence} ({held})")


def audit_rows(entries: Sequence[AuditEntry]) -> list[tuple[Any, ...]]:
    """The rows of ``entries`` (their seq is the table's to give), each with the entry's
    further targets (``also``, table ``audit_also``) last."""
    return [(*to_row(e, AUDIT_COLUMNS, json=("detail",)), e.also) for e in entries]


def insert_audit(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Append ``rows`` (:func:`audit_rows`) and keep the log's clock (``meta``'s
    ``audit_high`` and ``audit_lag_us``, :func:`bridge.core.audit_search.lag_after`) in the same
    transaction."""
    if not rows:
        return
    insert = "INSERT INTO audit(at, actor, action, target, detail) VALUES (?,?,?,?,?)"
    if any(row[-1] for row in rows):
        for row in rows:  # one by one: a further target is kept with its entry's seq
            seq = conn.execute(insert, row[:-1]).lastrowid
            conn.executemany(
                "INSERT INTO audit_also(seq, n, target) VALUES (?, ?, ?)",
                [(seq, n, target) for n, target in enumerate(row[-1])],
            )
    else:
        conn.executemany(insert, [row[:-1] for row in rows])
    stored = dict(
        conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('audit_high', 'audit_lag_us')"
        ).fetchall()
    )
    high = datetime.fromisoformat(stored["audit_high"]) if "audit_high" in stored else None
    lag = before = timedelta(microseconds=int(stored.get("audit_lag_us", 0)))
    first = high
    for row in rows:
        high, lag = lag_after(high, lag, datetime.fromisoformat(row[0]))
    upsert = "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)"
    if high is not None and high != first:
        conn.execute(upsert, ("audit_high", ts(high)))
    if lag != before:
        conn.execute(upsert, ("audit_lag_us", str(lag // timedelta(microseconds=1))))


def to_row(
    record: Any, columns: Sequence[str], json: Collection[str] = ("document",)
) -> tuple[Any, ...]:
    """``record``'s fields in the order of ``columns``; those in ``json`` as JSON text."""
    fields = to_fields(record)
    return tuple(dumps(fields[c]) if c in json else fields[c] for c in columns)


def from_row(
    kind: type[R], columns: Sequence[str], row: Sequence[Any], json: Collection[str] = ("document",)
) -> R:
    """The record of type ``kind`` from a row of ``columns`` (those in ``json`` hold JSON)."""
    return from_fields(
        kind, {c: loads(v) if c in json else v for c, v in zip(columns, row, strict=True)}
    )
