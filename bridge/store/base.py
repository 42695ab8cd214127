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
- Drafts (the notices) are whole documents written with optimistic concurrency:
  :meth:`Store.put_draft` writes a draft whose ``revision`` is one more than the stored one
  (``expected_revision``; ``None`` means it must not exist yet) **and** appends its audit
  entries, atomically; a mismatch raises :class:`~bridge.errors.Conflict` and writes nothing.
  So two writers (two replicas, a person and the bridge) never both win, and no transition is
  ever stored without its audit entry.
- The audit log is append-only: entries get a strictly increasing ``seq`` from the store and are
  never changed or deleted.
- Privacy cases are written like drafts (:meth:`Store.put_privacy_case`: revision check, audit
  entries in the same write) and every revision written is kept
  (:meth:`Store.privacy_case_revisions`). They are the register (förteckning) of privacy
  incidents: the interface has no way to delete one, and SQLite refuses a DELETE by trigger.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bridge.core.alerts import AlertEpisode, Delivery
from bridge.errors import Conflict

SCHEMA_VERSION = 3


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


@dataclass(frozen=True, slots=True)
class DraftRecord:
    """A notice draft as stored. ``document`` is the whole draft (versions, approval, delivery:
    :mod:`bridge.core.casework` owns its shape); the other fields are indexed copies."""

    id: str
    incident_id: str
    state: str
    revision: int
    updated_at: datetime
    document: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PrivacyCaseRecord:
    """A privacy case as stored. ``document`` is the whole case (:mod:`bridge.core.privacy`
    owns its shape); the other fields are indexed copies."""

    id: str
    state: str
    revision: int
    updated_at: datetime
    document: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited action. ``seq`` is assigned by the store on append (0 before)."""

    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


def check_follows(
    record: DraftRecord | PrivacyCaseRecord, expected_revision: int | None, what: str = "draft"
) -> None:
    """Raise Conflict unless ``record.revision`` is one more than ``expected_revision`` (1 for a
    new record): checked by every store before it touches storage."""
    wanted = 1 if expected_revision is None else expected_revision + 1
    if record.revision != wanted:
        raise Conflict(
            f"{what} {record.id}", f"revision {record.revision} does not follow {expected_revision}"
        )


def revision_problem(stored: int | None, expected: int | None) -> str:
    """Why a draft write was refused (one wording for every store)."""
    if expected is None:
        return f"it exists already (revision {stored})"
    if stored is None:
        return "it does not exist"
    return f"it changed meanwhile (revision {stored}, expected {expected}): re-read and retry"


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

    # ---- notices -----------------------------------------------------------------------
    @abc.abstractmethod
    async def put_draft(
        self, draft: DraftRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        """Write ``draft`` and append ``audit`` atomically, if the stored revision is
        ``expected_revision`` (``None``: no such draft yet) and ``draft.revision`` is one more
        (1 for a new draft); else raise Conflict and write nothing."""

    @abc.abstractmethod
    async def get_draft(self, draft_id: str) -> DraftRecord | None: ...

    @abc.abstractmethod
    async def list_drafts(
        self, incident_id: str | None = None, states: Collection[str] | None = None
    ) -> list[DraftRecord]:
        """Drafts, optionally of one incident and/or in some states, ordered by id."""

    @abc.abstractmethod
    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries that go with no draft write (reads of restricted data, logins…)."""

    @abc.abstractmethod
    async def audit_log(
        self, limit: int = 100, before_seq: int | None = None, target: str | None = None
    ) -> list[AuditEntry]:
        """Newest first: at most ``limit`` entries with ``seq < before_seq`` (all when None),
        optionally only those about ``target``."""

    # ---- privacy cases (the register) -----------------------------------------------------
    @abc.abstractmethod
    async def put_privacy_case(
        self, case: PrivacyCaseRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        """Write ``case``, keep it as one more revision and append ``audit``, atomically, if
        the stored revision is ``expected_revision`` (``None``: no such case yet) and
        ``case.revision`` is one more; else raise Conflict and write nothing."""

    @abc.abstractmethod
    async def get_privacy_case(self, case_id: str) -> PrivacyCaseRecord | None: ...

    @abc.abstractmethod
    async def list_privacy_cases(self) -> list[PrivacyCaseRecord]:
        """Every privacy case ever written (latest revision), ordered by id."""

    @abc.abstractmethod
    async def privacy_case_revisions(self, case_id: str) -> list[PrivacyCaseRecord]:
        """Every revision of a case as written, oldest first (empty: no such case)."""
