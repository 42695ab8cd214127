"""The embedded default store: one SQLite file, WAL, fsync on every commit, group commit.

Why this shape: the webhook may answer 2xx only after a durable write, and an fsync per request
would cap throughput at the disk's fsync rate. So writes go through one writer thread that takes
every job waiting, runs each in its own SAVEPOINT inside one transaction and commits once
(``synchronous=FULL``): one fsync acknowledges the whole batch, and a failing job rolls back only
itself. Reads use a second connection (WAL readers never block the writer).

URL: ``sqlite:///PATH[?busy_timeout_ms=N]``. A file locked by another process for longer than
the busy timeout makes writes raise StoreUnavailable (the webhook answers 503).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs

from bridge.core.alerts import AlertEpisode, Delivery
from bridge.errors import Conflict, LeaseLost, StoreUnavailable
from bridge.store.base import (
    LEADER_LEASE,
    SCHEMA_VERSION,
    AuditEntry,
    DeliveryRecord,
    DraftRecord,
    IncidentRecord,
    Lease,
    PrivacyCaseRecord,
    SessionRecord,
    Store,
    TokenRecord,
    UserRecord,
    check_follows,
    check_revision,
    revision_problem,
)
from bridge.store.codec import dumps, loads, opt_parse_ts, opt_ts, parse_ts, ts
from bridge.store.people import (
    session_from,
    session_json,
    token_from,
    token_json,
    user_from,
    user_json,
)

T = TypeVar("T")

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS alerts (
        fingerprint TEXT NOT NULL, starts_at TEXT NOT NULL, status TEXT NOT NULL,
        ends_at TEXT, labels TEXT NOT NULL, annotations TEXT NOT NULL,
        first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
        generator_url TEXT NOT NULL, group_key TEXT NOT NULL,
        PRIMARY KEY (fingerprint, starts_at)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS deliveries (
        id INTEGER PRIMARY KEY, received_at TEXT NOT NULL, receiver TEXT NOT NULL,
        group_key TEXT NOT NULL, status TEXT NOT NULL, alerts INTEGER NOT NULL,
        truncated INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS group_truncation (
        group_key TEXT PRIMARY KEY, truncated INTEGER NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS incidents (
        id TEXT PRIMARY KEY, key TEXT NOT NULL, started_at TEXT NOT NULL, state TEXT NOT NULL,
        merged_into TEXT, episodes TEXT NOT NULL, document TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS incidents_state ON incidents(state);
    """,
    2: """
    CREATE TABLE IF NOT EXISTS drafts (
        id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, state TEXT NOT NULL,
        revision INTEGER NOT NULL, updated_at TEXT NOT NULL, document TEXT NOT NULL);;
    CREATE INDEX IF NOT EXISTS drafts_incident ON drafts(incident_id);;
    CREATE INDEX IF NOT EXISTS drafts_state ON drafts(state);;
    CREATE TABLE IF NOT EXISTS audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
        action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);;
    CREATE INDEX IF NOT EXISTS audit_target ON audit(target, seq);;
    CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;;
    CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;;
    """,
    3: """
    ALTER TABLE alerts ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX IF NOT EXISTS alerts_seq ON alerts(seq);
    CREATE TABLE IF NOT EXISTS lease (
        name TEXT PRIMARY KEY, holder TEXT NOT NULL, token INTEGER NOT NULL,
        expires_at REAL NOT NULL);
    """,
    4: """
    CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY, revision INTEGER NOT NULL, document TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS sessions (
        id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, expires_at TEXT NOT NULL,
        document TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);
    CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions(expires_at);
    CREATE TABLE IF NOT EXISTS api_tokens (
        id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
        revision INTEGER NOT NULL, last_used_at TEXT, document TEXT NOT NULL);
    """,
    5: """
    CREATE TABLE IF NOT EXISTS privacy_cases (
        id TEXT PRIMARY KEY, state TEXT NOT NULL, revision INTEGER NOT NULL,
        updated_at TEXT NOT NULL, document TEXT NOT NULL);;
    CREATE TABLE IF NOT EXISTS privacy_case_revisions (
        id TEXT NOT NULL, revision INTEGER NOT NULL, updated_at TEXT NOT NULL,
        document TEXT NOT NULL, PRIMARY KEY (id, revision)) WITHOUT ROWID;;
    CREATE TRIGGER IF NOT EXISTS privacy_cases_no_delete BEFORE DELETE ON privacy_cases
        BEGIN SELECT RAISE(ABORT, 'the privacy register is never deleted from'); END;;
    CREATE TRIGGER IF NOT EXISTS privacy_revisions_no_update
        BEFORE UPDATE ON privacy_case_revisions
        BEGIN SELECT RAISE(ABORT, 'privacy case revisions are append-only'); END;;
    CREATE TRIGGER IF NOT EXISTS privacy_revisions_no_delete
        BEFORE DELETE ON privacy_case_revisions
        BEGIN SELECT RAISE(ABORT, 'privacy case revisions are append-only'); END;;
    """,
}


def _statements(script: str) -> list[str]:
    """Split a migration into statements: on ``;;`` when it holds triggers (whose bodies
    contain ``;``), else on ``;``."""
    separator = ";;" if ";;" in script else ";"
    return [s.strip() for s in script.split(separator) if s.strip()]


_ALERT_COLUMNS = (
    "fingerprint, starts_at, status, ends_at, labels, annotations, first_seen, last_seen, "
    "generator_url, group_key"
)


def _row_to_episode(row: Sequence[Any]) -> AlertEpisode:
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


def _episode_row(ep: AlertEpisode) -> tuple[Any, ...]:
    return (
        ep.fingerprint,
        ts(ep.starts_at),
        ep.status,
        opt_ts(ep.ends_at),
        dumps(ep.labels),
        dumps(ep.annotations),
        ts(ep.first_seen),
        ts(ep.last_seen),
        ep.generator_url,
        ep.group_key,
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
_NEWER = "(excluded.last_seen >= alerts.last_seen)"
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
            "last_seen = max(alerts.last_seen, excluded.last_seen)",
            "seq = excluded.seq",
        ]
    )
    + f" RETURNING {_ALERT_COLUMNS}"
)
_UPSERT_CHUNK = 500  # 11 parameters a row, well under SQLite's 32 766

_Job = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]


class SqliteStore(Store):
    """See the module docstring."""

    def __init__(self, url: str) -> None:
        if not url.startswith("sqlite:///"):
            raise ValueError(f"not a sqlite URL: {url!r}")
        self.url = url
        rest = url[len("sqlite:///") :]
        path, _, query = rest.partition("?")
        params = parse_qs(query)
        self.path = Path(path)
        self.busy_timeout_ms = int(params.get("busy_timeout_ms", ["5000"])[0])
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._write_pool: ThreadPoolExecutor | None = None
        self._read_pool: ThreadPoolExecutor | None = None
        self._queue: asyncio.Queue[_Job] | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._reader_lock = threading.Lock()

    # ---- lifecycle ----------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise StoreUnavailable(
                    "open",
                    f"{self.path} has schema {current}, newer than this bridge's "
                    f"{SCHEMA_VERSION}: upgrade the bridge",
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _statements(_MIGRATIONS[version]):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute(
                "INSERT INTO meta(key, value) VALUES('schema_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (str(SCHEMA_VERSION),),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write_pool = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self._read_pool = ThreadPoolExecutor(1, thread_name_prefix="sqlite-reader")
        loop = asyncio.get_running_loop()
        try:
            self._writer = await loop.run_in_executor(self._write_pool, self._connect)
            await loop.run_in_executor(self._write_pool, self._migrate, self._writer)
            self._reader = await loop.run_in_executor(self._read_pool, self._connect)
        except sqlite3.Error as exc:
            await self.close()
            raise StoreUnavailable("open", f"{self.path}: {exc}") from exc
        self._queue = asyncio.Queue()
        self._writer_task = asyncio.create_task(self._write_loop(), name="sqlite-group-commit")

    async def close(self) -> None:
        if self._writer_task is not None:
            self._writer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer_task
            self._writer_task = None
        loop = asyncio.get_running_loop()
        for conn, pool in ((self._writer, self._write_pool), (self._reader, self._read_pool)):
            if conn is not None and pool is not None:
                await loop.run_in_executor(pool, conn.close)
        for pool in (self._write_pool, self._read_pool):
            if pool is not None:
                pool.shutdown(wait=True)
        self._writer = self._reader = None
        self._write_pool = self._read_pool = None

    # ---- group commit -------------------------------------------------------------------
    async def _write(self, op: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._queue is None:
            raise StoreUnavailable(op, "store is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._queue.put((fn, future))
        try:
            return await future
        except sqlite3.Error as exc:
            raise StoreUnavailable(op, str(exc)) from exc

    async def _write_loop(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                outcomes = await loop.run_in_executor(self._write_pool, self._run_batch, batch)
            except Exception as exc:  # commit failed: nothing in the batch was applied
                outcomes = [(False, exc)] * len(batch)
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _run_batch(self, batch: list[_Job]) -> list[tuple[bool, Any]]:
        conn = self._writer
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        outcomes: list[tuple[bool, Any]] = []
        try:
            for fn, _ in batch:
                conn.execute("SAVEPOINT job")
                try:
                    outcomes.append((True, fn(conn)))
                    conn.execute("RELEASE job")
                except Exception as exc:
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((False, exc))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return outcomes

    async def _read(self, op: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._reader is None or self._read_pool is None:
            raise StoreUnavailable(op, "store is not open")

        def run() -> T:
            with self._reader_lock:
                assert self._reader is not None
                return fn(self._reader)

        try:
            return await asyncio.get_running_loop().run_in_executor(self._read_pool, run)
        except sqlite3.Error as exc:
            raise StoreUnavailable(op, str(exc)) from exc

    # ---- Store ---------------------------------------------------------------------------
    async def ping(self) -> None:
        """Through the writer: a file another process keeps locked is not ready."""
        await self._write("ping", lambda c: c.execute("SELECT count(*) FROM meta").fetchone())

    async def schema_version(self) -> int:
        row = await self._read(
            "schema_version",
            lambda c: c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone(),
        )
        return int(row[0]) if row else 0

    async def ingest(self, delivery: Delivery, received_at: datetime) -> list[AlertEpisode]:
        rows = [_episode_row(ep) for ep in delivery.episodes]

        def apply(conn: sqlite3.Connection) -> list[AlertEpisode]:
            # The delivery's row id is the change number of every episode it writes: ids grow
            # in commit order (one writer), which is what episodes_since needs.
            seq = conn.execute(
                "INSERT INTO deliveries(received_at, receiver, group_key, status, alerts, "
                "truncated) VALUES (?,?,?,?,?,?)",
                (
                    ts(received_at),
                    delivery.receiver,
                    delivery.group_key,
                    delivery.status,
                    len(delivery.episodes),
                    delivery.truncated_alerts,
                ),
            ).lastrowid
            merged: list[AlertEpisode] = []
            for start in range(0, len(rows), _UPSERT_CHUNK):
                chunk = rows[start : start + _UPSERT_CHUNK]
                values = ",".join(["(?,?,?,?,?,?,?,?,?,?,?)"] * len(chunk))
                params = [value for row in chunk for value in (*row, seq)]
                cursor = conn.execute(_UPSERT.format(values=values), params)
                merged.extend(_row_to_episode(r) for r in cursor.fetchall())
            conn.execute(
                "INSERT INTO group_truncation(group_key, truncated, updated_at) VALUES (?,?,?) "
                "ON CONFLICT(group_key) DO UPDATE SET truncated=excluded.truncated, "
                "updated_at=excluded.updated_at WHERE excluded.updated_at >= updated_at",
                (delivery.group_key, delivery.truncated_alerts, ts(received_at)),
            )
            return merged

        return await self._write("ingest", apply)

    async def load_episodes(self) -> list[AlertEpisode]:
        rows = await self._read(
            "load_episodes",
            lambda c: c.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts").fetchall(),
        )
        return [_row_to_episode(r) for r in rows]

    async def episodes_since(self, cursor: int) -> tuple[list[AlertEpisode], int]:
        def read(c: sqlite3.Connection) -> tuple[list[AlertEpisode], int]:
            # One snapshot: the newest change number given out (a delivery's id), and every
            # row changed after the cursor up to it. Rows written before change numbers
            # existed have seq 0, so cursor 0 reads them too.
            c.execute("BEGIN")
            try:
                top = c.execute("SELECT coalesce(max(id), 0) FROM deliveries").fetchone()[0]
                where, args = ("", ()) if cursor == 0 else ("WHERE seq > ?", (cursor,))
                rows = c.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts {where}", args).fetchall()
            finally:
                c.execute("COMMIT")
            return [_row_to_episode(r) for r in rows], max(int(top), cursor)

        return await self._read("episodes_since", read)

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
                "SELECT received_at, receiver, group_key, status, alerts, truncated "
                "FROM deliveries ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall(),
        )
        return [DeliveryRecord(parse_ts(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]

    async def save_incidents(
        self, records: Sequence[IncidentRecord], fence: int | None = None
    ) -> None:
        rows = [
            (
                r.id,
                r.key,
                ts(r.started_at),
                r.state,
                r.merged_into,
                dumps([[fp, ts(at)] for fp, at in r.episodes]),
                dumps(r.document),
            )
            for r in records
        ]

        def apply(conn: sqlite3.Connection) -> None:
            _check_fence(conn, "save_incidents", fence)
            conn.executemany(
                "INSERT OR REPLACE INTO incidents(id, key, started_at, state, merged_into, "
                "episodes, document) VALUES (?,?,?,?,?,?,?)",
                rows,
            )

        await self._write("save_incidents", apply)

    @staticmethod
    def _record(row: Sequence[Any]) -> IncidentRecord:
        return IncidentRecord(
            id=row[0],
            key=row[1],
            started_at=parse_ts(row[2]),
            state=row[3],
            merged_into=row[4],
            episodes=[(fp, parse_ts(at)) for fp, at in loads(row[5])],
            document=loads(row[6]),
        )

    async def load_incidents(self) -> list[IncidentRecord]:
        rows = await self._read(
            "load_incidents",
            lambda c: c.execute(
                "SELECT id, key, started_at, state, merged_into, episodes, document "
                "FROM incidents ORDER BY started_at, id"
            ).fetchall(),
        )
        return [self._record(r) for r in rows]

    async def get_incident(self, incident_id: str) -> IncidentRecord | None:
        row = await self._read(
            "get_incident",
            lambda c: c.execute(
                "SELECT id, key, started_at, state, merged_into, episodes, document "
                "FROM incidents WHERE id=?",
                (incident_id,),
            ).fetchone(),
        )
        return self._record(row) if row else None

    # ---- notices -------------------------------------------------------------------------
    async def put_draft(
        self,
        draft: DraftRecord,
        expected_revision: int | None,
        audit: Sequence[AuditEntry],
        fence: int | None = None,
    ) -> None:
        check_follows(draft, expected_revision)
        row = (draft.id, draft.incident_id, draft.state, draft.revision, ts(draft.updated_at))
        body = dumps(draft.document)
        entries = [_audit_row(e) for e in audit]

        def apply(conn: sqlite3.Connection) -> None:
            _check_fence(conn, "put_draft", fence)
            _check_stored_revision(
                conn, "drafts", "id", draft.id, expected_revision, f"draft {draft.id}"
            )
            conn.execute(
                "INSERT INTO drafts(id, incident_id, state, revision, updated_at, document) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET state=excluded.state, "
                "revision=excluded.revision, updated_at=excluded.updated_at, "
                "document=excluded.document",
                (*row, body),
            )
            _insert_audit(conn, entries)

        await self._write("put_draft", apply)

    @staticmethod
    def _draft(row: Sequence[Any]) -> DraftRecord:
        return DraftRecord(
            id=row[0],
            incident_id=row[1],
            state=row[2],
            revision=int(row[3]),
            updated_at=parse_ts(row[4]),
            document=loads(row[5]),
        )

    async def get_draft(self, draft_id: str) -> DraftRecord | None:
        row = await self._read(
            "get_draft",
            lambda c: c.execute(
                f"SELECT {_DRAFT_COLUMNS} FROM drafts WHERE id=?", (draft_id,)
            ).fetchone(),
        )
        return self._draft(row) if row else None

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
        sql = f"SELECT {_DRAFT_COLUMNS} FROM drafts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        rows = await self._read("list_drafts", lambda c: c.execute(sql, params).fetchall())
        return [self._draft(r) for r in rows]

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        rows = [_audit_row(e) for e in entries]
        if rows:
            await self._write("append_audit", lambda c: _insert_audit(c, rows))

    async def audit_log(
        self, limit: int = 100, before_seq: int | None = None, target: str | None = None
    ) -> list[AuditEntry]:
        where: list[str] = []
        params: list[Any] = []
        if before_seq is not None:
            where.append("seq < ?")
            params.append(before_seq)
        if target is not None:
            where.append("target = ?")
            params.append(target)
        sql = "SELECT seq, at, actor, action, target, detail FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit)
        rows = await self._read("audit_log", lambda c: c.execute(sql, params).fetchall())
        return [
            AuditEntry(
                at=parse_ts(r[1]),
                actor=r[2],
                action=r[3],
                target=r[4],
                detail=loads(r[5]),
                seq=int(r[0]),
            )
            for r in rows
        ]

    # ---- privacy cases -----------------------------------------------------------------
    async def put_privacy_case(
        self, case: PrivacyCaseRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        check_follows(case, expected_revision, "privacy case")
        row = (case.id, case.state, case.revision, ts(case.updated_at), dumps(case.document))
        entries = [_audit_row(e) for e in audit]

        def apply(conn: sqlite3.Connection) -> None:
            _check_stored_revision(
                conn, "privacy_cases", "id", case.id, expected_revision, f"privacy case {case.id}"
            )
            conn.execute(
                "INSERT INTO privacy_cases(id, state, revision, updated_at, document) "
                "VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET state=excluded.state, "
                "revision=excluded.revision, updated_at=excluded.updated_at, "
                "document=excluded.document",
                row,
            )
            conn.execute(
                "INSERT INTO privacy_case_revisions(id, revision, updated_at, document) "
                "VALUES (?,?,?,?)",
                (case.id, case.revision, row[3], row[4]),
            )
            _insert_audit(conn, entries)

        await self._write("put_privacy_case", apply)

    async def get_privacy_case(self, case_id: str) -> PrivacyCaseRecord | None:
        row = await self._read(
            "get_privacy_case",
            lambda c: c.execute(
                "SELECT id, state, revision, updated_at, document FROM privacy_cases WHERE id=?",
                (case_id,),
            ).fetchone(),
        )
        return _privacy_case(row) if row else None

    async def list_privacy_cases(self) -> list[PrivacyCaseRecord]:
        rows = await self._read(
            "list_privacy_cases",
            lambda c: c.execute(
                "SELECT id, state, revision, updated_at, document FROM privacy_cases ORDER BY id"
            ).fetchall(),
        )
        return [_privacy_case(r) for r in rows]

    async def privacy_case_revisions(self, case_id: str) -> list[PrivacyCaseRecord]:
        rows = await self._read(
            "privacy_case_revisions",
            lambda c: c.execute(
                "SELECT id, revision, updated_at, document FROM privacy_case_revisions "
                "WHERE id=? ORDER BY revision",
                (case_id,),
            ).fetchall(),
        )
        return [
            PrivacyCaseRecord(
                r[0], loads(r[3]).get("state", ""), int(r[1]), parse_ts(r[2]), loads(r[3])
            )
            for r in rows
        ]

    # ---- leadership ----------------------------------------------------------------------
    async def acquire_lease(self, holder: str, ttl: timedelta) -> int | None:
        def apply(conn: sqlite3.Connection) -> int | None:
            now = time.time()
            row = conn.execute(
                "SELECT holder, token, expires_at FROM lease WHERE name=?", (LEADER_LEASE,)
            ).fetchone()
            if row is not None and row[0] != holder and float(row[2]) > now:
                return None
            token = 1 if row is None else int(row[1]) + (0 if row[0] == holder else 1)
            conn.execute(
                "INSERT INTO lease(name, holder, token, expires_at) VALUES (?,?,?,?) "
                "ON CONFLICT(name) DO UPDATE SET holder=excluded.holder, token=excluded.token, "
                "expires_at=excluded.expires_at",
                (LEADER_LEASE, holder, token, now + ttl.total_seconds()),
            )
            return token

        return await self._write("acquire_lease", apply)

    async def release_lease(self, holder: str) -> None:
        def apply(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE lease SET expires_at=0 WHERE name=? AND holder=?", (LEADER_LEASE, holder)
            )

        await self._write("release_lease", apply)

    async def current_lease(self) -> Lease | None:
        row = await self._read(
            "current_lease",
            lambda c: c.execute(
                "SELECT holder, token, expires_at FROM lease WHERE name=?", (LEADER_LEASE,)
            ).fetchone(),
        )
        if row is None or float(row[2]) <= time.time():
            return None
        return Lease(row[0], int(row[1]))

    # ---- people, sessions, API tokens ------------------------------------------------------
    async def put_user(
        self, user: UserRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        check_revision(f"user {user.name}", user.revision, expected_revision)
        body = user_json(user)
        entries = [_audit_row(e) for e in audit]

        def apply(conn: sqlite3.Connection) -> None:
            _check_stored_revision(
                conn, "users", "name", user.name, expected_revision, f"user {user.name}"
            )
            conn.execute(
                "INSERT INTO users(name, revision, document) VALUES (?,?,?) ON CONFLICT(name) "
                "DO UPDATE SET revision=excluded.revision, document=excluded.document",
                (user.name, user.revision, body),
            )
            _insert_audit(conn, entries)

        await self._write("put_user", apply)

    async def get_user(self, name: str) -> UserRecord | None:
        row = await self._read(
            "get_user",
            lambda c: c.execute(
                "SELECT document, revision FROM users WHERE name=?", (name,)
            ).fetchone(),
        )
        return user_from(row[0], int(row[1])) if row else None

    async def list_users(self) -> list[UserRecord]:
        rows = await self._read(
            "list_users",
            lambda c: c.execute("SELECT document, revision FROM users ORDER BY name").fetchall(),
        )
        return [user_from(r[0], int(r[1])) for r in rows]

    async def put_session(self, session: SessionRecord) -> None:
        row = (session.id_hash, session.user, ts(session.expires_at), session_json(session))
        await self._write(
            "put_session",
            lambda c: c.execute(
                "INSERT OR REPLACE INTO sessions(id_hash, user, expires_at, document) "
                "VALUES (?,?,?,?)",
                row,
            ),
        )

    async def get_session(self, id_hash: str) -> SessionRecord | None:
        row = await self._read(
            "get_session",
            lambda c: c.execute(
                "SELECT document FROM sessions WHERE id_hash=?", (id_hash,)
            ).fetchone(),
        )
        return session_from(row[0]) if row else None

    async def delete_session(self, id_hash: str) -> None:
        await self._write(
            "delete_session",
            lambda c: c.execute("DELETE FROM sessions WHERE id_hash=?", (id_hash,)),
        )

    async def delete_user_sessions(self, user: str) -> int:
        return await self._write(
            "delete_user_sessions",
            lambda c: c.execute("DELETE FROM sessions WHERE user=?", (user,)).rowcount,
        )

    async def prune_sessions(self, now: datetime) -> int:
        return await self._write(
            "prune_sessions",
            lambda c: c.execute("DELETE FROM sessions WHERE expires_at <= ?", (ts(now),)).rowcount,
        )

    async def put_token(
        self, token: TokenRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        check_revision(f"token {token.id}", token.revision, expected_revision)
        row = (token.id, token.token_hash, ts(token.created_at), token.revision, token_json(token))
        entries = [_audit_row(e) for e in audit]

        def apply(conn: sqlite3.Connection) -> None:
            _check_stored_revision(
                conn, "api_tokens", "id", token.id, expected_revision, f"token {token.id}"
            )
            conn.execute(
                "INSERT INTO api_tokens(id, token_hash, created_at, revision, document) "
                "VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                "revision=excluded.revision, document=excluded.document",
                row,
            )
            _insert_audit(conn, entries)

        await self._write("put_token", apply)

    async def _tokens(self, op: str, where: str, params: tuple[Any, ...]) -> list[TokenRecord]:
        sql = (
            "SELECT document, revision, last_used_at FROM api_tokens"
            f"{where} ORDER BY created_at, id"
        )
        rows = await self._read(op, lambda c: c.execute(sql, params).fetchall())
        return [token_from(r[0], int(r[1]), opt_parse_ts(r[2])) for r in rows]

    async def get_token(self, token_id: str) -> TokenRecord | None:
        found = await self._tokens("get_token", " WHERE id=?", (token_id,))
        return found[0] if found else None

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        found = await self._tokens("find_token", " WHERE token_hash=?", (token_hash,))
        return found[0] if found else None

    async def list_tokens(self) -> list[TokenRecord]:
        return await self._tokens("list_tokens", "", ())

    async def touch_token(self, token_id: str, at: datetime) -> None:
        await self._write(
            "touch_token",
            lambda c: c.execute(
                "UPDATE api_tokens SET last_used_at=? WHERE id=? "
                "AND (last_used_at IS NULL OR last_used_at < ?)",
                (ts(at), token_id, ts(at)),
            ),
        )


def _privacy_case(row: Sequence[Any]) -> PrivacyCaseRecord:
    return PrivacyCaseRecord(row[0], row[1], int(row[2]), parse_ts(row[3]), loads(row[4]))


_DRAFT_COLUMNS = "id, incident_id, state, revision, updated_at, document"


def _check_stored_revision(
    conn: sqlite3.Connection, table: str, column: str, key: str, expected: int | None, what: str
) -> None:
    """Raise Conflict (same transaction as the write it guards) unless the stored revision of
    ``key`` is ``expected`` (None: no such row yet)."""
    found = conn.execute(f"SELECT revision FROM {table} WHERE {column}=?", (key,)).fetchone()
    stored = None if found is None else int(found[0])
    if stored != expected:
        raise Conflict(what, revision_problem(stored, expected))


def _check_fence(conn: sqlite3.Connection, op: str, fence: int | None) -> None:
    """Raise LeaseLost unless ``fence`` is None or the unexpired lease's token (same
    transaction as the write it guards)."""
    if fence is None:
        return
    row = conn.execute(
        "SELECT holder, token, expires_at FROM lease WHERE name=?", (LEADER_LEASE,)
    ).fetchone()
    if row is None or int(row[1]) != fence or float(row[2]) <= time.time():
        held = "nobody holds it" if row is None else f"token {row[1]} held by {row[0]}"
        raise LeaseLost(op, f"the lease is not held with token {fence} ({held})")


def _audit_row(entry: AuditEntry) -> tuple[str, str, str, str, str]:
    return (ts(entry.at), entry.actor, entry.action, entry.target, dumps(entry.detail))


def _insert_audit(conn: sqlite3.Connection, rows: Sequence[tuple[str, ...]]) -> None:
    conn.executemany(
        "INSERT INTO audit(at, actor, action, target, detail) VALUES (?,?,?,?,?)", rows
    )
