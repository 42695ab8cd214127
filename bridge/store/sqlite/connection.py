"""The SQLite file behind every concern: its URL, the two connections, group commit.

Why this shape: the webhook may answer 2xx only after a durable write, and an fsync per request
would cap throughput at the disk's fsync rate. So writes go through one writer thread that takes
every job waiting, runs each in its own SAVEPOINT inside one transaction and commits once
(``synchronous=FULL``): one fsync acknowledges the whole batch, and a failing job rolls back only
itself. A job that can only refuse before it writes anything (a re-sent group's record, the
commonest write under a long outage) may run without a savepoint of its own (``bare``): two
statements fewer; should it fail after writing all the same, the batch fails whole, as when the
commit fails. Reads use a second connection (WAL readers never block the writer).

URL: ``sqlite:///PATH[?busy_timeout_ms=N]`` (N at most 5000, checked at load:
:data:`bridge.core.store_url.SQLITE_MAX_BUSY_TIMEOUT_MS`). A file locked by another process for
longer than the busy timeout makes writes raise StoreUnavailable (the webhook answers 503).

Files: the database is created readable and writable by this process's user only (``0600``,
whatever the umask; it holds personal data of privacy cases), and so are its ``-wal`` and
``-shm`` (SQLite gives them the database file's mode; :meth:`SqliteConnection.open` makes sure).
An existing file keeps the mode it has.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs

from bridge.errors import StoreEmpty, StoreUnavailable
from bridge.store.codec import ts
from bridge.store.interfaces import SCHEMA_VERSION
from bridge.store.sqlite.migrations import migrate as migrate_to
from bridge.store.sqlite.migrations import newer_than_this

T = TypeVar("T")

#: a write: what to run in the writer's transaction, its caller's future, and whether it runs
#: without a savepoint of its own (``bare``, see :meth:`SqliteConnection._write`)
_Job = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]", bool]


def _settable(exc: BaseException) -> BaseException:
    """``exc`` as a future can hold it: a StopIteration (a job's bug) cannot be set on one
    (``set_exception`` raises TypeError, which would end the writer): wrapped instead."""
    if isinstance(exc, StopIteration):
        wrapped = RuntimeError(f"a store write raised {type(exc).__name__}")
        wrapped.__cause__ = exc
        return wrapped
    return exc


class SqliteConnection:
    """Lifecycle, reads and group-committed writes; the concerns build on :meth:`_read` and
    :meth:`_write` (each job runs in the writer's transaction and may raise to undo itself)."""

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
        self._first: set[asyncio.Future[Any]] = set()  # jobs to run first in their batch
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

    def _create_private(self) -> None:
        """Create the database file ``0600`` when it does not exist yet (see the contract)."""
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        try:
            os.fchmod(fd, 0o600)  # the umask may have taken bits away, never added: set exactly
        finally:
            os.close(fd)

    def _private_companions(self) -> None:
        """``-wal`` and ``-shm`` of a database that is private are private too."""
        if self.path.stat().st_mode & 0o077:
            return  # an existing database someone opened up on purpose: leave it
        for suffix in ("-wal", "-shm", "-journal"):
            companion = self.path.with_name(self.path.name + suffix)
            with contextlib.suppress(FileNotFoundError):
                if companion.stat().st_mode & 0o077:
                    os.chmod(companion, 0o600)

    def _stored_schema(self) -> int:
        """The schema version the file has (0: none yet), read without changing the file; a
        missing file raises StoreUnavailable."""
        if not self.path.is_file():
            raise StoreUnavailable(
                "open",
                f"{self.path} does not exist (nothing stored yet): `bridge serve` creates it",
            )
        conn = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode=rw", uri=True)
        try:
            conn.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
            ).fetchone()
            if found is None:
                return 0
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            return int(row[0]) if row else 0
        finally:
            conn.close()

    def _prepare(self, migrate: bool, create: bool) -> None:
        """Before connecting: the directory and the file ``0600`` when they do not exist yet;
        without ``migrate``, nothing is created and the file must be at :data:`SCHEMA_VERSION`;
        without ``create``, a file that is missing or holds no schema is StoreEmpty."""
        if not create and (not self.path.is_file() or self._stored_schema() == 0):
            raise StoreEmpty(str(self.path))
        if not migrate:
            current = self._stored_schema()
            if current < SCHEMA_VERSION:
                raise StoreUnavailable(
                    "open",
                    f"{self.path} has schema {current}, older than this bridge's "
                    f"{SCHEMA_VERSION}: start `bridge serve` of this version to upgrade it "
                    "first (docs/deployment.md, Upgrading); nothing was changed",
                )
            if current > SCHEMA_VERSION:
                raise StoreUnavailable("open", newer_than_this(self.path, current))
            return
        if not self.path.parent.is_dir():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(self.path.parent, 0o700)  # made here: this user's only
        self._create_private()

    async def open(self, *, migrate: bool = True, create: bool = True) -> None:
        """Open the file, creating it and bringing its schema to :data:`SCHEMA_VERSION` first.
        Without ``migrate`` (a command that only reads, or a dry run) the file is neither
        created nor migrated: one that is missing or at an older schema is refused
        (StoreUnavailable, naming the path). A directory or file that cannot be made or read
        is StoreUnavailable naming the path too, and so is an error of SQLite's (a full disk:
        ``database or disk is full``, or "disk I/O error" followed by "its filesystem has no
        space left"). Without ``create``, a file that is missing or holds no schema is
        StoreEmpty, and nothing is created."""
        try:
            self._prepare(migrate, create)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename not in (None, str(self.path)) else ""
            raise StoreUnavailable("open", f"{self.path}: {exc.strerror or exc}{where}") from exc
        except sqlite3.Error as exc:
            raise StoreUnavailable("open", f"{self.path}: {exc}") from exc
        self._write_pool = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self._read_pool = ThreadPoolExecutor(1, thread_name_prefix="sqlite-reader")
        loop = asyncio.get_running_loop()
        try:
            self._writer = await loop.run_in_executor(self._write_pool, self._connect)
            if migrate:
                await loop.run_in_executor(self._write_pool, migrate_to, self._writer, self.path)
            self._reader = await loop.run_in_executor(self._read_pool, self._connect)
            self._private_companions()
        except (sqlite3.Error, OSError) as exc:
            await self.close()
            cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise StoreUnavailable("open", f"{self.path}: {cause}{self._full(cause)}") from exc
        except BaseException:
            await self.close()
            raise
        self._queue = asyncio.Queue()
        self._writer_task = asyncio.create_task(self._write_loop(), name="sqlite-group-commit")

    def _full(self, cause: object) -> str:
        """What to add to an error opening the file when its filesystem has no space left:
        SQLite names that only sometimes ("database or disk is full"); without room for its
        ``-shm`` it says "disk I/O error"."""
        if "full" in str(cause):
            return ""
        try:
            free = os.statvfs(self.path.parent).f_bavail
        except OSError:
            return ""
        return " (its filesystem has no space left)" if free == 0 else ""

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

    async def ping(self) -> None:
        """A write through the writer, as a webhook's is: a file another process keeps
        locked, a full disk, a read-only file or folder all make it fail (StoreUnavailable),
        as Redis's ping does. It rewrites one fixed row, ``meta``'s ``alive`` (when the last
        probe wrote, so the page really changes: SQLite skips writing a page left as it was),
        so nothing grows with probes: each adds a page to the WAL, which the checkpoints take
        back like any other write's; in a busy moment it joins the batch being committed."""

        def alive(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES('alive', ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (ts(datetime.now(UTC)),),
            )

        await self._write("ping", alive)

    async def schema_version(self) -> int:
        row = await self._read(
            "schema_version",
            lambda c: c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone(),
        )
        return int(row[0]) if row else 0

    # ---- group commit -------------------------------------------------------------------
    async def _write(
        self,
        op: str,
        fn: Callable[[sqlite3.Connection], T],
        *,
        first: bool = False,
        bare: bool = False,
    ) -> T:
        """Run ``fn`` in the next group commit; ``first`` (the lease's renewal) runs before the
        other jobs of its batch, so a fenced write queued with it sees the renewed lease.
        ``bare``: ``fn`` raises on purpose only before its first write, so it runs without a
        savepoint of its own; if it raises after writing (an SQLite error half-way), nothing of
        the batch is committed and every write in it fails with that error (StoreUnavailable
        for an SQLite error), as when the commit fails."""
        queue = self._queue
        if queue is None:
            raise StoreUnavailable(op, "store is not open")
        if self._writer_task is None or self._writer_task.done():
            raise StoreUnavailable(op, "the store's writer has stopped")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        if first:
            self._first.add(future)
        queue.put_nowait((fn, future, bare))  # unbounded: never waits
        try:
            return await future
        except sqlite3.Error as exc:
            raise StoreUnavailable(op, str(exc)) from exc

    async def _write_loop(self) -> None:
        """The writer (see the module docstring). Should it ever end (closed, or a bug), the
        writes it holds and every later one fail with StoreUnavailable: none waits for ever."""
        queue = self._queue
        assert queue is not None
        loop = asyncio.get_running_loop()
        batch: list[_Job] = []
        try:
            while True:
                batch = [await queue.get()]
                while not queue.empty():
                    batch.append(queue.get_nowait())
                if self._first:
                    batch.sort(key=lambda job: job[1] not in self._first)  # stable: order kept
                    self._first.difference_update(job[1] for job in batch)
                try:
                    outcomes = await loop.run_in_executor(self._write_pool, self._run_batch, batch)
                except Exception as exc:  # commit failed: nothing in the batch was applied
                    outcomes = [(False, exc)] * len(batch)
                for (_, future, _), (ok, value) in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(_settable(value))
                batch = []
        finally:
            while not queue.empty():
                batch.append(queue.get_nowait())
            for _, future, _ in batch:
                self._first.discard(future)
                if not future.done():
                    future.set_exception(
                        StoreUnavailable("write", "the store's writer has stopped")
                    )

    def _run_batch(self, batch: list[_Job]) -> list[tuple[bool, Any]]:
        conn = self._writer
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        outcomes: list[tuple[bool, Any]] = []
        try:
            for fn, _, bare in batch:
                if bare:
                    outcomes.append(self._run_bare(conn, fn))
                    continue
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

    @staticmethod
    def _run_bare(
        conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], Any]
    ) -> tuple[bool, Any]:
        """A ``bare`` job (see :meth:`_write`): its outcome, or raises (the batch fails) when
        it failed after writing or SQLite ended the transaction."""
        before = conn.total_changes
        try:
            return (True, fn(conn))
        except Exception as exc:
            if conn.total_changes != before or not conn.in_transaction:
                raise  # half-written (or rolled back by SQLite): cannot be undone alone
            return (False, exc)

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
