"""The records the stores keep, as the rest of the bridge sees them (frozen dataclasses).

Their stored text is :mod:`bridge.store.record_codec`'s; timestamps are timezone-aware (UTC).
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bridge.core.alerts import Delivery
from bridge.core.casework import AuditEvent


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
    #: when the incident closed, if it owes nothing more (every report sent, rejected or
    #: waiting for an event that can no longer come); None while open or owing. An incident
    #: leaves memory a horizon after this (:mod:`bridge.core.liveness`).
    settled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    received_at: datetime
    receiver: str
    group_key: str
    status: str
    alerts: int
    truncated: int

    @classmethod
    def of(cls, delivery: Delivery, received_at: datetime) -> DeliveryRecord:
        """What is recorded of ``delivery`` (received at ``received_at``)."""
        return cls(
            received_at,
            delivery.receiver,
            delivery.group_key,
            delivery.status,
            len(delivery.episodes),
            delivery.truncated_alerts,
        )


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
class DeclarationRecord:
    """A person's declaration of an incident's significance (cybersecurity act), as stored:
    one small record per incident id, kept apart from the derived incident records.
    ``document`` is the declaration (:mod:`bridge.core.awareness` owns its shape)."""

    id: str  # the incident id
    revision: int
    updated_at: datetime
    document: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CasebookRecord:
    """People's data about one incident (schema 6): its short ``number`` (given by the store
    when the record is opened, never changed) and ``document``, what people wrote
    (:mod:`bridge.core.handling` owns its shape: title, acknowledgement, assignee, notes)."""

    incident_id: str
    number: int
    revision: int
    updated_at: datetime
    document: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited action. ``seq`` is assigned by the store on append (0 before). ``also``: the
    further targets the entry is about, indexed as ``target`` is (a list's read of privacy data
    is one entry naming every case it showed: ``privacy:<id>`` each), so a search by any of them
    finds it (:meth:`bridge.core.audit_search.AuditFilter.matches`); its track is ``target``'s."""

    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    also: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditPage:
    """What :meth:`~bridge.store.interfaces.AuditLog.search_audit` answers: up to ``limit``
    entries, newest first, and ``resume``: None when every entry the filter may match was looked
    at, else the ``seq`` to go on below (the last entry's when the page is full; else the lowest
    looked at, when the ``scan`` bound stopped the walk first: the page is short, maybe empty)."""

    entries: list[AuditEntry]
    resume: int | None


def audit_entries(events: Iterable[AuditEvent]) -> list[AuditEntry]:
    """The store's audit entries for the core's audit events (drafts, privacy cases)."""
    return [AuditEntry(e.at, e.actor, e.action, e.target, e.detail) for e in events]


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A person who signs in to the console. ``password_hash`` is an argon2id PHC string;
    ``totp_secret`` the base32 TOTP key (set at enrolment start; ``totp_enrolled`` once a code
    was confirmed); ``totp_last_step`` the last accepted TOTP time step (no code is accepted
    twice); ``failed_logins``/``locked_until`` the password step's lockout state
    (bridge/core/access.py), ``totp_failures``/``totp_locked_until`` the TOTP step's
    (bridge/people/signin.py: they count apart; a user stored without them has none).

    A grant waiting for a second admin (bridge/people/accounts.py): ``pending_roles`` the roles
    that approve or administer asked for and withheld (empty: none waits), ``pending_kept`` the
    held roles kept only until they are confirmed (those roles give them), ``pending_by`` who
    asked and ``pending_at`` when. Stored in the user's document: a user stored without them
    reads with none waiting."""

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
    totp_failures: int = 0
    totp_locked_until: datetime | None = None
    pending_roles: tuple[str, ...] = ()
    pending_kept: tuple[str, ...] = ()
    pending_by: str = ""
    pending_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A browser session. ``id_hash`` is the SHA-256 (hex) of the id in the cookie;
    ``expires_at`` its absolute end; ``second_factor_done`` False while a TOTP is still owed;
    ``second_factor_at`` when the bridge last checked a TOTP code in it (None when it checked
    none: a trusted proxy's sign-in, or a session stored before it was kept; they step up with
    a code)."""

    id_hash: str
    user: str
    created_at: datetime
    last_seen: datetime
    expires_at: datetime
    csrf_token: str
    second_factor_done: bool
    address: str = ""
    second_factor_at: datetime | None = None


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

    @property
    def live_name(self) -> str | None:
        """The name this token holds alone while live (:func:`token_name_key`), None once
        revoked (what :meth:`bridge.store.interfaces.PeopleStore.put_token` compares)."""
        return None if self.revoked_at is not None else token_name_key(self.name)


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def token_name_key(name: str) -> str:
    """What API token names are told apart by: ``name`` with ``A``-``Z`` lower-cased and
    nothing else, as SQLite's ``lower()`` and Lua's ``string.lower`` do (so both stores and
    their migrations compute the same key): ``Grafana`` and ``grafana`` are one name. A new
    token's name is lower-case ASCII (:data:`bridge.people.rules.NAME`), so this only matters
    against names stored before that rule."""
    return name.translate(_ASCII_LOWER)
