"""The names other modules have imported from here: the records
(:mod:`bridge.store.records`), the ``Store`` protocol and its concerns
(:mod:`bridge.store.interfaces`, which states the contract) and the revision rules
(:mod:`bridge.store.revisions`)."""

from __future__ import annotations

from bridge.store.interfaces import (
    LEADER_LEASE,
    SCHEMA_VERSION,
    AlertLog,
    AuditLog,
    DraftStore,
    IncidentArchive,
    LeaseStore,
    Lifecycle,
    PeopleStore,
    PrivacyRegister,
    Store,
)
from bridge.store.records import (
    AuditEntry,
    DeliveryRecord,
    DraftRecord,
    IncidentRecord,
    Lease,
    PrivacyCaseRecord,
    SessionRecord,
    TokenRecord,
    UserRecord,
)
from bridge.store.revisions import check_follows, check_revision, revision_problem

__all__ = [
    "LEADER_LEASE",
    "SCHEMA_VERSION",
    "AlertLog",
    "AuditEntry",
    "AuditLog",
    "DeliveryRecord",
    "DraftRecord",
    "DraftStore",
    "IncidentArchive",
    "IncidentRecord",
    "Lease",
    "LeaseStore",
    "Lifecycle",
    "PeopleStore",
    "PrivacyCaseRecord",
    "PrivacyRegister",
    "SessionRecord",
    "Store",
    "TokenRecord",
    "UserRecord",
    "check_follows",
    "check_revision",
    "revision_problem",
]
