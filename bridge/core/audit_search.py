"""What a search of the audit log asks (:class:`AuditFilter`) and the rules both stores keep
when they answer it (:meth:`bridge.store.interfaces.AuditLog.search_audit`). Pure.

Contract:
- :meth:`AuditFilter.matches` is the meaning of a filter, entry by entry: ``since`` included,
  ``until`` excluded (half-open, so March is ``[03-01, 04-01)``); ``actor`` and ``target``
  exact; ``action`` exact, or a prefix when it ends with ``.`` (``draft.`` finds
  ``draft.approved``); ``incident`` finds the entries whose target names that incident or case
  (:func:`incident_of`); ``tracks`` (None: every track) keeps the entries of those tracks
  (:func:`bridge.core.access.audit_track` of the entry's ``target``). An entry's further
  targets (``also``: a list's read names every case it showed) are its targets too: ``target``
  and ``incident`` find it by any of them. The stores answer in their own query language and
  are held to this meaning by the contract tests.
- :func:`incident_of` is the incident or case an audit target is about: ``incident:X`` and
  ``privacy:X`` name ``X``; ``draft:X.kind`` (``.round``) names ``X`` (draft ids are the
  incident's id, a dot and the kind: :func:`bridge.core.casework.draft_id`; incident and case ids
  hold no dot). Entries about people, tokens and the store name none.
- :meth:`AuditFilter.source` is the one index a store walks (newest first) for a filter: the
  target's, else the incident's, else the actor's, else the whole log. Both stores walk the same
  one, so a bounded walk (``scan`` entries at most per request) stops at the same entry on both.
- :func:`suggested_actions` are the actions and prefixes the console's audit page offers to
  someone who reads the entries of ``tracks``: only those that can find an entry of one of them
  (``privacy.`` only to a privacy auditor; people's sign-ins and accounts are outage-track
  entries).
- :func:`lag_after` keeps the log's clock: the latest ``at`` appended so far (``high``) and the
  most an entry's ``at`` ever fell behind the ``high`` before it (``lag``, clocks of replicas
  and the time between taking ``now`` and the write). With them a time range becomes a range of
  ``seq`` no entry of the range lies outside (:func:`window_times`): an entry appended after
  one at ``t`` is at ``t - lag`` or later, and one appended before it at ``t + lag`` or earlier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bridge.core.access import TRACKS, audit_track


def incident_of(target: str) -> str | None:
    """The incident or case id ``target`` is about, or None (see the module contract)."""
    kind, colon, rest = target.partition(":")
    if not colon:
        return None
    if kind in ("incident", "privacy"):
        return rest or None
    if kind == "draft":
        head, dot, _ = rest.partition(".")
        return head if dot and head else None
    return None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """A search of the audit log (see the module contract); every field optional."""

    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    action: str | None = None
    target: str | None = None
    incident: str | None = None
    tracks: frozenset[str] | None = None

    @property
    def action_prefix(self) -> bool:
        return self.action is not None and self.action.endswith(".")

    def matches(
        self, at: datetime, actor: str, action: str, target: str, also: Iterable[str] = ()
    ) -> bool:
        """Whether an entry with these fields is one this filter asks for."""
        if self.since is not None and at < self.since:
            return False
        if self.until is not None and at >= self.until:
            return False
        if self.actor is not None and actor != self.actor:
            return False
        if self.action is not None and not (
            action.startswith(self.action) if self.action_prefix else action == self.action
        ):
            return False
        targets = (target, *also)
        if self.target is not None and self.target not in targets:
            return False
        if self.incident is not None and self.incident not in map(incident_of, targets):
            return False
        return self.tracks is None or audit_track(target) in self.tracks

    def source(self) -> tuple[str, str]:
        """The index to walk: ``("target", T)``, ``("incident", X)``, ``("actor", A)`` or
        ``("log", "")``."""
        if self.target is not None:
            return "target", self.target
        if self.incident is not None:
            return "incident", self.incident
        if self.actor is not None:
            return "actor", self.actor
        return "log", ""

    def every_track(self) -> bool:
        return self.tracks is None or set(TRACKS) <= self.tracks


#: (an action or prefix the audit page suggests, the tracks whose entries it can find)
SUGGESTED_ACTIONS: tuple[tuple[str, frozenset[str]], ...] = (
    ("draft.", frozenset(TRACKS)),  # drafts of incidents and of privacy cases
    ("outbox.", frozenset(TRACKS)),  # what left for a regulator, or failed to
    ("notice.read_sent", frozenset({"outage"})),  # who read the archived bytes (privacy: privacy.)
    ("incident.", frozenset({"outage"})),
    ("privacy.", frozenset({"privacy"})),
    ("login.", frozenset({"outage"})),  # target user:NAME
    ("user.", frozenset({"outage"})),
    ("token.", frozenset({"outage"})),
    ("audit.exported", frozenset(TRACKS)),  # one entry per track an export covers
    ("retention.pruned", frozenset({"outage"})),  # target store: what pruning removed
    # target store: bridge restored after a backup, a new empty store accepted (store.created_empty)
    ("store.", frozenset({"outage"})),
)


def suggested_actions(tracks: Iterable[str]) -> list[str]:
    """The actions and prefixes worth suggesting to a reader of ``tracks``' entries, in
    :data:`SUGGESTED_ACTIONS`' order (see the module contract)."""
    readable = set(tracks)
    return [action for action, found in SUGGESTED_ACTIONS if found & readable]


def lag_after(high: datetime | None, lag: timedelta, at: datetime) -> tuple[datetime, timedelta]:
    """The log's clock (``high``, ``lag``) once an entry at ``at`` is appended."""
    if high is None or at >= high:
        return at, lag
    return high, max(lag, high - at)


def window_times(
    since: datetime | None, until: datetime | None, lag: timedelta
) -> tuple[datetime | None, datetime | None]:
    """The times that bound the range of ``seq`` a store walks for ``[since, until)``: entries
    before the last one (by ``at``, then ``seq``) at less than the first value, and from the
    first one at or after the second value on, are outside the range (None: no bound)."""
    return (
        None if since is None else since - lag,
        None if until is None else until + lag,
    )
