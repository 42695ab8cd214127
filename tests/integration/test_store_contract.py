"""The Store contract (bridge/store/base.py), run against every implementation on real storage.

Add an implementation by adding a factory to ``STORES``; every test here then runs on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from builders import alert, webhook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis_server import shared_server, stop_shared_server

from bridge.core.alerts import merge_episode, parse_webhook
from bridge.errors import StoreUnavailable
from bridge.store.base import SCHEMA_VERSION, IncidentRecord, Store
from bridge.store.redis import RedisStore
from bridge.store.sqlite import SqliteStore

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

StoreFactory = Callable[[Path], Awaitable[Store]]


async def _sqlite(folder: Path) -> Store:
    return SqliteStore(f"sqlite:///{folder / 'contract.sqlite3'}")


async def _redis(folder: Path) -> Store:
    """One shared redis-server for the session; each test folder gets its own key prefix, so
    tests never see each other's keys and reopening in the same folder finds the data."""
    prefix = "t" + hashlib.sha1(str(folder).encode()).hexdigest()[:16] + ":"
    return RedisStore(shared_server().url(prefix=prefix))


STORES: dict[str, StoreFactory] = {"sqlite": _sqlite, "redis": _redis}


@pytest.fixture(scope="session", autouse=True)
def _stop_shared_redis_server() -> Iterator[None]:
    """The session's one redis-server starts on first use by a redis factory (so a missing
    binary fails the redis tests, not the sqlite ones, and never skips them) and stops here."""
    yield
    stop_shared_server()


@pytest.fixture(params=sorted(STORES))
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Awaitable[Store]]:
    async def build() -> Store:
        return await STORES[request.param](tmp_path)

    return build


@pytest.fixture
async def store(make: Callable[[], Awaitable[Store]]) -> AsyncIterator[Store]:
    s = await make()
    await s.open()
    yield s
    await s.close()


def delivery(*alerts: dict, at: datetime = T0, truncated: int = 0, group: str = "g"):  # type: ignore[type-arg]
    return parse_webhook(webhook(*alerts, group_key=group, truncated=truncated), at)


async def test_ingest_returns_what_is_stored(store: Store):
    """ingest returns the merged episodes and load_episodes reads back the same values."""
    stored = await store.ingest(delivery(alert("a", T0, element="x")), T0)
    assert [ep.fingerprint for ep in stored] == ["a"]
    loaded = await store.load_episodes()
    assert loaded == stored
    assert loaded[0].starts_at.tzinfo is not None
    assert loaded[0].labels == {"alertname": "Down", "element": "x"}


async def test_duplicate_delivery_changes_only_last_seen(store: Store):
    """The same delivery twice leaves one episode whose last_seen moved and nothing else."""
    d = delivery(alert("a", T0))
    await store.ingest(d, T0)
    later = T0 + timedelta(minutes=5)
    again = parse_webhook(webhook(alert("a", T0)), later)
    stored = await store.ingest(again, later)
    assert len(await store.load_episodes()) == 1
    assert stored[0].first_seen == T0
    assert stored[0].last_seen == later
    assert stored[0].status == "firing"


@pytest.mark.parametrize("order", ["resolve-last", "resolve-first"])
async def test_resolve_wins_in_any_order(store: Store, order: str):
    """A resolve and a stale firing of the same episode end resolved whatever the order."""
    firing = delivery(alert("a", T0))
    resolved = delivery(alert("a", T0, status="resolved", ends_at=T0 + timedelta(minutes=3)))
    first, second = (firing, resolved) if order == "resolve-last" else (resolved, firing)
    await store.ingest(first, T0)
    await store.ingest(second, T0 + timedelta(minutes=1))
    (ep,) = await store.load_episodes()
    assert ep.status == "resolved"
    assert ep.ends_at == T0 + timedelta(minutes=3)


async def test_concurrent_ingests_are_all_durable(store: Store):
    """Many concurrent ingests all complete and every episode is stored exactly once."""
    deliveries = [delivery(alert(f"fp{i}", T0), alert("shared", T0)) for i in range(60)]
    await asyncio.gather(*(store.ingest(d, T0) for d in deliveries))
    episodes = await store.load_episodes()
    assert sorted(ep.fingerprint for ep in episodes) == sorted(
        [f"fp{i}" for i in range(60)] + ["shared"]
    )
    assert len(await store.recent_deliveries(1000)) == 60


async def test_truncation_is_kept_per_group(store: Store):
    """The latest truncatedAlerts per group key is kept and read back."""
    await store.ingest(delivery(alert("a", T0), truncated=5, group="g1"), T0)
    await store.ingest(delivery(alert("b", T0), truncated=2, group="g2"), T0)
    later = T0 + timedelta(minutes=1)
    await store.ingest(delivery(alert("a", T0), at=later, truncated=0, group="g1"), later)
    assert await store.load_truncation() == {"g1": 0, "g2": 2}
    recent = await store.recent_deliveries(10)
    assert recent[0].truncated == 0 and recent[-1].truncated == 5


async def test_incidents_round_trip(store: Store):
    """save_incidents upserts records that load_incidents and get_incident return unchanged."""
    record = IncidentRecord(
        id="inc-1",
        key="topo:site",
        started_at=T0,
        state="open",
        episodes=[("a", T0), ("b", T0 + timedelta(seconds=1))],
        merged_into=None,
        document={"id": "inc-1", "impact": {"current": 5}, "name": "Östersund"},
    )
    await store.save_incidents([record])
    assert await store.get_incident("inc-1") == record
    closed = replace(record, state="closed", merged_into="inc-0", document={"id": "inc-1"})
    await store.save_incidents([closed])
    assert await store.load_incidents() == [closed]
    assert await store.get_incident("missing") is None


async def test_data_survives_reopen(make: Callable[[], Awaitable[Store]]):
    """Closing and reopening the store gives back everything written, at the same schema."""
    first = await make()
    await first.open()
    await first.ingest(delivery(alert("a", T0)), T0)
    await first.close()
    second = await make()
    await second.open()
    try:
        assert [ep.fingerprint for ep in await second.load_episodes()] == ["a"]
        assert await second.schema_version() == SCHEMA_VERSION
        await second.ping()
    finally:
        await second.close()


async def test_closed_store_raises_store_unavailable(make: Callable[[], Awaitable[Store]]):
    """Operations on a store that is not open raise StoreUnavailable, not a driver error."""
    s = await make()
    with pytest.raises(StoreUnavailable):
        await s.ingest(delivery(alert("a", T0)), T0)
    with pytest.raises(StoreUnavailable):
        await s.ping()


_observations = st.lists(
    st.tuples(
        st.sampled_from(["firing", "resolved"]),
        st.integers(1, 4),  # ends_at offset (minutes) for a resolve
        st.integers(0, 3),  # received at offset (minutes)
        st.sampled_from(["a", "b"]),  # annotation text
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(_observations, st.randoms(use_true_random=False))
def test_store_merge_equals_the_core_merge_in_any_order(observations, rnd):  # type: ignore[no-untyped-def]
    """Whatever order observations of one episode arrive in, every store keeps exactly what
    folding them with core merge_episode gives."""
    episodes = []
    for status, end, seen, note in observations:
        body = alert(
            "fp",
            T0,
            status=status,
            ends_at=T0 + timedelta(minutes=end) if status == "resolved" else None,
            annotations={"summary": note},
        )
        received = T0 + timedelta(minutes=seen)
        episodes.append((parse_webhook(webhook(body), received), received))
    rnd.shuffle(episodes)
    expected = None
    for d, _ in episodes:
        expected = merge_episode(expected, d.episodes[0])
    for name, factory in STORES.items():
        with tempfile.TemporaryDirectory() as folder:

            async def run(factory: StoreFactory = factory, folder: str = folder) -> list:  # type: ignore[type-arg]
                store = await factory(Path(folder))
                await store.open()
                try:
                    for d, received in episodes:
                        await store.ingest(d, received)
                    return await store.load_episodes()
                finally:
                    await store.close()

            (stored,) = asyncio.run(run())
            assert expected is not None
            assert (stored.status, stored.ends_at, stored.first_seen, stored.last_seen) == (
                expected.status,
                expected.ends_at,
                expected.first_seen,
                expected.last_seen,
            ), name
            if len({received for _, received in episodes}) == len(episodes):
                assert stored.annotations == expected.annotations, name
