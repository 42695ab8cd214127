"""The lease holder's side (bridge.replicas.leadership) against a real redis-server, and the
upgrade of stores written before change numbers existed (schema 2 → 3) on both stores."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from builders import alert, webhook
from polling import until
from prometheus_client import CollectorRegistry
from redis_server import RedisServer

from bridge.core.alerts import parse_webhook
from bridge.metrics import Metrics
from bridge.replicas.leadership import Leadership, lease_holder, replica_of
from bridge.store.interfaces import SCHEMA_VERSION
from bridge.store.redis import RedisStore
from bridge.store.redis.alerts import episode_field, episode_value
from bridge.store.sqlite import SqliteStore
from bridge.store.sqlite.alerts import episode_row
from bridge.store.sqlite.migrations import MIGRATIONS, statements

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    s = RedisServer(tmp_path / "redis").start()
    yield s
    s.stop()


class Calls:
    def __init__(self) -> None:
        self.events: list[str] = []

    async def gain(self) -> None:
        self.events.append("gain")

    async def lose(self) -> None:
        self.events.append("lose")


async def test_leader_cut_off_from_the_store_steps_down_once_its_lease_would_have_expired(
    server: RedisServer,
) -> None:
    """A leader that cannot reach the store keeps leading until its lease would have expired, then
    steps down, and leads again with a bigger token once the store is back."""
    store = RedisStore(server.url(socket_timeout=0.5, socket_connect_timeout=0.5))
    await store.open()
    calls = Calls()
    ttl = timedelta(milliseconds=400)
    lead = Leadership(store, "solo", ttl, calls.gain, calls.lose)
    try:
        await lead.step()
        first = lead.token
        assert lead.leading and first is not None and calls.events == ["gain"]
        server.stop()
        await lead.step()  # the store does not answer, but the lease may still be ours
        assert lead.leading and calls.events == ["gain"]
        await asyncio.sleep(ttl.total_seconds())
        await lead.step()  # now it may have expired: stop acting as leader
        assert not lead.leading and calls.events == ["gain", "lose"]
        server.start()  # AOF replayed; the lease key has expired meanwhile
        await lead.step()
        assert lead.leading and lead.token is not None and lead.token > first
        assert calls.events == ["gain", "lose", "gain"]
    finally:
        await lead.stop()
        await store.close()


async def test_a_second_holder_waits_and_takes_over_after_release(server: RedisServer) -> None:
    """A second replica follows while the lease is held and leads after a clean release; lost() on a
    replica no longer leading does nothing."""
    a_store, b_store = RedisStore(server.url()), RedisStore(server.url())
    await a_store.open()
    await b_store.open()
    a_calls, b_calls = Calls(), Calls()
    a = Leadership(a_store, "a", timedelta(seconds=30), a_calls.gain, a_calls.lose)
    b = Leadership(b_store, "b", timedelta(seconds=30), b_calls.gain, b_calls.lose)
    try:
        await a.step()
        await b.step()
        assert a.leading and not b.leading and b.leader_id == "a"
        await a.stop()  # a clean stop releases the lease: no waiting for it to expire
        await b.step()
        assert b.leading and b.leader_id == "b" and b_calls.events == ["gain"]
        await a.lost("fenced write refused")  # no longer leading: nothing happens
        assert a_calls.events == ["gain"]
    finally:
        await b.stop()
        await a_store.close()
        await b_store.close()


async def test_a_lapsed_lease_nobody_took_is_renewed_and_a_taken_one_is_lost(
    tmp_path: Path,
) -> None:
    """lost() after the lease merely lapsed re-takes it with the same token and leads on; once
    another replica took it, lost() steps down."""
    store = SqliteStore(f"sqlite:///{tmp_path / 'lease.sqlite3'}")
    await store.open()
    calls = Calls()
    ttl = timedelta(milliseconds=100)
    lead = Leadership(store, "busy", ttl, calls.gain, calls.lose)
    try:
        await lead.step()
        token = lead.token
        assert token is not None
        await until(lambda: _lapsed(store), "the lease to lapse")
        await lead.lost("fenced write refused")
        assert lead.leading and lead.token == token and calls.events == ["gain"]
        await until(lambda: _lapsed(store), "the lease to lapse again")
        assert await store.acquire_lease("other", timedelta(seconds=30)) == token + 1
        await lead.lost("fenced write refused")
        assert not lead.leading and calls.events == ["gain", "lose"]
    finally:
        await lead.stop()
        await store.close()


async def _lapsed(store: SqliteStore) -> bool:
    return await store.current_lease() is None


async def test_two_processes_under_one_name_are_two_holders(tmp_path: Path) -> None:
    """Two leaderships under the same replica id (the host name, when two bridges share one
    configuration) on one SQLite file: one leads, the other follows it; the follower takes
    over after a clean stop under a bigger token, and sees the replica id in the holder."""
    url = f"sqlite:///{tmp_path / 'lease.sqlite3'}"
    a_store, b_store = SqliteStore(url), SqliteStore(url)
    await a_store.open()
    await b_store.open()
    a_calls, b_calls = Calls(), Calls()
    ttl = timedelta(seconds=30)
    a = Leadership(a_store, lease_holder("vm"), ttl, a_calls.gain, a_calls.lose)
    b = Leadership(b_store, lease_holder("vm"), ttl, b_calls.gain, b_calls.lose)
    try:
        assert a.holder != b.holder and replica_of(a.holder) == replica_of(b.holder) == "vm"
        await a.step()
        await b.step()
        await a.step()
        await b.step()
        assert a.leading and not b.leading and b.leader_id == a.holder and b_calls.events == []
        first = a.token
        assert first is not None
        await a.stop()
        await b.step()
        assert b.leading and b.token is not None and b.token > first
    finally:
        await b.stop()
        await a_store.close()
        await b_store.close()


async def test_sqlite_serve_holding_the_file_lock_takes_a_dead_process_lease_at_once(
    tmp_path: Path,
) -> None:
    """The store of the ``serve`` holding the file's serve lock (``sole``) takes a lease another
    process holder left unexpired, with a bigger token; one held under a bare name (a bridge
    from before the lock) it waits out, and so does a store without the lock."""
    url = f"sqlite:///{tmp_path / 'lease.sqlite3'}"
    store = SqliteStore(url)
    await store.open()
    try:
        dead = lease_holder("vm")
        token = await store.acquire_lease(dead, timedelta(seconds=60))
        assert token is not None
        assert await store.acquire_lease(lease_holder("vm"), timedelta(seconds=60)) is None
        store.sole = True
        restarted = lease_holder("vm")
        assert await store.acquire_lease(restarted, timedelta(seconds=60)) == token + 1
        await store.release_lease(restarted)
        assert await store.acquire_lease("old-bridge", timedelta(seconds=60)) == token + 2
        assert await store.acquire_lease(lease_holder("vm"), timedelta(seconds=60)) is None
    finally:
        await store.close()


async def test_sqlite_from_schema_2_reads_old_alerts_as_change_zero(tmp_path: Path) -> None:
    """A SQLite store of schema 2 is migrated on open: its alerts read as change zero, and alerts
    stored after it are the news."""
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for version in (1, 2):
        for statement in statements(MIGRATIONS[version]):
            conn.execute(statement)
    conn.execute("INSERT INTO meta(key, value) VALUES ('schema_version', '2')")
    [old] = parse_webhook(webhook(alert("fp-old", T0)), T0).episodes
    conn.execute(
        "INSERT INTO alerts (fingerprint, starts_at, status, ends_at, labels, annotations, "
        "first_seen, last_seen, generator_url, group_key) VALUES (?,?,?,?,?,?,?,?,?,?)",
        episode_row(old),
    )
    conn.execute(  # the delivery that brought it, as schema 2 recorded it
        "INSERT INTO deliveries(received_at, receiver, group_key, status, alerts, truncated) "
        "VALUES ('2026-11-23T10:00:00.000000Z', 'bridge', 'g', 'firing', 1, 0)"
    )
    conn.commit()
    conn.close()
    store = SqliteStore(f"sqlite:///{path}")
    await store.open()
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        everything, cursor = await store.episodes_since(0)
        assert [e.fingerprint for e in everything] == ["fp-old"]
        await store.ingest(parse_webhook(webhook(alert("fp-new", T0)), T0), T0)
        news, _ = await store.episodes_since(cursor)
        assert [e.fingerprint for e in news] == ["fp-new"]
    finally:
        await store.close()


async def test_redis_from_schema_2_numbers_the_alerts_it_holds(server: RedisServer) -> None:
    """A Redis store of schema 2 is migrated on open: the alerts it holds are numbered, and alerts
    stored after it are the news."""
    [old] = parse_webhook(webhook(alert("fp-old", T0)), T0).episodes
    with redis.Redis(port=server.port) as r:
        r.set("bridge:schema", 2)
        r.hset("bridge:alerts", episode_field(old), episode_value(old))
    store = RedisStore(server.url())
    await store.open()
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        everything, cursor = await store.episodes_since(0)
        assert [e.fingerprint for e in everything] == ["fp-old"] and cursor == 1
        await store.ingest(parse_webhook(webhook(alert("fp-new", T0)), T0), T0)
        news, _ = await store.episodes_since(cursor)
        assert [e.fingerprint for e in news] == ["fp-new"]
    finally:
        await store.close()


async def test_taking_the_lease_is_logged_at_info_and_losing_it_at_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A single instance taking the lease logs INFO (no warning at start); losing it logs ERROR."""
    store = SqliteStore(f"sqlite:///{tmp_path / 'lease.sqlite3'}")
    await store.open()
    calls = Calls()
    lead = Leadership(store, "solo", timedelta(seconds=30), calls.gain, calls.lose)
    caplog.set_level(logging.DEBUG, logger="bridge.replicas")
    try:
        await lead.step()
        assert lead.leading
        [gained] = [r for r in caplog.records if "leads" in r.getMessage()]
        assert gained.levelno == logging.INFO
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        # another replica takes the lease (this one's lapsed); the refused write then ends it
        await store.release_lease("solo")
        assert await store.acquire_lease("other", timedelta(seconds=30)) is not None
        await lead.lost("a fenced write was refused")
        assert not lead.leading
        assert [r.levelno for r in caplog.records if "lost the lease" in r.getMessage()] == [
            logging.ERROR
        ]
    finally:
        await lead.stop()
        await store.close()


async def test_a_takeover_that_fails_is_given_up_counted_and_tried_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Any error while taking over (here one on_gain raises once) leaves no half leader: the
    takeover is counted and logged by type and frames (not its message), on_lose runs, the lease
    is released for any replica to take, and the next step takes over again."""
    store = SqliteStore(f"sqlite:///{tmp_path / 'lease.sqlite3'}")
    await store.open()
    calls = Calls()
    metrics = Metrics(CollectorRegistry())

    async def gain() -> None:
        await calls.gain()
        if calls.events == ["gain"]:
            raise RuntimeError("restore failed for olga@example.net")

    lead = Leadership(store, "solo", timedelta(seconds=30), gain, calls.lose, metrics)
    caplog.set_level(logging.INFO, logger="bridge.replicas")
    try:
        await lead.step()
        assert not lead.leading and calls.events == ["gain", "lose"]
        assert await store.current_lease() is None  # released: any replica may take it
        assert metrics.task_failures.labels(task="takeover")._value.get() == 1
        [failed] = [r for r in caplog.records if "taking over failed" in r.getMessage()]
        assert "RuntimeError" in failed.getMessage() and "olga" not in failed.getMessage()
        await lead.step()
        assert lead.leading and calls.events == ["gain", "lose", "gain"]
    finally:
        await lead.stop()
        await store.close()


async def test_a_fenced_write_refused_while_taking_over_ends_the_takeover(tmp_path: Path) -> None:
    """A write refused during on_gain reports lost() from inside the step that holds the claim:
    the takeover ends (stepped down, lease released) instead of waiting on itself for ever."""
    store = SqliteStore(f"sqlite:///{tmp_path / 'lease.sqlite3'}")
    await store.open()
    calls = Calls()
    lead: Leadership

    async def gain() -> None:
        await calls.gain()
        await lead.lost("a fenced write was refused")  # what flush() does on LeaseLost

    lead = Leadership(store, "solo", timedelta(seconds=30), gain, calls.lose)
    try:
        await asyncio.wait_for(lead.step(), 20)  # the old code waited here for ever
        assert not lead.leading and calls.events == ["gain", "lose"]
        assert await store.current_lease() is None
    finally:
        await lead.stop()
        await store.close()
