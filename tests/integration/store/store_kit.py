"""What the store contract suites share: the stores they run on (``STORES``) and a delivery
builder. Add an implementation by adding a factory to ``STORES``; every contract test in this
folder then runs on it (the fixtures are in conftest.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from builders import webhook
from redis_server import shared_server

from bridge.core.alerts import Delivery, parse_webhook
from bridge.store.interfaces import Store
from bridge.store.redis import RedisStore
from bridge.store.sqlite import SqliteStore

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

StoreFactory = Callable[[Path], Awaitable[Store]]


async def _sqlite(folder: Path) -> Store:
    return SqliteStore(f"sqlite:///{folder / 'contract.sqlite3'}")


async def _redis(folder: Path) -> Store:
    """One shared redis-server for the session; each test folder gets its own key prefix, so
    tests never see each other's keys and reopening in the same folder finds the data."""
    return RedisStore(shared_server().url(prefix=redis_prefix(folder)))


def redis_prefix(folder: Path) -> str:
    """The key prefix of the Redis store of ``folder``."""
    return "t" + hashlib.sha1(str(folder).encode()).hexdigest()[:16] + ":"


STORES: dict[str, StoreFactory] = {"sqlite": _sqlite, "redis": _redis}


def delivery(*alerts: dict, at: datetime = T0, truncated: int = 0, group: str = "g") -> Delivery:  # type: ignore[type-arg]
    return parse_webhook(webhook(*alerts, group_key=group, truncated=truncated), at)
