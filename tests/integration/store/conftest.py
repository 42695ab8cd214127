"""Fixtures of the store contract suites: ``make`` (a factory of unopened stores on the same
backing data, one parameter per store in ``store_kit.STORES``) and ``store`` (one opened)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from redis_server import stop_shared_server
from store_kit import STORES

from bridge.store.interfaces import Store


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
