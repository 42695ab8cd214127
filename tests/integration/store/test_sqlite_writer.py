"""The SQLite writer (group commit) outlives a job's bug, and when it is gone no write waits for
ever: real SQLite files."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
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
