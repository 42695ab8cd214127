"""One incident as evaluated at some ``now``, built from its parts: its alerts (episodes,
their ends, their targets), its timeline and what it measures, the rule sets, and what its
notices say. Pure: reads the engine's state it is given (by reference), never changes it.

Contract:
- :meth:`IncidentBuilder.build` returns the :class:`~bridge.core.incident_state.Incident`:
  assessments (a rule set's previous assessment of the same timeline is kept unless one of its
  criteria is due by ``now``, and then only the due criteria are evaluated again; each as it
  stands for the incident's start, :func:`~bridge.core.rules.for_incident`: a rule set whose
  law applies only from a later day marks nothing), state,
  obligations, the alerts it shows (stale, unmapped, jurisdictions, truncated), and when it
  must be looked at again (``next_check_at``: a forecast crossing, a deadline, the end of its
  quiet period, an alert going stale).
- What it read from its alerts is kept on the incident (:class:`AlertsView`) and may be given
  back while they have not changed (re-evaluations on the standing timeline): staleness then
  needs no pass over them before the earliest could go stale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from operator import itemgetter

from bridge.core.alerts import AlertEpisode
from bridge.core.impact import Interval, Point
from bridge.core.incident_state import CLOSED, AlertsView, Derived, Incident
from bridge.core.incidents import EpisodeKey
from bridge.core.mapping import Target
from bridge.core.obligations import Obligation, incident_events, owed
from bridge.core.rules import Assessment, RuleSet, evaluate, for_incident, reevaluate
from bridge.core.topology import Topology


def _due_times(
    assessments: Sequence[Assessment], obligations: Sequence[Obligation], now: datetime
) -> list[datetime]:
    """When the incident must be looked at again: every criterion's forecast crossing (not
    only the assessment's: once a rule set is reportable its other criteria still turn met,
    and the console and reports list them) and every obligation falling due after ``now``.
    Timeline points after ``now`` (a start ahead of the bridge's clock) need no check of
    their own: a criterion's forecast already accounts for them (bridge.core.rules)."""
    due = [c.forecast_at for a in assessments for c in a.criteria if c.forecast_at is not None]
    due += [o.due_at for o in obligations if o.due_at is not None and o.due_at > now]
    return due


_BY_START = itemgetter(1, 0)  # an episode key (fingerprint, start) by start, then fingerprint


_EMPTY_VIEW = AlertsView({}, None, None, frozenset(), frozenset(), {}, (), None)


def _due_before(assessment: Assessment, now: datetime) -> bool:
    """True when a criterion of ``assessment`` is forecast to be met by ``now``."""
    for c in assessment.criteria:  # a plain loop: the timer asks this of every assessment
        forecast = c.forecast_at
        if forecast is not None and forecast <= now:
            return True
    return False


class IncidentBuilder:
    """See the module contract. Holds the engine's maps by reference (the engine changes
    them in place, never replaces them)."""

    def __init__(
        self,
        topology: Topology,
        rule_sets: Sequence[RuleSet],
        episodes: Mapping[EpisodeKey, AlertEpisode],
        targets: Mapping[EpisodeKey, Target],
        truncation: Mapping[str, int],
        stale_after: timedelta,
        notice_events: Mapping[str, Mapping[str, datetime]],
        notice_states: Mapping[str, Mapping[str, str]],
    ) -> None:
        self.topology = topology
        self.rule_sets = rule_sets
        self.episodes = episodes
        self.targets = targets
        self.truncation = truncation
        self.stale_after = stale_after
        self._notice_events = notice_events
        self._notice_states = notice_states

    def build(
        self,
        inc_id: str,
        key: str,
        eks: list[EpisodeKey],
        started_at: datetime | None,
        last_end: datetime | None,
        reach: datetime | None,
        timeline: list[Point],
        derived: Derived,
        ends: Mapping[EpisodeKey, datetime | None],
        now: datetime,
        previous: Sequence[Assessment] | None = None,
        view: AlertsView | None = None,
        intervals: tuple[Interval, ...] | None = None,
        ordered: bool = False,
    ) -> Incident:
        """``previous``: assessments of the same timeline; one with no criterion due by
        ``now`` cannot have changed (a met criterion stays met, one with no forecast is met
        nowhere on the timeline, its points after ``now`` included) and is kept as it is.
        ``view``: what the incident read from its alerts before, when they have not changed
        since (or as :meth:`grown_view` extended it). ``intervals``: what the timeline was
        built from, kept on a new view. ``ordered``: ``eks`` are in start order already."""
        assert started_at is not None
        closed = reach is not None and now >= reach
        kept: Sequence[Assessment | None] = previous or [None] * len(self.rule_sets)
        assessments = [
            for_incident(
                evaluate(derived.measures, rs, self.topology, now)
                if prev is None
                else reevaluate(prev, derived.measures, rs, self.topology, now)
                if _due_before(prev, now)
                else prev,
                rs,
                started_at,
            )
            for rs, prev in zip(self.rule_sets, kept, strict=True)
        ]
        if view is None:
            view = self.alerts_view(eks, ends, last_end, reach, intervals)
        stale, next_stale, earliest = self.stale(view, now)
        if earliest != view.earliest_seen:
            view = replace(view, earliest_seen=earliest)
        events = incident_events(started_at, last_end, last_end if closed else None)
        jurisdictions = sorted(view.jurisdictions | derived.jurisdictions)
        obligations = [
            o
            for rs, a in zip(self.rule_sets, assessments, strict=True)
            for o in owed(
                rs,
                a,
                events,
                now,
                self._notice_events.get(inc_id),
                self._notice_states.get(inc_id),
                jurisdictions,
            )
        ]
        due = _due_times(assessments, obligations, now)
        if not closed and reach is not None:
            due.append(reach)
        if next_stale is not None:
            due.append(next_stale)
        return Incident(
            id=inc_id,
            key=key,
            episodes=eks if ordered else sorted(eks, key=_BY_START),
            started_at=started_at,
            state=CLOSED if closed else "open",
            ended_at=last_end if closed else None,
            closes_at=None if closed else reach,
            jurisdictions=jurisdictions,
            timeline=timeline,
            impact=derived.impact,
            assessments=assessments,
            stale=sorted(set(stale)),
            unmapped=view.unmapped,
            truncated_alerts=sum(self.truncation.get(g, 0) for g in view.group_keys),
            next_check_at=min(due) if due else None,
            derived=derived,
            remedied_at=last_end,
            obligations=obligations,
            alerts=view,
        )

    def alerts_view(
        self,
        eks: list[EpisodeKey],
        ends: Mapping[EpisodeKey, datetime | None],
        last_end: datetime | None,
        reach: datetime | None,
        intervals: tuple[Interval, ...] | None = None,
    ) -> AlertsView:
        """What an incident shows of its alerts, in one pass over them (see
        :class:`~bridge.core.incident_state.AlertsView`): the jurisdictions of its mapped
        alerts, their Alertmanager group keys, the unmapped ones' reasons by fingerprint, and
        the alerts that can go stale with the least ``last_seen`` among them."""
        grown = self.grown_view(_EMPTY_VIEW, eks, ends, intervals)
        return replace(grown, last_end=last_end, reach=reach)

    def grown_view(
        self,
        view: AlertsView,
        new: Sequence[EpisodeKey],
        ends: Mapping[EpisodeKey, datetime | None],
        intervals: tuple[Interval, ...] | None,
        ended: Mapping[EpisodeKey, datetime] | None = None,
    ) -> AlertsView:
        """``view`` with the alerts ``new`` added (their ``ends`` given; ``intervals``: the
        whole incident's, or None) and those of ``ended`` (held alerts) ended then: costs
        what they hold, plus copying what ``view`` holds. Its ``last_end`` and ``reach``
        stand (an incident that grows, or whose alerts end, while another alert of it is
        going, whose reach is unbounded)."""
        held, targets = self.episodes, self.targets
        jurisdictions: set[str] = set(view.jurisdictions)
        group_keys: set[str] = set(view.group_keys)
        unmapped: dict[str, str] = dict(view.unmapped)
        firing: list[EpisodeKey] = (
            [ek for ek in view.firing if ek not in ended] if ended else list(view.firing)
        )
        earliest = view.earliest_seen
        for ek in new:
            ep = held[ek]
            target = targets[ek]
            group_keys.add(ep.group_key)
            if target.unmapped:
                unmapped[ek[0]] = target.unmapped_reason or ""
            else:
                jurisdictions.add(target.jurisdiction)
            if ends[ek] is None and ep.status == "firing":
                firing.append(ek)
                if earliest is None or ep.last_seen < earliest:
                    earliest = ep.last_seen
        all_ends = dict(view.ends)
        all_ends.update((ek, ends[ek]) for ek in new)
        if ended:
            all_ends.update(ended)
        return AlertsView(
            all_ends,
            view.last_end,
            view.reach,
            frozenset(jurisdictions),
            frozenset(group_keys),
            unmapped,
            tuple(firing),
            earliest,
            intervals,
        )

    def stale(
        self, view: AlertsView, now: datetime
    ) -> tuple[list[str], datetime | None, datetime | None]:
        """Fingerprints of firing alerts not heard of within ``stale_after``, when the next one
        goes stale, and the least ``last_seen`` now. Before the earliest could go stale, none
        is (no pass over the alerts; the next check may come early, never late)."""
        stale_after = self.stale_after
        if view.earliest_seen is None:
            return [], None, None
        if now < view.earliest_seen + stale_after:
            return [], view.earliest_seen + stale_after, view.earliest_seen
        held = self.episodes
        stale: list[str] = []
        next_stale: datetime | None = None
        earliest: datetime | None = None
        for ek in view.firing:
            seen = held[ek].last_seen
            if earliest is None or seen < earliest:
                earliest = seen
            stale_at = seen + stale_after
            if now >= stale_at:
                stale.append(ek[0])
            elif next_stale is None or stale_at < next_stale:
                next_stale = stale_at
        return stale, next_stale, earliest
