"""Stores behind one interface; :func:`make_store` picks the implementation from the URL."""

from __future__ import annotations

from bridge.errors import ConfigError
from bridge.store.base import IncidentRecord, Store
from bridge.store.sqlite import SqliteStore

__all__ = ["IncidentRecord", "SqliteStore", "Store", "make_store"]


def make_store(url: str) -> Store:
    """``sqlite:///PATH`` → SqliteStore. ``redis://`` is not implemented yet (Redis issue)."""
    if url.startswith("sqlite:///"):
        return SqliteStore(url)
    raise ConfigError([f"store: {url!r}: only sqlite:/// is implemented in this version"])
