"""LeaseStore (bridge.store.interfaces) on every store in ``STORES``: one holder at a time, a
fencing token that grows when the lease changes hands, and fenced writes refused once it did.
Two store objects on the same backing data stand for two replicas."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from polling import until
from store_kit import T0

from bridge.errors import LeaseLost
from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry, DraftRecord, IncidentRecord, Lease


async def expired(store: Store) -> bool:
    """True once the store holds no unexpired lease."""
    return await store.current_lease() is None


LONG = timedelta(seconds=30)


def incident(id_: str = "inc-1") -> IncidentRecord:
    return IncidentRecord(id_, "k", T0, "open", [("fp1", T0)], None, {"id": id_})


def draft(rev: int, id_: str = "d-1") -> DraftRecord:
    return DraftRecord(id_, "inc-1", "draft", rev, T0, {"id": id_, "rev": rev})


async def test_lease_is_exclusive_and_renewable(store: Store):
    """One holder at a time; a renewal keeps the fencing token."""
    assert await store.current_lease() is None
    token = await store.acquire_lease("replica-a", LONG)
    assert token is not None
    assert await store.acquire_lease("replica-b", LONG) is None
    assert await store.acquire_lease("replica-a", LONG) == token  # renewal keeps the token
    assert await store.current_lease() == Lease("replica-a", token)


async def test_lease_changes_hands_on_release_with_a_bigger_token(store: Store):
    """Only the holder releases; the next holder gets a bigger token."""
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
    """An expired lease goes to another holder with a bigger token."""
    a = await store.acquire_lease("replica-a", timedelta(milliseconds=200))
    assert a is not None
    # the lease runs on the store's clock: wait for it, at most 2 s
    await until(lambda: expired(store), "the lease to expire", 2, 0.02)
    b = await store.acquire_lease("replica-b", LONG)
    assert b is not None and b > a


async def test_fenced_writes_need_the_live_token(store: Store):
    """A write fenced with a stale token is refused whole; the live token and unfenced pass."""
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
    """A fenced write after the lease expired is refused and writes nothing."""
    token = await store.acquire_lease("replica-a", timedelta(milliseconds=150))
    assert token is not None
    await until(lambda: expired(store), "the lease to expire", 2, 0.02)
    with pytest.raises(LeaseLost):
        await store.save_incidents([incident()], fence=token)
    assert await store.load_incidents() == []


async def test_two_replicas_race_for_the_lease_one_wins(make: Callable[[], Awaitable[Store]]):
    """Replicas racing for a free lease: exactly one gets it."""
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
