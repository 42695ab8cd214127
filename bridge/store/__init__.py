"""Stores behind one interface; :func:`make_store` picks the implementation from the URL."""

from __future__ import annotations

from bridge.errors import ConfigError
from bridge.store.base import IncidentRecord, Store
from bridge.store.redis import RedisStore
from bridge.store.sqlite import SqliteStore

__all__ = ["IncidentRecord", "RedisStore", "SqliteStore", "Store", "make_store"]


def make_store(url: str) -> Store:
    """``sqlite:///PATH`` → SqliteStore; ``redis://`` or ``rediss://`` → RedisStore (URL
    parameters in :mod:`bridge.store.redis`). Anything else, or a bad parameter: ConfigError."""
    if url.startswith("sqlite:///"):
        return SqliteStore(url)
    if url.startswith(("redis://", "rediss://")):
        return RedisStore(url)
    raise ConfigError([f"store: {url!r}: expected sqlite:///PATH or redis[s]://HOST:PORT/DB"])
