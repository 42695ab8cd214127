"""Stores behind one set of interfaces (:mod:`bridge.store.interfaces`, one protocol per
concern; ``Store`` is all of them); :func:`make_store` picks the implementation from the URL.

Layout: records (:mod:`.records`) and their stored text (:mod:`.record_codec`), the episodes'
text and timestamps (:mod:`.codec`), the revision rules (:mod:`.revisions`), and one package
per backend (:mod:`.sqlite`, :mod:`.redis`) with one module per concern. :mod:`.base` keeps the
names other modules imported before the split.
"""

from __future__ import annotations

from bridge.errors import ConfigError
from bridge.store.interfaces import Store
from bridge.store.records import IncidentRecord
from bridge.store.sqlite import SqliteStore

__all__ = ["IncidentRecord", "SqliteStore", "Store", "make_store"]


def make_store(url: str, *, sole: bool = False) -> Store:
    """``sqlite:///PATH`` → SqliteStore; ``redis://`` or ``rediss://`` → RedisStore (URL
    parameters in :mod:`bridge.store.redis.url`). Anything else, or a bad parameter:
    ConfigError. ``sole``: this process holds the SQLite file's serve lock
    (:mod:`bridge.store.sqlite.sole`, :mod:`bridge.store.sqlite.lease`).

    The Redis store is imported only for a Redis URL: a bridge or a command on SQLite never
    loads redis-py."""
    if url.startswith("sqlite:///"):
        store = SqliteStore(url)
        store.sole = sole
        return store
    if url.startswith(("redis://", "rediss://")):
        from bridge.store.redis import RedisStore

        return RedisStore(url)
    raise ConfigError([f"store: {url!r}: expected sqlite:///PATH or redis[s]://HOST:PORT/DB"])
