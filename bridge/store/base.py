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
- Replicas share one store. Every episode write gets a change number (strictly increasing in
  commit order); :meth:`Store.episodes_since` returns the episodes changed after a cursor, so a
  replica learns of alerts another replica acknowledged.
- One replica at a time leads (evaluates, drafts, sends) by holding the store's **lease**:
  :meth:`Store.acquire_lease` takes or renews it for ``ttl`` and returns its **fencing token**,
  which grows every time the lease changes hands. Writes the leader makes carry the token
  (``fence=``); the store checks it in the same atomic step as the write and raises
  :class:`~bridge.errors.LeaseLost` (writing nothing) unless the lease is still held with that
  token. So a leader paused past its lease (GC, SIGSTOP, a VM migration) cannot write after it
  wakes. People's actions (edits, approvals) carry no token: the revision check protects them.
- People and API tokens (schema 4) are written like drafts: :meth:`Store.put_user` and
  :meth:`Store.put_token` compare-and-set on ``revision`` (``None``: must not exist yet) and
  append their audit entries in the same atomic write. A token's ``last_used_at`` is the one
  field written apart (:meth:`Store.touch_token`, only ever moved later). Sessions are keyed by
  the SHA-256 of their id (the id itself is never stored), upserted whole, and deleted one by
  one, per user, or once expired (``expires_at``, the absolute end).
- Privacy cases are written like drafts (:meth:`Store.put_privacy_case`: revision check, audit
  entries in the same write) and every revision written is kept
  (:meth:`Store.privacy_case_revisions`). They are the register (förteckning) of privacy
  incidents: the interface has no way to delete one, and SQLite refuses a DELETE by trigger.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bridge.core.alerts import AlertEpisode, Delivery
from bridge.errors import Conflict

SCHEMA_VERSION = 5

#: The lease's name (one per store; a Redis key prefix gives several bridges one database each).
LEADER_LEASE = "leader"


@dataclass(frozen=True, slots=True)
class Lease:
    """Who holds the lease now and with which fencing token."""

    holder: str
    token: int


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


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A person who signs in to the console. ``password_hash`` is an argon2id PHC string;
    ``totp_secret`` the base32 TOTP key (set at enrolment start; ``totp_enrolled`` once a code
    was confirmed); ``totp_last_step`` the last accepted TOTP time step (no code is accepted
    twice); ``failed_logins``/``locked_until`` the lockout state (bridge/core/access.py)."""

    name: str
    display_name: str
    password_hash: str
    grants: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    revision: int = 1
    totp_secret: str | None = None
    totp_enrolled: bool = False
    totp_last_step: int = 0
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A browser session. ``id_hash`` is the SHA-256 (hex) of the id in the cookie;
    ``expires_at`` its absolute end; ``second_factor_done`` False while a TOTP is still owed."""

    id_hash: str
    user: str
    created_at: datetime
    last_seen: datetime
    expires_at: datetime
    csrf_token: str
    second_factor_done: bool
    address: str = ""


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token for automation: ``token_hash`` is the SHA-256 (hex) of the secret, which
    is shown once at creation and never stored."""

    id: str
    name: str
    token_hash: str
    grants: tuple[str, ...]
    created_at: datetime
    created_by: str
    revision: int = 1
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


def check_revision(what: str, revision: int, expected_revision: int | None) -> None:
    """Raise Conflict unless ``revision`` is one more than ``expected_revision`` (1 when new)."""
    wanted = 1 if expected_revision is None else expected_revision + 1
    if revision != wanted:
        raise Conflict(what, f"revision {revision} does not follow {expected_revision}")


def check_follows(
    record: DraftRecord | PrivacyCaseRecord, expected_revision: int | None, what: str = "draft"
) -> None:
    """Raise Conflict unless ``record.revision`` is one more than ``expected_revision`` (1 for a
    new record): checked by every store before it touches storage."""
    check_revision(f"{what} {record.id}", record.revision, expected_revision)


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
    async def episodes_since(self, cursor: int) -> tuple[list[AlertEpisode], int]:
        """Episodes written after change number ``cursor`` (as now stored) and the cursor to
        ask with next time. ``cursor=0`` gives every episode."""

    @abc.abstractmethod
    async def save_incidents(
        self, records: Sequence[IncidentRecord], fence: int | None = None
    ) -> None:
        """Upsert ``records`` atomically; with ``fence``, only while the lease is held with
        that token (else LeaseLost, nothing written)."""

    @abc.abstractmethod
    async def load_incidents(self) -> list[IncidentRecord]: ...

    @abc.abstractmethod
    async def get_incident(self, incident_id: str) -> IncidentRecord | None: ...

    # ---- notices -----------------------------------------------------------------------
    @abc.abstractmethod
    async def put_draft(
        self,
        draft: DraftRecord,
        expected_revision: int | None,
        audit: Sequence[AuditEntry],
        fence: int | None = None,
    ) -> None:
        """Write ``draft`` and append ``audit`` atomically, if the stored revision is
        ``expected_revision`` (``None``: no such draft yet) and ``draft.revision`` is one more
        (1 for a new draft); else raise Conflict and write nothing. With ``fence``, also only
        while the lease is held with that token (else LeaseLost, nothing written)."""

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

    # ---- leadership ---------------------------------------------------------------------
    @abc.abstractmethod
    async def acquire_lease(self, holder: str, ttl: timedelta) -> int | None:
        """Take the lease if it is free or expired, or renew it if ``holder`` holds it, for
        ``ttl`` from now (the store's clock); return the fencing token, or None when another
        holder has it. The token is unchanged on renewal and grows when the holder changes."""

    @abc.abstractmethod
    async def release_lease(self, holder: str) -> None:
        """Give the lease up if ``holder`` holds it (a clean stop: others take over at once)."""

    @abc.abstractmethod
    async def current_lease(self) -> Lease | None:
        """The unexpired lease, or None."""

    # ---- people, sessions, API tokens ------------------------------------------------------
    @abc.abstractmethod
    async def put_user(
        self, user: UserRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        """Write ``user`` and append ``audit`` atomically if the stored revision is
        ``expected_revision`` (``None``: no such user yet); else Conflict, nothing written."""

    @abc.abstractmethod
    async def get_user(self, name: str) -> UserRecord | None: ...

    @abc.abstractmethod
    async def list_users(self) -> list[UserRecord]:
        """Every user, ordered by name."""

    @abc.abstractmethod
    async def put_session(self, session: SessionRecord) -> None:
        """Create or replace the session ``session.id_hash``."""

    @abc.abstractmethod
    async def get_session(self, id_hash: str) -> SessionRecord | None: ...

    @abc.abstractmethod
    async def delete_session(self, id_hash: str) -> None: ...

    @abc.abstractmethod
    async def delete_user_sessions(self, user: str) -> int:
        """Delete every session of ``user``; how many there were."""

    @abc.abstractmethod
    async def prune_sessions(self, now: datetime) -> int:
        """Delete the sessions whose ``expires_at`` is at or before ``now``; how many."""

    @abc.abstractmethod
    async def put_token(
        self, token: TokenRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        """Like :meth:`put_user`, for API tokens (``last_used_at`` is not written here)."""

    @abc.abstractmethod
    async def get_token(self, token_id: str) -> TokenRecord | None: ...

    @abc.abstractmethod
    async def find_token(self, token_hash: str) -> TokenRecord | None:
        """The token whose secret hashes to ``token_hash`` (revoked ones too), or None."""

    @abc.abstractmethod
    async def list_tokens(self) -> list[TokenRecord]:
        """Every token, revoked ones too, ordered by creation then id."""

    @abc.abstractmethod
    async def touch_token(self, token_id: str, at: datetime) -> None:
        """Record a use at ``at`` (kept only when later than the one stored)."""

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
