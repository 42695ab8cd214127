"""The Store contract for replicas: change numbers (episodes_since) and the leader lease with its
fencing token, run on every implementation in ``STORES`` (test_store_contract.py). Two store
objects on the same backing data stand for two replicas."""

# ruff: noqa: F811  (the contract fixtures are imported, then named as parameters)
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from builders import alert
from test_store_contract import delivery, make, store  # noqa: F401  (fixtures, one per store)

from bridge.errors import LeaseLost
from bridge.store.base import AuditEntry, DraftRecord, IncidentRecord, Lease, Store

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LONG = timedelta(seconds=30)


def incident(id_: str = "inc-1") -> IncidentRecord:
    return IncidentRecord(id_, "k", T0, "open", [("fp1", T0)], None, {"id": id_})


def draft(rev: int, id_: str = "d-1") -> DraftRecord:
    return DraftRecord(id_, "inc-1", "draft", rev, T0, {"id": id_, "rev": rev})


async def test_episodes_since_returns_each_change_once_in_order(store: Store):
    first, cursor0 = await store.episodes_since(0)
    assert first == []
    await store.ingest(delivery(alert("fp1", T0), alert("fp2", T0)), T0)
    got, cursor1 = await store.episodes_since(cursor0)
    assert sorted(e.fingerprint for e in got) == ["fp1", "fp2"]
    assert cursor1 > cursor0
    assert await store.episodes_since(cursor1) == ([], cursor1)
    # a later delivery that changes fp1 gives fp1 (as now stored: resolved), not fp2
    ends = T0 + timedelta(minutes=5)
    resolved = alert("fp1", T0, status="resolved", ends_at=ends)
    await store.ingest(delivery(resolved, at=ends), ends)
    got, cursor2 = await store.episodes_since(cursor1)
    assert [(e.fingerprint, e.status) for e in got] == [("fp1", "resolved")]
    assert cursor2 > cursor1
    # cursor 0 gives everything, as stored now
    everything, top = await store.episodes_since(0)
    assert {(e.fingerprint, e.status) for e in everything} == {
        ("fp1", "resolved"),
        ("fp2", "firing"),
    }
    assert top == cursor2


async def test_a_second_replica_sees_what_the_first_acknowledged(
    make: Callable[[], Awaitable[Store]],
):
    a, b = await make(), await make()
    await a.open()
    await b.open()
    try:
        _, cursor = await b.episodes_since(0)
        await a.ingest(delivery(alert("fp-a", T0)), T0)
        got, _ = await b.episodes_since(cursor)
        assert [e.fingerprint for e in got] == ["fp-a"]
    finally:
        await a.close()
        await b.close()


async def test_lease_is_exclusive_and_renewable(store: Store):
    assert await store.current_lease() is None
    token = await store.acquire_lease("replica-a", LONG)
    assert token is not None
    assert await store.acquire_lease("replica-b", LONG) is None
    assert await store.acquire_lease("replica-a", LONG) == token  # renewal keeps the token
    assert await store.current_lease() == Lease("replica-a", token)


async def test_lease_changes_hands_on_release_with_a_bigger_token(store: Store):
    a = await store.acquire_lease("replica-a", LONG)
    assert a is not None
    await store.release_lease("replica-b")  # not the holder: nothing happens
    assert await store.acquire_lease("replica-b", LONG) is None
    await store.release_lease("replica-a")
    assert await store.current_lease() is None
    b = await store.acquire_lease("replica-b", LONG)
    assert b is not None and b > a
    assert await store.current_lease() == Lease("replica-b", b)


async def test_lease_expires_and_another_takes_it(store: Store):
    a = await store.acquire_lease("replica-a", timedelta(milliseconds=200))
    assert a is not None
    for _ in range(100):  # the lease runs on the store's clock: wait for it, at most 2 s
        if await store.current_lease() is None:
            break
        await asyncio.sleep(0.02)
    b = await store.acquire_lease("replica-b", LONG)
    assert b is not None and b > a


async def test_fenced_writes_need_the_live_token(store: Store):
    token = await store.acquire_lease("replica-a", LONG)
    assert token is not None
    await store.save_incidents([incident("inc-1")], fence=token)
    await store.put_draft(draft(1), None, [], fence=token)
    await store.release_lease("replica-a")
    other = await store.acquire_lease("replica-b", LONG)
    assert other is not None
    # the old leader wakes up and writes with its old token: refused, nothing written
    with pytest.raises(LeaseLost):
        await store.save_incidents([incident("inc-2")], fence=token)
    audit = AuditEntry(T0, "bridge", "draft.rendered", "draft:d-1", {})
    with pytest.raises(LeaseLost):
        await store.put_draft(draft(2), 1, [audit], fence=token)
    assert [r.id for r in await store.load_incidents()] == ["inc-1"]
    stored = await store.get_draft("d-1")
    assert stored is not None and stored.revision == 1
    assert await store.audit_log() == []
    # the new leader's token works; unfenced writes (people's actions) need no lease
    await store.save_incidents([incident("inc-2")], fence=other)
    await store.put_draft(draft(2), 1, [audit])
    assert [r.id for r in await store.load_incidents()] == ["inc-1", "inc-2"]


async def test_fenced_write_refused_once_the_lease_expired(store: Store):
    token = await store.acquire_lease("replica-a", timedelta(milliseconds=150))
    assert token is not None
    for _ in range(100):
        if await store.current_lease() is None:
            break
        await asyncio.sleep(0.02)
    with pytest.raises(LeaseLost):
        await store.save_incidents([incident()], fence=token)
    assert await store.load_incidents() == []


async def test_two_replicas_race_for_the_lease_one_wins(make: Callable[[], Awaitable[Store]]):
    stores = [await make() for _ in range(4)]
    for s in stores:
        await s.open()
    try:
        tokens = await asyncio.gather(
            *(s.acquire_lease(f"replica-{i}", LONG) for i, s in enumerate(stores))
        )
        winners = [i for i, t in enumerate(tokens) if t is not None]
        assert len(winners) == 1
        assert await stores[0].current_lease() == Lease(f"replica-{winners[0]}", tokens[winners[0]])
    finally:
        for s in stores:
            await s.close()
