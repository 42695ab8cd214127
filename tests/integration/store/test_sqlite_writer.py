"""The SQLite writer (group commit) outlives a job's bug, and when it is gone no write waits for
ever: real SQLite files."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import pytest

from bridge.errors import StoreUnavailable
from bridge.store.sqlite import SqliteStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(f"sqlite:///{tmp_path / 'bridge.sqlite3'}")
    await s.open()
    yield s
    await s.close()


async def test_a_job_raising_stopiteration_fails_alone_and_the_writer_goes_on(
    store: SqliteStore,
) -> None:
    """``set_exception`` refuses a StopIteration (TypeError): it reaches its caller wrapped,
    and a write after it (and one in the same batch) is made."""

    def buggy(conn: sqlite3.Connection) -> NoReturn:
        raise StopIteration

    together = asyncio.gather(
        store._write("buggy", buggy),
        store.acquire_lease("solo", timedelta(seconds=30)),
        return_exceptions=True,
    )
    failed, token = await asyncio.wait_for(together, 20)  # the old writer died: never answered
    assert isinstance(failed, RuntimeError) and isinstance(failed.__cause__, StopIteration)
    assert token == 1
    assert await asyncio.wait_for(store.acquire_lease("solo", timedelta(seconds=30)), 20) == 1
    await store.ping()


async def test_writes_fail_with_store_unavailable_once_the_writer_is_gone(
    store: SqliteStore,
) -> None:
    """Whatever ended the writer, a write waiting in its queue and every later one fail with
    StoreUnavailable instead of waiting for ever."""
    writer = store._writer_task
    assert writer is not None
    blocked = asyncio.Event()
    release = asyncio.Event()
    loop = asyncio.get_running_loop()

    def hold(conn: sqlite3.Connection) -> None:  # keeps the writer busy with its batch
        loop.call_soon_threadsafe(blocked.set)
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(20)

    held = asyncio.create_task(store._write("hold", hold))
    await blocked.wait()
    queued = asyncio.create_task(store.ping())  # waits for the next batch
    await asyncio.sleep(0)  # let it enqueue (no waiting for an outcome: one loop turn)
    writer.cancel()  # the writer ends (here: cancelled; a bug would end it the same way)
    with pytest.raises(StoreUnavailable):
        await asyncio.wait_for(queued, 20)
    with pytest.raises(StoreUnavailable):
        await asyncio.wait_for(held, 20)
    release.set()
    with pytest.raises(StoreUnavailable):
        await store.ping()


class _Refused(Exception):
    pass


_Fn = Callable[[sqlite3.Connection], object]


async def _one_batch(store: SqliteStore, *jobs: tuple[str, _Fn, bool]) -> list[object]:
    """Run ``jobs`` (name, fn, bare) as one batch of the writer: queued while it is held by a
    batch of its own, then released together; their outcomes in order."""
    blocked = asyncio.Event()
    release = asyncio.Event()
    loop = asyncio.get_running_loop()

    def hold(conn: sqlite3.Connection) -> None:
        loop.call_soon_threadsafe(blocked.set)
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(20)

    held = asyncio.create_task(store._write("hold", hold))
    await blocked.wait()
    tasks = [asyncio.create_task(store._write(n, fn, bare=bare)) for n, fn, bare in jobs]
    await asyncio.sleep(0)  # each is queued (one loop turn), none answered: the writer is held
    release.set()
    await held
    return list(await asyncio.gather(*tasks, return_exceptions=True))


async def _scratch(store: SqliteStore) -> list[str]:
    rows = await store._read("scratch", lambda c: c.execute("SELECT v FROM scratch").fetchall())
    return sorted(r[0] for r in rows)


def _insert(value: str) -> _Fn:
    return lambda conn: conn.execute("INSERT INTO scratch(v) VALUES (?)", (value,)).rowcount


async def test_a_bare_job_refusing_before_it_writes_fails_alone(store: SqliteStore) -> None:
    """A job run without a savepoint of its own (``bare``, as a re-sent group's record is)
    that raises before writing fails alone: the writes before and after it in its batch are
    committed, and a bare job that succeeds is committed with them."""
    await store._write("setup", lambda c: c.execute("CREATE TABLE scratch (v TEXT)"))

    def refuse(conn: sqlite3.Connection) -> None:
        conn.execute("SELECT count(*) FROM scratch").fetchone()
        raise _Refused

    outcomes = await _one_batch(
        store,
        ("before", _insert("before"), False),
        ("refused", refuse, True),
        ("bare", _insert("bare"), True),
        ("after", _insert("after"), False),
    )
    assert outcomes[0] == 1 and outcomes[2] == 1 and outcomes[3] == 1
    assert isinstance(outcomes[1], _Refused)
    assert await _scratch(store) == ["after", "bare", "before"]


async def test_a_bare_job_failing_after_it_wrote_fails_its_whole_batch(
    store: SqliteStore,
) -> None:
    """A bare job cannot be undone alone once it wrote: if it raises after a write, nothing
    of its batch is committed and every write in the batch fails (StoreUnavailable, as when
    the commit fails); the writer goes on with the next batch."""
    await store._write("setup", lambda c: c.execute("CREATE TABLE scratch (v TEXT)"))

    def half(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO scratch(v) VALUES ('half')")
        conn.execute("INSERT INTO no_such_table VALUES (1)")  # an SQLite error after a write

    outcomes = await _one_batch(
        store,
        ("before", _insert("before"), False),
        ("half", half, True),
        ("after", _insert("after"), False),
    )
    assert all(isinstance(o, StoreUnavailable) for o in outcomes), outcomes
    assert await _scratch(store) == []
    assert await store._write("next", _insert("next")) == 1
    assert await _scratch(store) == ["next"]
