"""The embedded default store: one SQLite file, WAL, fsync on every commit, group commit
(:mod:`.connection`), the schema in :mod:`.migrations`.

``SqliteStore`` is assembled from one class per concern (alerts, incidents, drafts, audit,
lease, people, privacy, retention, casebook, declarations,
hand-over count), each over the shared connection;
what several concerns do inside one write transaction (fence check, revision check, audit
insert) is in :mod:`.guards`.
"""

from __future__ import annotations

from bridge.store.sqlite.alerts import SqliteAlerts
from bridge.store.sqlite.audit import SqliteAudit
from bridge.store.sqlite.casebook import SqliteCasebook
from bridge.store.sqlite.declarations import SqliteDeclarations
from bridge.store.sqlite.drafts import SqliteDrafts
from bridge.store.sqlite.handovers import SqliteHandovers
from bridge.store.sqlite.incidents import SqliteIncidents
from bridge.store.sqlite.lease import SqliteLease
from bridge.store.sqlite.people import SqlitePeople
from bridge.store.sqlite.privacy import SqlitePrivacy
from bridge.store.sqlite.retention import SqliteRetention

__all__ = ["SqliteStore"]


class SqliteStore(
    SqliteAlerts,
    SqliteIncidents,
    SqliteDrafts,
    SqliteAudit,
    SqliteLease,
    SqlitePeople,
    SqlitePrivacy,
    SqliteDeclarations,
    SqliteRetention,
    SqliteCasebook,
    SqliteHandovers,
):
    """Every concern of :class:`bridge.store.interfaces.Store` on one SQLite file (URL:
    :mod:`.connection`)."""
