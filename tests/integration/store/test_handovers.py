"""HandoverCount (bridge.store.interfaces) on every store in ``STORES``: a count that starts at
0, grows by one per call (never the same number twice, also from two store objects on the same
data: two replicas), survives reopening, and is raised (never lowered) by ``raise_handovers``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bridge.store.interfaces import Store


async def test_the_count_starts_at_zero_and_grows_by_one(store: Store) -> None:
    assert await store.handovers() == 0
    assert [await store.count_handover() for _ in range(3)] == [1, 2, 3]
    assert await store.handovers() == 3


async def test_two_replicas_never_get_the_same_number_and_it_survives_reopening(
    make: Callable[[], Awaitable[Store]],
) -> None:
    a, b = await make(), await make()
    await a.open()
    await b.open()
    try:
        got = await asyncio.gather(*(s.count_handover() for _ in range(20) for s in (a, b)))
    finally:
        await a.close()
        await b.close()
    assert sorted(got) == list(range(1, 41))
    again = await make()
    await again.open()
    try:
        assert await again.handovers() == 40
    finally:
        await again.close()


async def test_raise_never_lowers(store: Store) -> None:
    await store.count_handover()
    assert await store.raise_handovers(7) == 7
    assert await store.handovers() == 7
    assert await store.raise_handovers(3) == 7
    assert await store.count_handover() == 8
