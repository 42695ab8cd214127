"""The Redis settings read again while the bridge runs (bridge/store/redis/connection.py):
changed to unsafe ones at runtime, every write is refused (webhook 503, /readyz 503 naming the
setting to an API token, the leader steps down) until they are right again; a restart of Redis
underneath is noticed (run_id), counted and stepped down for; replicas without wait_replicas
are warned of."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py
from builders import API_TOKEN, WEBHOOK_TOKEN, alert, webhook, write_config
from fakes import FakeClock
from polling import until
from prometheus_client import CollectorRegistry
from redis_server import RedisServer

import bridge.store.redis.connection as connection
from bridge.core.alerts import parse_webhook
from bridge.errors import StoreUnavailable, StoreUnsafe
from bridge.metrics import Metrics
from bridge.replicas.leadership import Leadership
from bridge.store.redis import RedisStore
from bridge.web.keys import SERVICE

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
API = {"Authorization": f"Bearer {API_TOKEN}"}


def raw(server: RedisServer) -> redis_py.Redis:
    return redis_py.Redis(host="127.0.0.1", port=server.port, decode_responses=True)


@pytest.fixture
def fsync(redis: RedisServer) -> Iterator[redis_py.Redis]:
    """A plain client of the test's server; appendfsync is set back to always afterwards."""
    with raw(redis) as r:
        try:
            yield r
        finally:
            r.config_set("appendfsync", "always")


@pytest.fixture
async def store(redis: RedisServer) -> AsyncIterator[RedisStore]:
    s = RedisStore(redis.url(check_interval_ms=0))  # read the settings before every write
    await s.open()
    yield s
    await s.close()


def delivery(fp: str):  # type: ignore[no-untyped-def]
    return parse_webhook(webhook(alert(fp, T0)), T0)


async def test_appendfsync_changed_at_runtime_refuses_writes_until_set_back(
    store: RedisStore, fsync: redis_py.Redis
) -> None:
    """CONFIG SET appendfsync everysec while open: ping and ingest raise StoreUnavailable
    naming appendfsync, reads still answer; CONFIG SET appendfsync always: writes resume."""
    await store.ingest(delivery("a"), T0)
    fsync.config_set("appendfsync", "everysec")
    with pytest.raises(StoreUnsafe, match="appendfsync is 'everysec'"):
        await store.ping()
    with pytest.raises(StoreUnavailable, match="appendfsync"):
        await store.ingest(delivery("b"), T0)
    with pytest.raises(StoreUnsafe, match="appendfsync"):
        await store.acquire_lease("r1", timedelta(seconds=5))
    assert [ep.fingerprint for ep in await store.load_episodes()] == ["a"]  # reads answer
    fsync.config_set("appendfsync", "always")
    await store.ping()
    await store.ingest(delivery("b"), T0)
    assert sorted(ep.fingerprint for ep in await store.load_episodes()) == ["a", "b"]


async def test_settings_are_read_again_at_most_every_check_interval(
    redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By default (5 s) a burst of writes reads the settings no more than at open."""
    calls = 0
    real = connection.read_settings

    async def counting(client: Any) -> Any:
        nonlocal calls
        calls += 1
        return await real(client)

    monkeypatch.setattr(connection, "read_settings", counting)
    s = RedisStore(redis.url())
    await s.open()
    try:
        for fp in "abcde":
            await s.ingest(delivery(fp), T0)
            await s.ping()
        assert calls == 1
        s._checked_at -= 6  # five seconds on
        await s.ping()
        assert calls == 2
    finally:
        await s.close()


async def test_a_webhook_and_readyz_answer_503_naming_appendfsync_and_the_leader_steps_down(
    redis: RedisServer, fsync: redis_py.Redis, client_for: Any, tmp_path: Path, clock: FakeClock
) -> None:
    """Through the service: while appendfsync is everysec the webhook answers 503 (Alertmanager
    retries), /readyz 503 naming the setting, and the leader steps down at its next renewal;
    set back to always, all of it recovers and the replica leads again."""
    client = await client_for(write_config(tmp_path, store=redis.url(check_interval_ms=0)))
    service = client.app[SERVICE]
    body = webhook(alert("fp1", clock.now() - timedelta(minutes=1)))
    assert (await client.post("/api/v1/alertmanager", json=body, headers=HOOK)).status == 200
    assert service.leading
    fsync.config_set("appendfsync", "everysec")
    ready = await client.get("/readyz", headers=API)  # told to a credential; a probe: 503 only
    assert ready.status == 503
    assert "appendfsync" in await ready.text()
    hook = await client.post("/api/v1/alertmanager", json=body, headers=HOOK)
    assert hook.status == 503
    await service.leadership.step()
    assert not service.leading
    fsync.config_set("appendfsync", "always")
    assert (await client.get("/readyz")).status == 200
    assert (await client.post("/api/v1/alertmanager", json=body, headers=HOOK)).status == 200
    await service.leadership.step()
    assert service.leading


async def test_a_restart_of_redis_underneath_is_counted_and_stepped_down_for(
    redis: RedisServer, store: RedisStore
) -> None:
    """A new run_id (Redis restarted from its AOF): logged, counted, said once to the lease's
    renewal (the leader steps down, on_reset runs), then leading goes on as a takeover."""
    events: list[str] = []

    async def gain() -> None:
        events.append("gain")

    async def lose() -> None:
        events.append("lose")

    async def reset() -> None:
        events.append("reset")

    metrics = Metrics(CollectorRegistry())
    lead = Leadership(store, "r1", timedelta(seconds=30), gain, lose, metrics, on_reset=reset)
    await lead.step()
    assert lead.leading and events == ["gain"]
    redis.stop()
    redis.start()
    await until(redis.answers_ping, "redis to answer again", 10)
    with contextlib.suppress(StoreUnavailable):  # a pooled connection the restart closed
        await store.ping()
    await store.ingest(delivery("a"), T0)  # a write reads the settings again
    assert store.resets == 1
    await lead.step()
    assert not lead.leading
    assert events == ["gain", "lose", "reset"]
    assert metrics.store_resets._value.get() == 1
    await lead.step()  # said once: the lease is taken again, a takeover
    assert lead.leading and events[-1] == "gain"


async def test_replicas_without_wait_replicas_are_warned_of(
    redis: RedisServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """appendfsync always with a replica attached and no wait_replicas opens (as the docs
    promise) but logs a warning naming wait_replicas."""
    with raw(redis) as r:
        r.config_set("repl-diskless-sync-delay", 0)
    replica_args = ("--replicaof", "127.0.0.1", str(redis.port))
    with RedisServer(tmp_path / "replica", extra=replica_args), raw(redis) as r:
        await until(
            lambda: r.info("replication").get("slave0", {}).get("state") == "online",
            "the replica to come online",
            15,
        )
        caplog.set_level(logging.WARNING, logger="bridge.store.redis")
        s = RedisStore(redis.url())
        await s.open()
        await s.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("wait_replicas" in w and "1 replica(s) connected" in w for w in warnings), warnings
