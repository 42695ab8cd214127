"""The ``Store`` interface: what the service needs kept, whatever keeps it.

Contract (checked for every implementation by ``tests/integration/test_store_contract.py``):
- :meth:`Store.ingest` merges a delivery's episodes into what is stored, with
  :func:`bridge.core.alerts.merge_episode`, records the delivery, and returns the episodes as
  now stored. When it returns, all of it is durable; when it raises
  :class:`~bridge.errors.StoreUnavailable`, none of it was applied. Concurrent calls are safe and
  ingesting the same delivery twice changes nothing but ``last_seen``.
- :meth:`Store.save_incidents` upserts derived incident records atomically (all or none).
- Reads return exactly what was written; timestamps come back timezone-aware (UTC).
- Every failure of the backing service surfaces as ``StoreUnavailable`` (retry), never as a
  driver exception.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bridge.core.alerts import AlertEpisode, Delivery

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """A derived incident as stored: what restores ids, plus the document the API shows."""

    id: str
    key: str
    started_at: datetime
    state: str
    episodes: Sequence[tuple[str, datetime]]
    merged_into: str | None
    document: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    received_at: datetime
    receiver: str
    group_key: str
    status: str
    alerts: int
    truncated: int


class Store(abc.ABC):
    """See the module contract."""

    url: str

    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def ping(self) -> None:
        """Raise StoreUnavailable unless the store can serve reads and writes now."""

    @abc.abstractmethod
    async def schema_version(self) -> int: ...

    @abc.abstractmethod
    async def ingest(self, delivery: Delivery, received_at: datetime) -> list[AlertEpisode]: ...

    @abc.abstractmethod
    async def load_episodes(self) -> list[AlertEpisode]: ...

    @abc.abstractmethod
    async def load_truncation(self) -> dict[str, int]:
        """Latest ``truncatedAlerts`` per Alertmanager group key."""

    @abc.abstractmethod
    async def recent_deliveries(self, limit: int) -> list[DeliveryRecord]: ...

    @abc.abstractmethod
    async def save_incidents(self, records: Sequence[IncidentRecord]) -> None: ...

    @abc.abstractmethod
    async def load_incidents(self) -> list[IncidentRecord]: ...

    @abc.abstractmethod
    async def get_incident(self, incident_id: str) -> IncidentRecord | None: ...
