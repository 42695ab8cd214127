"""What the engine holds per incident, and the pure, heavy part of evaluating one correlation
key (:func:`compute`), which may run in a worker thread: it reads only a :class:`KeyPlan`
(immutable), the warmed topology and the rule sets."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bridge.core.impact import (
    ImpactSummary,
    Interval,
    Point,
    Sweep,
    build_timeline,
    changes,
    summarise,
    sweep_timeline,
)
from bridge.core.impact_override import ImpactOverride
from bridge.core.incidents import EpisodeKey, Part
from bridge.core.obligations import Obligation
from bridge.core.rules import ALL_MEASURES, Assessment, MeasureKeys, Measures, RuleSet, evaluate
from bridge.core.topology import Topology

OPEN = "open"
CLOSED = "closed"

#: An incident of at least this many alerts keeps how its timeline was made (its intervals on
#: its alerts view, the sweep on what derives from it), so that new alerts joining it extend
#: the timeline. A smaller one is built again (cheap), and keeps nothing more in memory: what
#: the kept objects cost the garbage collector shows when the state is large.
KEEP_SWEEP_FROM = 200


#: What keeps its sweep also keeps the summary and the jurisdictions of its timeline's first
#: points every this many points, or every 1/SUMMARY_MARKS_PER_TIMELINE of the timeline,
#: whichever is more (:class:`Prefix`): an alert sent late keeps only the points before its
#: start, and the summary goes on from the last prefix before them instead of every point.
SUMMARY_MARKS_EVERY = 64
SUMMARY_MARKS_PER_TIMELINE = 32


def keeps_sweep(alerts: int) -> bool:
    """True when an incident of this many alerts keeps how its timeline was made."""
    return alerts >= KEEP_SWEEP_FROM


@dataclass(frozen=True, slots=True)
class Prefix:
    """The summary and the jurisdictions of a timeline's first ``points`` points."""

    points: int
    impact: ImpactSummary
    jurisdictions: frozenset[str]


@dataclass(frozen=True, slots=True)
class Derived:
    """What depends on the timeline alone: computed once, reused by every tick.
    ``inventory``: while a person's impact override stands, what the alerts alone would give
    (shown beside the override); None when no override stands."""

    measures: Measures
    impact: ImpactSummary
    jurisdictions: frozenset[str]
    inventory: ImpactSummary | None = None
    #: how the timeline was swept, so that new alerts extend it from the nearest place
    #: before they start instead of building it again (None: not kept)
    sweep: Sweep | None = None
    #: with ``sweep``: the summary of the timeline's first points, now and then (in order of
    #: ``points``; see SUMMARY_MARKS_EVERY)
    prefixes: tuple[Prefix, ...] = ()

    @staticmethod
    def of(
        timeline: list[Point],
        inventory: ImpactSummary | None = None,
        sweep: Sweep | None = None,
        wanted: MeasureKeys = ALL_MEASURES,
    ) -> Derived:
        """``wanted``: the measures the rule sets read (:meth:`MeasureKeys.of`; default all)."""
        final, prefixes = _summarised(timeline, None, (), marks=sweep is not None)
        return Derived(
            Measures(timeline, wanted),
            final.impact,
            final.jurisdictions,
            inventory,
            sweep,
            prefixes,
        )

    def extended(self, timeline: list[Point], kept: int, sweep: Sweep) -> Derived:
        """What ``timeline`` gives, whose first ``kept`` points are the ones this was derived
        from (:func:`~bridge.core.impact.sweep_timeline`): the measures of those are kept.
        When ``kept`` is every point this was derived from, the summary and the jurisdictions
        go on from this one's, reading only the points added; otherwise (the sweep resumed
        before the end: an alert sent late, or whose end moved) they go on from the last
        prefix of at most ``kept`` points (:class:`Prefix`), or from the first point."""
        if kept == self.measures.n:
            start: Prefix | None = Prefix(kept, self.impact, self.jurisdictions)
            held = self.prefixes
        else:
            held = self.prefixes[: bisect.bisect_right(self.prefixes, kept, key=_points)]
            start = held[-1] if held else None
        final, prefixes = _summarised(timeline, start, held, marks=True)
        return Derived(
            Measures.extended(self.measures, timeline, kept),
            final.impact,
            final.jurisdictions,
            None,
            sweep,
            prefixes,
        )


def _points(prefix: Prefix) -> int:
    return prefix.points


def _summarised(
    timeline: Sequence[Point], start: Prefix | None, held: tuple[Prefix, ...], marks: bool
) -> tuple[Prefix, tuple[Prefix, ...]]:
    """The summary of the whole ``timeline``, read from ``start`` on (the summary of its
    first points; None: from the first point), and, with ``marks``, its prefixes: ``held``
    (those up to ``start``), ``start`` itself when it lies far enough after them, and one
    every so many points after that (see SUMMARY_MARKS_EVERY)."""
    n = len(timeline)
    impact, jurisdictions, at = (
        (start.impact, start.jurisdictions, start.points) if start else (None, frozenset(), 0)
    )
    prefixes = list(held)
    if marks:
        spacing = max(SUMMARY_MARKS_EVERY, n // SUMMARY_MARKS_PER_TIMELINE)
        last = prefixes[-1].points if prefixes else 0
        if start is not None and at - last >= spacing and at < n:
            prefixes.append(start)
            last = at
        while (mark := last + spacing) < n:
            impact = summarise(timeline, impact, at, mark)
            jurisdictions = jurisdictions | _jurisdictions(timeline, at, mark)
            prefixes.append(Prefix(mark, impact, jurisdictions))
            at = last = mark
    final = Prefix(n, summarise(timeline, impact, at), jurisdictions | _jurisdictions(timeline, at))
    return final, tuple(prefixes)


def _jurisdictions(
    timeline: Sequence[Point], first: int = 0, last: int | None = None
) -> frozenset[str]:
    """The jurisdictions with an outage at some point from ``first`` on (before ``last``)."""
    return frozenset(
        k[1] for vec in {id(p.outage): p.outage for p in timeline[first:last]}.values() for k in vec
    )


@dataclass(frozen=True, slots=True)
class AlertsView:
    """What evaluating an incident read from its alerts that changes only when they do (a
    resolve, a re-fire, a new alert: the incident is then built anew), kept for the
    re-evaluations on its standing timeline (the timer's tick, a notice sent) so they cost
    what is due, not what the incident holds. ``earliest_seen`` is the least ``last_seen``
    of the alerts that can go stale when it was read; a re-delivery only moves ``last_seen``
    later, so it stays a safe lower bound."""

    ends: dict[EpisodeKey, datetime | None]
    last_end: datetime | None
    reach: datetime | None
    jurisdictions: frozenset[str]
    group_keys: frozenset[str]
    unmapped: dict[str, str]
    firing: tuple[EpisodeKey, ...]  # firing and not ended: the ones that can go stale
    earliest_seen: datetime | None
    #: each alert's (start, end, target) as the timeline was built from them (None: not kept),
    #: so an incident that only grows extends them instead of reading every alert again
    intervals: tuple[Interval, ...] | None = None


@dataclass(slots=True)
class Incident:
    """One incident as evaluated at some ``now``. Recomputed, never edited in place by callers."""

    id: str
    key: str
    episodes: list[EpisodeKey]
    started_at: datetime
    state: str
    ended_at: datetime | None
    closes_at: datetime | None
    jurisdictions: list[str]
    timeline: list[Point]
    impact: ImpactSummary
    assessments: list[Assessment]
    stale: list[str] = field(default_factory=list)  # fingerprints
    unmapped: dict[str, str] = field(default_factory=dict)  # fingerprint → reason
    truncated_alerts: int = 0
    merged_into: str | None = None
    next_check_at: datetime | None = None
    derived: Derived | None = None  # cached for re-evaluation while the timeline stands
    remedied_at: datetime | None = None  # every alert resolved (None while one fires)
    obligations: list[Obligation] = field(default_factory=list)
    alerts: AlertsView | None = None  # kept for re-evaluations (see AlertsView)

    @classmethod
    def hollow(
        cls,
        inc_id: str,
        key: str,
        started_at: datetime,
        episodes: Sequence[EpisodeKey],
        merged_into: str | None,
    ) -> Incident:
        """An incident with nothing evaluated: closed, no timeline, no impact (one merged into
        another, or one whose alerts are gone)."""
        return cls(
            id=inc_id,
            key=key,
            episodes=list(episodes),
            started_at=started_at,
            state=CLOSED,
            ended_at=None,
            closes_at=None,
            jurisdictions=[],
            timeline=[],
            impact=summarise([]),
            assessments=[],
            merged_into=merged_into,
        )

    @property
    def overridden(self) -> bool:
        """True while a person's impact override stands (:mod:`bridge.core.impact_override`)."""
        return self.derived is not None and self.derived.inventory is not None

    def fingerprints(self) -> list[str]:
        return sorted({fp for fp, _ in self.episodes})

    def verdict(self) -> tuple[object, ...]:
        """What an observer can see change; equal verdicts need no new write."""
        return (
            self.state,
            self.ended_at,
            self.closes_at,
            tuple(self.episodes),
            tuple(self.stale),
            tuple(sorted(self.unmapped.items())),
            self.truncated_alerts,
            self.merged_into,
            tuple((a.regulator, a.reportable, a.since, a.forecast_at) for a in self.assessments),
            tuple(
                tuple((c.met, c.since, c.forecast_at) for c in a.criteria) for a in self.assessments
            ),
            self.impact,
            self.overridden,
            tuple((o.regulator, o.kind, o.due_at, o.state, o.late_by) for o in self.obligations),
        )


@dataclass(frozen=True, slots=True)
class StoredIncident:
    """The part of an incident the store must keep for ids to survive a restart."""

    id: str
    key: str
    started_at: datetime
    episodes: Sequence[EpisodeKey]
    merged_into: str | None = None


Computed = tuple[list[Point], "Derived", list[Assessment]]


@dataclass(frozen=True, slots=True)
class KeyPlan:
    """One correlation key's evaluation, planned: the partition and, per part, its intervals.

    Holds only immutable values, so :func:`compute` may run in another thread while the engine
    keeps admitting; :meth:`Engine.commit` then refuses it if the key changed meanwhile.
    """

    key: str
    version: int
    now: datetime
    parts: list[Part]
    ids: list[str]
    merged: dict[str, str]
    ends: dict[EpisodeKey, datetime | None]
    intervals: list[tuple[Interval, ...]]
    #: per part, a person's impact override standing for its incident (empty: none at all)
    overrides: tuple[ImpactOverride | None, ...] = ()
    #: a *grown* plan (:meth:`Engine.plan`): the key's only changes are these new alerts,
    #: which joined its ongoing incident (the one part here); its other incidents stand
    grown: tuple[EpisodeKey, ...] | None = None
    #: with ``grown``: what the incident reads from its alerts, the new ones added
    view: AlertsView | None = None
    #: with ``grown``: the incident's timeline and what was derived from it, where the new
    #: alerts' intervals begin in ``intervals``, and the held alerts whose interval changed
    #: since (by their order: before, now; an alert resolved)
    after: tuple[list[Point], Derived, int, dict[int, tuple[Interval, Interval]]] | None = None


def compute(plan: KeyPlan, topology: Topology, rule_sets: Sequence[RuleSet]) -> list[Computed]:
    """The heavy, pure part of evaluating a key: timelines, their measures, assessments.
    Reads only the plan, the topology (warmed: see :meth:`Topology.warm`) and the rule sets.
    A part whose incident has an impact override is evaluated on the override's intervals
    (:meth:`ImpactOverride.intervals`), the alerts' own impact kept beside it."""
    out: list[Computed] = []
    wanted = MeasureKeys.of(rule_sets)
    for n, intervals in enumerate(plan.intervals):
        override = plan.overrides[n] if plan.overrides else None
        inventory: ImpactSummary | None = None
        if override is not None:
            part = plan.parts[n]
            inventory = summarise(build_timeline(topology, intervals))
            intervals = override.intervals(intervals, part.started_at, part.last_end)
            timeline = build_timeline(topology, intervals)
            derived = Derived.of(timeline, inventory, None, wanted)
        elif (
            plan.after is not None
            and plan.after[1].measures.wanted is wanted
            and (extended := _extended(topology, plan.after, intervals))
        ):
            timeline, derived = extended
        else:
            keep = keeps_sweep(len(intervals))
            timeline, sweep, _ = sweep_timeline(topology, intervals, keep_places=keep)
            derived = Derived.of(timeline, None, sweep if keep else None, wanted)
        out.append(
            (
                timeline,
                derived,
                [evaluate(derived.measures, rs, topology, plan.now) for rs in rule_sets],
            )
        )
    return out


def _extended(
    topology: Topology,
    after: tuple[list[Point], Derived, int, dict[int, tuple[Interval, Interval]]],
    intervals: tuple[Interval, ...],
) -> tuple[list[Point], Derived] | None:
    """The timeline with the intervals from ``after``'s index on added, and what derives
    from it, swept again only from where its kept sweep allows (:meth:`Sweep.resumable`);
    None when it was not kept."""
    timeline, derived, first_new, changed = after
    new = intervals[first_new:]
    if derived.sweep is None or derived.inventory is not None:
        return None
    if derived.sweep.resumable(new, changes(changed)) is None:
        return None
    points, sweep, kept = sweep_timeline(topology, new, (timeline, derived.sweep), changed=changed)
    return points, derived.extended(points, kept, sweep)
