"""Lifecycle (bridge.store.interfaces.Lifecycle) on every store in ``STORES``: durable across a
reopen, and unavailable (not a driver error) before open."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from builders import alert
from store_kit import T0, delivery

from bridge.errors import StoreUnavailable
from bridge.store.interfaces import SCHEMA_VERSION, Store


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


async def test_open_without_migrating_refuses_an_empty_store_and_creates_nothing(
    make: Callable[[], Awaitable[Store]],
):
    """``open(migrate=False)`` (commands that only read, a dry run) refuses a store with no
    schema yet, naming ``bridge serve``, and leaves it empty; once a bridge has opened it (and
    migrated it), it opens without migrating and reads."""
    reader = await make()
    with pytest.raises(StoreUnavailable, match="bridge serve"):
        await reader.open(migrate=False)
    await reader.close()
    first = await make()
    await first.open()
    try:
        await first.ingest(delivery(alert("a", T0)), T0)
    finally:
        await first.close()
    reader = await make()
    await reader.open(migrate=False)
    try:
        assert await reader.schema_version() == SCHEMA_VERSION
        assert [ep.fingerprint for ep in await reader.load_episodes()] == ["a"]
    finally:
        await reader.close()
