"""Retention: which stored records go, decided from plain values and ``now``. Pure.

The kinds of record (:data:`PRUNABLE`): ``alerts`` (alert episodes), ``deliveries`` (the
webhook log), ``incidents`` (incident documents), ``drafts`` (notices never sent: rejected or
withdrawn) and ``notices`` (drafts sent to a regulator). The audit log and the privacy register
are never pruned (:data:`KEPT`). Each prunable kind has its own period (:class:`Periods`,
``None``: kept for ever), counted from the instant the incident **settled**.

Contract:
- :func:`settled_at`: an incident is settled once it is closed (not merged away), every
  obligation its document lists is sent or rejected (or waits, undrafted and undated, for an
  event a closed incident can no longer bring, as :mod:`bridge.core.liveness` counts it), and
  every draft of it is sent, rejected or withdrawn (nothing owed, nothing waiting for a
  person). It settled at the latest of its
  start, its end and its drafts' last changes. An incident that still owes a report, or has a
  draft not yet sent or rejected, is not settled, whatever its age: none of its records go. A
  merged-away incident settles like that once the incident it was merged into is gone from the
  store (its alerts are that incident's, and go with it).
- :func:`fate`: what of one incident goes at ``now``: its episodes once settled longer than
  ``alerts``, its unsent drafts and its sent notices after ``drafts`` and ``notices``, and its
  document after ``incidents`` but only when nothing of it stays (so no draft or alert ever
  points to a document that is gone, and a restart never derives an incident again from alerts
  whose document went).
- :func:`unlisted_goes`: an episode the store holds but no stored incident lists goes once both
  its end and its first receipt lie ``alerts`` behind ``now``. Such an episode is a resolved
  alert that arrived after its episode had become history (it ended more than
  ``evaluation.memory_horizon`` before it came, and the bridge no longer held, or never saw,
  it firing): acknowledged and stored as proof of what Alertmanager sent, never an incident.
  Counting from its receipt keeps that proof the full period however late it came. A firing
  episode always forms an incident (a restart derives it again), so it is never unlisted for
  long: only resolved ones are. The caller keeps those that opened a privacy case (evidence
  of the register, never pruned).
- :func:`delivery_cutoff`: deliveries are a log without incident ids, so they go by time: those
  received before ``now - deliveries`` and before the start of every incident that still keeps
  its alerts (:attr:`Fate.keeps_alerts_since`), whatever incident (or none) they belonged to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bridge.core.casework import DONE, FINISHED
from bridge.core.incident_state import CLOSED
from bridge.core.incidents import EpisodeKey
from bridge.core.liveness import obligation_done

#: The kinds retention may remove, each with its own period.
PRUNABLE = ("alerts", "deliveries", "incidents", "drafts", "notices")
#: The kinds never pruned: the audit log (who approved and sent what) and the privacy register.
KEPT = ("audit", "privacy_cases")
#: Every kind counted in ``bridge_store_records{kind}``.
RECORD_KINDS = (*PRUNABLE, *KEPT)

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Periods:
    """How long each kind is kept after its incident settled; ``None``: for ever. The defaults
    and their reasons are in docs/retention.md."""

    alerts: timedelta | None = 400 * DAY
    deliveries: timedelta | None = 400 * DAY
    incidents: timedelta | None = 1827 * DAY
    drafts: timedelta | None = 400 * DAY
    notices: timedelta | None = 1827 * DAY

    def cutoff(self, kind: str, now: datetime) -> datetime | None:
        """Records of ``kind`` settled at or before this instant go (None: none do)."""
        period: timedelta | None = getattr(self, kind)
        return None if period is None else now - period


@dataclass(frozen=True, slots=True)
class DraftFacts:
    """What the decision reads of one draft."""

    id: str
    revision: int
    state: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the decision reads of one stored incident: ``obligations`` are (state, dated) of
    each one its document lists (empty: it owes nothing; ``dated``: it has a due date),
    ``ended_at`` the latest end its document names."""

    id: str
    state: str
    merged_into: str | None
    started_at: datetime
    ended_at: datetime | None
    obligations: tuple[tuple[str, bool], ...]
    episodes: tuple[EpisodeKey, ...]


@dataclass(frozen=True, slots=True)
class Fate:
    """What of one incident goes. ``keeps_alerts_since`` is its start when its alerts stay
    (the deliveries of its time stay with them), else None."""

    episodes: tuple[EpisodeKey, ...] = ()
    drafts: tuple[DraftFacts, ...] = ()
    notices: tuple[DraftFacts, ...] = ()
    document: bool = False
    keeps_alerts_since: datetime | None = None
    settled: datetime | None = field(default=None, compare=False)

    def counts(self) -> dict[str, int]:
        """How many records of each kind go (deliveries are decided apart)."""
        return {
            "alerts": len(self.episodes),
            "drafts": len(self.drafts),
            "notices": len(self.notices),
            "incidents": int(self.document),
        }


def settled_at(
    case: CaseFacts, drafts: Sequence[DraftFacts], target_stored: bool = False
) -> datetime | None:
    """When the incident settled, or None while it is not settled (see the module contract);
    ``target_stored``: for a merged-away incident, whether the one it went into is still
    stored."""
    if case.merged_into is not None:
        if target_stored:
            return None
    elif case.state != CLOSED or not all(obligation_done(*o) for o in case.obligations):
        return None
    if any(d.state not in FINISHED for d in drafts):
        return None
    instants = [case.started_at, *(d.updated_at for d in drafts)]
    if case.ended_at is not None:
        instants.append(case.ended_at)
    return max(instants)


def _due(periods: Periods, kind: str, settled: datetime, now: datetime) -> bool:
    cut = periods.cutoff(kind, now)
    return cut is not None and settled <= cut


def fate(
    case: CaseFacts,
    drafts: Sequence[DraftFacts],
    periods: Periods,
    now: datetime,
    target_stored: bool = False,
) -> Fate:
    """What of ``case`` (with its ``drafts``) goes at ``now`` (see the module contract)."""
    own_alerts = case.merged_into is None  # a merged-away incident's alerts are its target's
    settled = settled_at(case, drafts, target_stored)
    if settled is None:
        return Fate(keeps_alerts_since=case.started_at if own_alerts else None)
    alerts_go = _due(periods, "alerts", settled, now)
    episodes = tuple(case.episodes) if own_alerts and alerts_go else ()
    # a report kept internally (owed to no regulator) is kept as long as a sent one
    unsent = tuple(d for d in drafts if d.state not in DONE)
    sent = tuple(d for d in drafts if d.state in DONE)
    drafts_go = unsent if _due(periods, "drafts", settled, now) else ()
    notices_go = sent if _due(periods, "notices", settled, now) else ()
    everything_else_goes = (
        (alerts_go or not own_alerts or not case.episodes)
        and len(drafts_go) == len(unsent)
        and len(notices_go) == len(sent)
    )
    return Fate(
        episodes=episodes,
        drafts=drafts_go,
        notices=notices_go,
        document=everything_else_goes and _due(periods, "incidents", settled, now),
        keeps_alerts_since=None if alerts_go or not own_alerts else case.started_at,
        settled=settled,
    )


def unlisted_goes(
    ended_at: datetime | None, received_at: datetime, periods: Periods, now: datetime
) -> bool:
    """Whether a resolved episode no stored incident lists goes at ``now`` (see the module
    contract): ended (``ended_at``) and first received (``received_at``) at or before the
    ``alerts`` cut-off."""
    cut = periods.cutoff("alerts", now)
    return cut is not None and ended_at is not None and max(ended_at, received_at) <= cut


def delivery_cutoff(
    periods: Periods, now: datetime, kept_since: Iterable[datetime | None]
) -> datetime | None:
    """Deliveries received before this instant go (None: none do); ``kept_since`` are the
    :attr:`Fate.keeps_alerts_since` of every stored incident."""
    cut = periods.cutoff("deliveries", now)
    if cut is None:
        return None
    return min([cut, *(at for at in kept_since if at is not None)])
