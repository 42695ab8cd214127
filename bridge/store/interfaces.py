"""What the service needs kept, whatever keeps it: one protocol per concern, and ``Store``, all
of them together (what :func:`bridge.store.make_store` returns). Code that needs one concern
takes the narrow protocol (e.g. :class:`LeaseStore` for leadership).

Contract (checked for every implementation, SQLite and a real Redis, by the suites in
``tests/integration/store/``, one per protocol):
- Reads return exactly what was written; timestamps come back timezone-aware (UTC).
- Every failure of the backing service surfaces as :class:`~bridge.errors.StoreUnavailable`
  (retry), never as a driver exception.
- Documents under optimistic concurrency (drafts, privacy cases, users, API tokens) are written
  whole: the write gives the revision it read (``expected_revision``; ``None`` means the
  document must not exist yet) and the new one (one more, 1 when new) **and** the audit entries
  that go with it, atomically; a mismatch raises :class:`~bridge.errors.Conflict` and writes
  nothing. So two writers (two replicas, a person and the bridge) never both win, and no
  change is ever stored without its audit entry.
- Replicas share one store; one at a time leads by holding the lease (:class:`LeaseStore`).
  Writes the leader makes carry its fencing token (``fence=``); the store checks it in the same
  atomic step as the write and raises :class:`~bridge.errors.LeaseLost` (writing nothing)
  unless the lease is still held with that token. So a leader paused past its lease (GC,
  SIGSTOP, a VM migration) cannot write after it wakes. People's actions (edits, approvals)
  carry no token: the revision check protects them.

The contract of each concern is on its protocol.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bridge.core.alerts import AlertEpisode, Delivery
from bridge.core.audit_search import AuditFilter
from bridge.core.incidents import EpisodeKey
from bridge.store.records import (
    AuditEntry,
    AuditPage,
    CasebookRecord,
    DeclarationRecord,
    DeliveryRecord,
    DraftRecord,
    IncidentRecord,
    Lease,
    PrivacyCaseRecord,
    SessionRecord,
    TokenRecord,
    UserRecord,
)

SCHEMA_VERSION = 15

#: The lease's name (one per store; a Redis key prefix gives several bridges one database each).
LEADER_LEASE = "leader"


class Lifecycle(Protocol):
    """Opening, closing and health of the backing service."""

    url: str

    async def open(self, *, migrate: bool = True, create: bool = True) -> None:
        """Connect and bring the stored schema to :data:`SCHEMA_VERSION` (a newer one is
        refused). Without ``migrate`` (commands that only read, a dry run) nothing is created
        or changed: a store that is empty or at an older schema is refused instead
        (StoreUnavailable saying that ``bridge serve`` upgrades it). Without ``create`` an
        older schema is migrated but a store that holds nothing (no schema yet: a missing
        SQLite file, a Redis prefix without its schema key) is not created: StoreEmpty
        (``bridge serve`` when the archive shows the store was in use,
        :mod:`bridge.notices.in_use`)."""

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise StoreUnavailable unless the store can serve reads and writes now: a write
        (``/readyz`` runs it every few seconds), so a store that refuses writes (a full disk, a
        read-only replica) fails it; it rewrites one fixed row or key, so nothing grows."""

    async def schema_version(self) -> int: ...


class AlertLog(Protocol):
    """Alert episodes as delivered by Alertmanager, merged.

    - :meth:`ingest` merges a delivery's episodes into what is stored, with
      :func:`bridge.core.alerts.merge_episode`, records the delivery, and returns the episodes
      as now stored. When it returns, all of it is durable; when it raises StoreUnavailable,
      none of it was applied. Concurrent calls are safe and ingesting the same delivery twice
      changes nothing but ``last_seen``.
    - Every episode write gets a change number (strictly increasing in commit order);
      :meth:`episodes_since` returns the episodes changed after a cursor, so a replica learns
      of alerts another replica acknowledged.
    """

    async def ingest(self, delivery: Delivery, received_at: datetime) -> list[AlertEpisode]: ...

    async def ingest_numbered(
        self, delivery: Delivery, received_at: datetime
    ) -> tuple[list[AlertEpisode], int]:
        """:meth:`ingest`, and the change number it gave every episode it wrote."""

    async def seen_again(self, change: int, count: int, record: DeliveryRecord) -> int | None:
        """A re-delivery that changes nothing but ``last_seen`` (Alertmanager re-sending a
        group unchanged), recorded without the merge: if exactly ``count`` episodes still
        carry change number ``change`` (those one ingest wrote, or the number the last
        seen_again of them returned; none written since), move each one's ``last_seen`` to
        ``record.received_at`` if later, give them a new change number, record the delivery
        and its truncation as :meth:`ingest` does, and return the new change number;
        otherwise write nothing and return None. Durable when it returns. It leaves the store
        exactly as :meth:`ingest` of the same alerts would when their stored values are what
        was sent but for ``first_seen``/``last_seen``. It rewrites no episode: both stores
        keep the moved ``last_seen`` once per write and fold it into every read and merge
        (sqlite/alerts.py, redis/lua/_resent.lua)."""

    async def load_episodes(self) -> list[AlertEpisode]: ...

    async def load_truncation(self) -> dict[str, int]:
        """Latest ``truncatedAlerts`` per Alertmanager group key, of groups that had some
        truncated: a delivery's count is stored when not zero, and a zero only where it
        clears a count stored (so that a replica hears it); the later delivery wins. Old
        counts go with retention (:meth:`RetentionStore.prune_truncation`)."""

    async def recent_deliveries(self, limit: int) -> list[DeliveryRecord]: ...

    async def episodes_since(self, cursor: int) -> tuple[list[AlertEpisode], int]:
        """Episodes written after change number ``cursor`` (as now stored) and the cursor to
        ask with next time. ``cursor=0`` gives every episode."""

    async def latest_change(self) -> int:
        """The cursor :meth:`episodes_since` would give now (the newest change number any
        stored episode carries; 0 when none), without reading an episode: cheap, so a replica
        can see that only its own writes came since (:mod:`bridge.evaluation.replica_sync`)."""

    async def live_episodes(self, since: datetime) -> tuple[list[AlertEpisode], int]:
        """The episodes still firing or resolved at or after ``since`` (what a restart loads;
        older ones are history, read by key), and the change number read up to: every episode
        written after it comes from :meth:`episodes_since` with that cursor. Cost follows the
        episodes returned, not the stored history (indexed)."""

    async def get_episodes(self, keys: Collection[tuple[str, datetime]]) -> list[AlertEpisode]:
        """The stored episodes with these keys (fingerprint, starts_at); unknown keys are
        skipped."""


class IncidentArchive(Protocol):
    """Derived incident records: :meth:`save_incidents` upserts them atomically (all or none).
    Every incident ever derived is kept here (memory holds only the live ones, see
    :mod:`bridge.core.liveness`); reads by id and by page serve the rest."""

    async def save_incidents(
        self, records: Sequence[IncidentRecord], fence: int | None = None
    ) -> None:
        """Upsert ``records`` atomically; with ``fence``, only while the lease is held with
        that token (else LeaseLost, nothing written)."""

    async def load_incidents(self) -> list[IncidentRecord]: ...

    async def get_incident(self, incident_id: str) -> IncidentRecord | None: ...

    async def live_incidents(self, since: datetime) -> list[IncidentRecord]:
        """The records not settled (``settled_at`` None: open or owing) or settled at or after
        ``since``, ordered by start then id: what a restart loads. Cost follows the records
        returned, not the stored history (indexed)."""

    async def incident_page(
        self, state: str, before: tuple[datetime, str] | None, limit: int
    ) -> list[IncidentRecord]:
        """Newest first by (started_at, id): at most ``limit`` records in ``state`` (open,
        closed or all) whose (started_at, id) is below ``before`` (None: from the newest)."""


class DraftStore(Protocol):
    """Drafts (the notices): whole documents under optimistic concurrency, written with their
    audit entries (the module contract)."""

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

    async def get_draft(self, draft_id: str) -> DraftRecord | None: ...

    async def list_drafts(
        self, incident_id: str | None = None, states: Collection[str] | None = None
    ) -> list[DraftRecord]:
        """Drafts, optionally of one incident and/or in some states, ordered by id."""

    async def drafts_of(self, case_ids: Collection[str]) -> list[DraftRecord]:
        """Every draft of these incidents or cases, ordered by id (what a book holding only
        the live cases loads; cost follows the cases asked, not the stored history)."""


class AuditLog(Protocol):
    """The audit log is append-only: entries get a strictly increasing ``seq`` from the store
    and are never changed or deleted."""

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries that go with no draft write (reads of restricted data, logins…)."""

    async def audit_seq(self) -> int:
        """The highest ``seq`` handed out (0: none), whether or not its entry is still there."""

    async def raise_audit_seq(self, at_least: int) -> int:
        """The next entry's ``seq`` comes above ``at_least``: the counter raised to it when lower
        (never lowered); the counter now. For a log restored from a backup, which must never
        hand out again a seq handed out before the restore (``bridge restored``)."""

    async def audit_log(
        self, limit: int = 100, before_seq: int | None = None, target: str | None = None
    ) -> list[AuditEntry]:
        """Newest first: at most ``limit`` entries with ``seq < before_seq`` (all when None),
        optionally only those about ``target``."""

    async def search_audit(
        self, where: AuditFilter, limit: int, before_seq: int | None = None, scan: int = 5000
    ) -> AuditPage:
        """Newest first, the entries with ``seq < before_seq`` that ``where`` matches
        (:meth:`bridge.core.audit_search.AuditFilter.matches`), at most ``limit``, found in the
        store, never by reading the log into Python. The walk goes down the index
        :meth:`~bridge.core.audit_search.AuditFilter.source` names, within the range of ``seq``
        the time range allows (:func:`bridge.core.audit_search.window_times`, found through an
        index of ``at``), and looks at no more than ``scan`` of its entries: the work of one
        call is bounded whatever the size of the log, and ``resume`` says where to go on
        (:class:`~bridge.store.records.AuditPage`). Both stores look at the same entries, so
        they answer the same pages."""


class LeaseStore(Protocol):
    """One replica at a time leads (evaluates, drafts, sends) by holding the store's lease:
    :meth:`acquire_lease` takes or renews it for ``ttl`` and returns its fencing token, which
    grows every time the lease changes hands."""

    async def acquire_lease(self, holder: str, ttl: timedelta) -> int | None:
        """Take the lease if it is free or expired, or renew it if ``holder`` holds it, for
        ``ttl`` from now (the store's clock); return the fencing token, or None when another
        holder has it. The token is unchanged on renewal and grows when the holder changes."""

    async def release_lease(self, holder: str) -> None:
        """Give the lease up if ``holder`` holds it (a clean stop: others take over at once)."""

    async def current_lease(self) -> Lease | None:
        """The unexpired lease, or None."""


class PeopleStore(Protocol):
    """People, sessions and API tokens (schema 4; one live token per name: schema 13).

    Users and tokens are written like drafts: :meth:`put_user` and :meth:`put_token`
    compare-and-set on ``revision`` (``None``: must not exist yet) and append their audit
    entries in the same atomic write. A token's name is its audit actor (``token:NAME``), so
    :meth:`put_token` also refuses, in that write, a live token under a name another live token
    holds (:attr:`~bridge.store.records.TokenRecord.live_name`: in any ASCII case): two
    writers making a token under one new name at once (two replicas, ``bridge tokens add``
    beside a running bridge) never both win. A token's ``last_used_at`` is the one field
    written apart (:meth:`touch_token`, only ever moved later). Sessions are keyed by the
    SHA-256 of their id (the id itself is never stored), upserted whole, and deleted one by
    one, per user, or once expired (``expires_at``, the absolute end).
    """

    async def put_user(
        self, user: UserRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        """Write ``user`` and append ``audit`` atomically if the stored revision is
        ``expected_revision`` (``None``: no such user yet); else Conflict, nothing written."""

    async def get_user(self, name: str) -> UserRecord | None: ...

    async def list_users(self) -> list[UserRecord]:
        """Every user, ordered by name."""

    async def put_session(self, session: SessionRecord) -> None:
        """Create or replace the session ``session.id_hash``."""

    async def get_session(self, id_hash: str) -> SessionRecord | None: ...

    async def delete_session(self, id_hash: str) -> None: ...

    async def delete_user_sessions(self, user: str) -> int:
        """Delete every session of ``user``; how many there were."""

    async def prune_sessions(self, now: datetime) -> int:
        """Delete the sessions whose ``expires_at`` is at or before ``now``; how many."""

    async def put_token(
        self, token: TokenRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        """Like :meth:`put_user`, for API tokens (``last_used_at`` is not written here); and
        when ``token`` is live, :class:`~bridge.errors.NameTaken` (``name``, the holder's id;
        nothing written) if another live token holds its
        :attr:`~bridge.store.records.TokenRecord.live_name`, unless the stored ``token`` is live
        under that name already. So live tokens sharing a name from before schema 13 are kept
        (each may be written and revoked) and no token takes the name while one of them lives;
        a revoked token's name is free."""

    async def get_token(self, token_id: str) -> TokenRecord | None: ...

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        """The token whose secret hashes to ``token_hash`` (revoked ones too), or None."""

    async def list_tokens(self) -> list[TokenRecord]:
        """Every token, revoked ones too, ordered by creation then id."""

    async def touch_token(self, token_id: str, at: datetime) -> None:
        """Record a use at ``at`` (kept only when later than the one stored)."""


class PrivacyRegister(Protocol):
    """Privacy cases (the register, förteckning, of privacy incidents), schema 5.

    Written like drafts (:meth:`put_privacy_case`: revision check, audit entries in the same
    write) and every revision written is kept (:meth:`privacy_case_revisions`). The interface
    has no way to delete one, and SQLite refuses a DELETE by trigger.
    """

    async def put_privacy_case(
        self, case: PrivacyCaseRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        """Write ``case``, keep it as one more revision and append ``audit``, atomically, if
        the stored revision is ``expected_revision`` (``None``: no such case yet) and
        ``case.revision`` is one more; else raise Conflict and write nothing."""

    async def get_privacy_case(self, case_id: str) -> PrivacyCaseRecord | None: ...

    async def list_privacy_cases(self) -> list[PrivacyCaseRecord]:
        """Every privacy case ever written (latest revision), ordered by id."""

    async def privacy_case_revisions(self, case_id: str) -> list[PrivacyCaseRecord]:
        """Every revision of a case as written, oldest first (empty: no such case)."""


class DeclarationStore(Protocol):
    """People's declarations of an incident's significance under the Swedish cybersecurity
    act (schema 8): one small record per incident id, apart from the derived incidents (which
    can always be recomputed; a person's decision cannot). Written like privacy cases
    (revision check, audit entries in the same write); never deleted."""

    async def put_declaration(
        self, record: DeclarationRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        """Write ``record`` and append ``audit``, atomically, if the stored revision is
        ``expected_revision`` (``None``: none yet) and ``record.revision`` is one more; else
        raise Conflict and write nothing."""

    async def get_declaration(self, incident_id: str) -> DeclarationRecord | None: ...

    async def list_declarations(self) -> list[DeclarationRecord]:
        """Every declaration (latest revision), ordered by incident id."""


class RetentionStore(Protocol):
    """What retention needs (docs/retention.md): counts per kind, the incidents page by page
    with their drafts, and deletes in small batches. Which records go is decided by
    :mod:`bridge.core.retention` from what :meth:`retention_page` returns; each delete
    removes at most what it is given (or ``batch``) in one short write, so a caller never
    holds the store or the event loop for long. Deletes are idempotent (a record already gone
    counts 0). The audit log and the privacy register have no delete here, or anywhere.
    """

    async def count_records(self) -> dict[str, int]:
        """Stored records per kind of :data:`bridge.core.retention.RECORD_KINDS` (alerts are
        episodes; drafts are those not sent, notices the sent ones; privacy_cases the
        register's cases). Cheap: counters or counts of indexed tables, never documents."""

    async def retention_page(
        self, cursor: str, limit: int
    ) -> tuple[list[IncidentRecord], list[DraftRecord], str]:
        """About ``limit`` stored incidents after ``cursor`` (``""``: from the start), every
        draft of those incidents, and the cursor of the next page (``""``: that was the last).
        Going through every page visits every incident stored before the first call at least
        once."""

    async def count_deliveries_before(self, before: datetime) -> int:
        """How many deliveries :meth:`prune_deliveries` would remove for ``before``."""

    async def prune_deliveries(self, before: datetime, batch: int) -> int:
        """Delete at most ``batch`` deliveries received before ``before``, oldest first; how
        many. The newest delivery always stays (SQLite numbers changes after it)."""

    async def prune_truncation(
        self, before: datetime | None, cleared_before: datetime, cursor: str, batch: int
    ) -> tuple[int, str]:
        """Of about ``batch`` groups' truncation counts after ``cursor`` (``""``: from the
        start), delete those last updated before ``before`` (None: none for that) and the
        zeros (a count cleared, kept only so that a replica hears it) last updated before
        ``cleared_before``; how many went and the cursor of the next call (``""``: that was
        the last). Going from ``""`` to ``""`` visits every count stored before the first
        call at least once. (Only non-zero counts are stored, and the zero that clears one:
        see :meth:`AlertLog.ingest`.)"""

    async def resolved_before(
        self, before: datetime, cursor: str, limit: int
    ) -> tuple[list[AlertEpisode], str]:
        """About ``limit`` stored resolved episodes after ``cursor`` (``""``: from the start)
        that ended and were first received at or before ``before``, listed by an incident or
        not (the caller tells), and the cursor of the next page (``""``: that was the last).
        Going from ``""`` to ``""`` visits every such episode stored before the first call at
        least once."""

    async def count_episodes(self, keys: Sequence[EpisodeKey]) -> int:
        """How many of these alert episodes are stored (what :meth:`prune_episodes` would
        remove)."""

    async def prune_episodes(self, keys: Sequence[EpisodeKey]) -> int:
        """Delete these alert episodes (fingerprint, starts_at); how many there were."""

    async def prune_drafts(self, drafts: Sequence[tuple[str, int]]) -> int:
        """Delete each draft (id, revision) still at that revision (one changed meanwhile
        stays); how many went."""

    async def prune_incidents(self, ids: Sequence[str]) -> int:
        """Delete these incident records; how many there were."""


class Casebook(Protocol):
    """People's data about incidents (schema 7): one record per incident, kept apart from the
    derived incident records (which the bridge rebuilds from the alerts; these it never could).

    - :meth:`open_casebook` returns the incident's record, creating it first when there is none:
      revision 1, an empty document and the next number of the store's one counter (1, 2, 3 …
      in the order records are created). The counter and the record are written in one atomic
      step: two callers (two replicas) never get the same number, an incident never gets two,
      and a number, once given, is never given again nor changed. Opening an existing record
      writes nothing.
    - :meth:`put_casebook` writes a record like drafts are written: if the stored revision is
      ``expected_revision`` and ``record.revision`` is one more, with its audit entries in the
      same atomic write; else Conflict and nothing written. Only records opened before can be
      written; the number stays the one the store gave.
    """

    async def open_casebook(self, incident_id: str, at: datetime) -> CasebookRecord: ...

    async def open_casebooks(
        self, incident_ids: Sequence[str], at: datetime
    ) -> dict[str, CasebookRecord]:
        """:meth:`open_casebook` for each of ``incident_ids`` in one atomic step, the new ones
        numbered in the order given; the records by incident id."""

    async def put_casebook(
        self, record: CasebookRecord, expected_revision: int, audit: Sequence[AuditEntry]
    ) -> None: ...

    async def get_casebook(self, incident_id: str) -> CasebookRecord | None: ...

    async def casebooks(self, incident_ids: Collection[str]) -> dict[str, CasebookRecord]:
        """The records of those of ``incident_ids`` that have one, by incident id."""

    async def list_casebooks(self) -> list[CasebookRecord]:
        """Every record, by number."""


class HandoverCount(Protocol):
    """How many times the outbox was about to hand a notice to the mail relay: counted right
    before each hand-over, so it only grows on one store's history. The outbox keeps a copy of
    the highest count it was given outside the store (:mod:`bridge.notices.witness`, in the
    archive folder, which a restore of the store does not roll back): a store whose count is
    below that copy was rolled back (restored from a backup) after notices left."""

    async def count_handover(self) -> int:
        """One more: the new count (1 on a new store). Atomic: no two callers get the same."""

    async def handovers(self) -> int:
        """The count (0 on a new store)."""

    async def raise_handovers(self, at_least: int) -> int:
        """The count raised to ``at_least`` when it is lower (never lowered); the count now."""


class Store(
    Lifecycle,
    AlertLog,
    IncidentArchive,
    DraftStore,
    AuditLog,
    LeaseStore,
    PeopleStore,
    PrivacyRegister,
    DeclarationStore,
    RetentionStore,
    Casebook,
    HandoverCount,
    Protocol,
):
    """Every concern of one backing store (see the module contract)."""
