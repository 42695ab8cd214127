"""Affected active connections over time, without double counting.

Contract:
- :func:`build_timeline` takes intervals ``(start, end|None, target)`` and returns the impact as
  a step function: a list of :class:`Point` in time order, each holding the outage vector, the
  degradation vector and the signal counts (``("sev", jurisdiction, value)``) valid from that
  instant until the next point. An open interval (``end=None``) lasts to the end of the timeline.
- An element that is down covers its whole subtree; a down element under a down ancestor adds
  nothing; two alerts on one target count once. Degradation covered by an outage counts as
  outage only. Hence no vector ever exceeds the inventory's totals.
- :func:`sweep_timeline` is :func:`build_timeline` that also returns how it swept
  (:class:`Sweep`), from which a later sweep with more intervals resumes (at its end, or at a
  place kept before the new intervals' earliest start) and gives what one sweep of all of them
  gives, keeping the points before that place.
- Self-described targets (no inventory) sharing a key count once, at the largest description.
- **Affected connections** (one definition, docs/notices.md): counted per service, because one
  customer with internet and TV is one customer with two affected connections. A headline
  figure (current, peak, outage, degradation, a region's) is the largest per-service count
  (the services are never added together); ``by_service`` keeps each service's own figure.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter

import msgspec

from bridge.core.mapping import DEGRADATION, Target
from bridge.core.topology import Topology, Vector, add_into


class Point(msgspec.Struct, frozen=True, gc=False):
    at: datetime
    outage: Vector
    degradation: Vector
    signals: Vector

    def combined(self) -> Vector:
        out = dict(self.outage)
        add_into(out, self.degradation)
        return out


class CoverSet:
    """Active elements with reference counts; keeps the maximal ones ("roots") and their sum.

    Roots are held as sorted Euler ``tin`` values, so add/remove cost O(log n + changed roots)
    instead of a walk over the tree.
    """

    def __init__(self, topology: Topology) -> None:
        self._topo = topology
        self._count: dict[str, int] = {}
        self._active: list[int] = []
        self.roots: list[int] = []
        self.vector: Vector = {}
        #: grows whenever ``roots`` (and so ``vector``) may have changed: a sweep that sees it
        #: unchanged since the last instant knows the vectors derived from it stand
        self.changes = 0

    def _tout(self, tin: int) -> int:
        return self._topo.tout[self._topo.order[tin]]

    def copy(self) -> CoverSet:
        """An independent copy (C-level copies of its maps and lists)."""
        out = CoverSet(self._topo)
        out._count = dict(self._count)
        out._active = list(self._active)
        out.roots = list(self.roots)
        out.vector = dict(self.vector)
        out.changes = self.changes
        return out

    def covering_root(self, element: str) -> str | None:
        """The active root whose subtree contains ``element``, if any."""
        tin = self._topo.tin[element]
        i = bisect_right(self.roots, tin) - 1
        if i >= 0 and self._tout(self.roots[i]) >= tin:
            return self._topo.order[self.roots[i]]
        return None

    def roots_within(self, element: str) -> list[str]:
        lo = bisect_left(self.roots, self._topo.tin[element])
        hi = bisect_right(self.roots, self._topo.tout[element])
        return [self._topo.order[t] for t in self.roots[lo:hi]]

    def add(self, element: str) -> None:
        count = self._count.get(element, 0)
        self._count[element] = count + 1
        if count:
            return
        tin, tout = self._topo.tin[element], self._topo.tout[element]
        insort(self._active, tin)
        if self.covering_root(element) is not None:
            return
        self.changes += 1
        lo, hi = bisect_left(self.roots, tin), bisect_right(self.roots, tout)
        for covered in self.roots[lo:hi]:
            add_into(self.vector, self._topo.subtree_vector(self._topo.order[covered]), -1)
        self.roots[lo:hi] = [tin]
        add_into(self.vector, self._topo.subtree_vector(element))

    def remove(self, element: str) -> None:
        count = self._count[element] - 1
        if count:
            self._count[element] = count
            return
        del self._count[element]
        tin, tout = self._topo.tin[element], self._topo.tout[element]
        del self._active[bisect_left(self._active, tin)]
        i = bisect_left(self.roots, tin)
        if i >= len(self.roots) or self.roots[i] != tin:
            return  # it was covered: nothing changes
        self.changes += 1
        add_into(self.vector, self._topo.subtree_vector(element), -1)
        promoted: list[int] = []
        reach = -1
        for t in self._active[bisect_left(self._active, tin) : bisect_right(self._active, tout)]:
            if t > reach:
                promoted.append(t)
                reach = self._tout(t)
                add_into(self.vector, self._topo.subtree_vector(self._topo.order[t]))
        self.roots[i : i + 1] = promoted


class SelfDescribedSet:
    """Self-described targets: per key the element-wise largest active description counts."""

    def __init__(self) -> None:
        self._by_key: dict[str, list[Vector]] = {}
        self._current: dict[str, Vector] = {}
        self.vector: Vector = {}
        self.changes = 0  # as CoverSet.changes (every add and remove counts)

    def _refresh(self, key: str) -> None:
        self.changes += 1
        add_into(self.vector, self._current.pop(key, {}), -1)
        vectors = self._by_key.get(key)
        if not vectors:
            self._by_key.pop(key, None)
            return
        best: Vector = {}
        for vec in vectors:
            for k, v in vec.items():
                if v > best.get(k, 0):
                    best[k] = v
        self._current[key] = best
        add_into(self.vector, best)

    def add(self, key: str, vector: Vector) -> None:
        self._by_key.setdefault(key, []).append(vector)
        self._refresh(key)

    def copy(self) -> SelfDescribedSet:
        """An independent copy (the descriptions themselves are never changed in place)."""
        out = SelfDescribedSet()
        out._by_key = {key: list(vectors) for key, vectors in self._by_key.items()}
        out._current = dict(self._current)
        out.vector = dict(self.vector)
        out.changes = self.changes
        return out

    def remove(self, key: str, vector: Vector) -> None:
        self._by_key[key].remove(vector)
        self._refresh(key)


class _Layer:
    """One impact kind (outage or degradation): inventory elements plus self-described."""

    def __init__(self, topology: Topology) -> None:
        self.elements = CoverSet(topology)
        self.described = SelfDescribedSet()

    def copy(self) -> _Layer:
        out = _Layer.__new__(_Layer)
        out.elements = self.elements.copy()
        out.described = self.described.copy()
        return out

    def change(self, target: Target, sign: int) -> None:
        if target.element is not None:
            (self.elements.add if sign > 0 else self.elements.remove)(target.element)
        elif target.vector:
            if sign > 0:
                self.described.add(target.key, target.vector)
            else:
                self.described.remove(target.key, target.vector)


def _degradation_vector(topo: Topology, outage: CoverSet, degraded: _Layer) -> Vector:
    vec: Vector = dict(degraded.described.vector)
    for tin in degraded.elements.roots:
        root = topo.order[tin]
        if outage.covering_root(root) is not None:
            continue
        add_into(vec, topo.subtree_vector(root))
        for inner in outage.roots_within(root):
            add_into(vec, topo.subtree_vector(inner), -1)
    return vec


def _vectors(topology: Topology, outage: _Layer, degraded: _Layer) -> tuple[Vector, Vector]:
    """The outage and degradation vectors of what the two layers hold (new dicts)."""
    out_vec = dict(outage.elements.vector)
    add_into(out_vec, outage.described.vector)
    return out_vec, _degradation_vector(topology, outage.elements, degraded)


Interval = tuple[datetime, datetime | None, Target]


_Event = tuple[datetime, int, int, Target]  # (instant, +1 start / -1 end, order, target)
#: events in sweep order: by time, ends (-1) before starts (+1) at the same instant, then by
#: interval (itemgetter: the sort key is built in C)
_event_order = itemgetter(0, 1, 2)

#: a sweep keeps where it stood every this many events (or more, to keep at most about
#: MAX_PLACES such places: each holds a copy of what was down then), so alerts arriving late
#: (starting before the last event swept) re-sweep from the nearest such place, not from the
#: start
CHECKPOINT_EVERY = 256
MAX_PLACES = 16


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a sweep stood before ``index`` events: the points made from them, what was down
    and degraded, the signal counts; every event before it is earlier than ``before`` (None:
    no bound, the start). Its layers are never changed (resuming copies them)."""

    index: int
    points: int
    before: datetime | None
    outage: _Layer
    degraded: _Layer
    signals: Vector


@dataclass(frozen=True, slots=True)
class Sweep:
    """How :func:`sweep_timeline` made a timeline: its events in order, places it stood on the
    way, and where it ended. Never changed once returned, so it is kept beside the timeline
    and a later sweep resumes from it (:meth:`resumable`)."""

    events: list[_Event]
    places: list[_Place]  # by index; places[0] is the start
    end: _Place  # after every event; ``before`` is the last event's instant
    intervals: int  # how many intervals were swept (later ones are ordered after them)

    def resumable(
        self, intervals: Sequence[Interval], also: Sequence[datetime] = ()
    ) -> _Place | None:
        """Where sweeping ``intervals`` (besides those swept) can resume so the result is
        what sweeping all of them from the start gives: the end when they all start after
        the last event, else the last place before their earliest start. ``also``: instants
        the sweep must go over again too (a swept interval's changed end: :func:`changes`)."""
        starts = [start for start, end, _ in intervals if end is None or end > start]
        starts += also
        if not starts:
            return self.end
        first = min(starts)
        if self.end.before is None or first > self.end.before:
            return self.end
        for place in reversed(self.places):
            if place.before is None or place.before <= first:
                return place
        return None


def changes(changed: Mapping[int, tuple[Interval, Interval]]) -> list[datetime]:
    """The instants a sweep must go over again for swept intervals (by their order) whose
    end changed, ``(before, after)``: each one's end before and after; its start too when
    either leaves no trace (zero length), since its start event then comes or goes."""
    out: list[datetime] = []
    for (start, old_end, _), (_, new_end, _) in changed.values():
        if (old_end is not None and old_end <= start) or (new_end is not None and new_end <= start):
            out.append(start)
        out += [end for end in (old_end, new_end) if end is not None]
    return out


def build_timeline(topology: Topology, intervals: Iterable[Interval]) -> list[Point]:
    """See the module contract. Zero-length intervals leave no trace."""
    return sweep_timeline(topology, list(intervals), keep_places=False)[0]


def sweep_timeline(
    topology: Topology,
    intervals: Sequence[Interval],
    after: tuple[Sequence[Point], Sweep] | None = None,
    keep_places: bool = True,
    changed: Mapping[int, tuple[Interval, Interval]] | None = None,
) -> tuple[list[Point], Sweep, int]:
    """:func:`build_timeline`, and how it was made (:class:`Sweep`). With ``after`` (a
    timeline and its sweep), the timeline of ``intervals`` and the ones swept before
    together, resumed where the sweep can be (:meth:`Sweep.resumable`; the caller checked it
    can): the points before that place are kept, only the events after it are swept again
    with the new ones. ``changed``: swept intervals, by their order, whose end changed
    (before, after); their events after that place are swept as they are now. Returns the
    points, the sweep, and how many leading points are ``after``'s own."""
    offset = after[1].intervals if after is not None else 0
    new: list[_Event] = []
    for seq, (start, end, target) in enumerate(intervals, start=offset):
        if end is not None and end <= start:
            continue
        new.append((start, 1, seq, target))
        if end is not None:
            new.append((end, -1, seq, target))
    new.sort(key=_event_order)
    if after is None:
        place = _Place(0, 0, None, _Layer(topology), _Layer(topology), {})
        points: list[Point] = []
        events, places = new, [place]
    else:
        old_points, sweep = after
        resumed = sweep.resumable(intervals, changes(changed or {}))
        assert resumed is not None, "sweep_timeline: the caller checks Sweep.resumable"
        place = resumed
        points = list(old_points[: place.points])
        suffix = sweep.events[place.index :]
        if changed:
            # every event of a changed interval after the place goes, and what it is now
            # comes back; a start before the place stays there (the state at the place holds
            # it): the place lies before its start whenever the interval gains or loses one
            # (see changes)
            suffix = [e for e in suffix if e[2] not in changed]
            for seq, ((_, old_end, _), (start, end, target)) in changed.items():
                if end is not None and end <= start:
                    continue  # no trace now
                had_start = old_end is None or old_end > start
                if not (had_start and _before(place, sweep, start)):
                    suffix.append((start, 1, seq, target))
                if end is not None:
                    suffix.append((end, -1, seq, target))
        events = sweep.events[: place.index] + sorted(suffix + new, key=_event_order)
        places = [p for p in sweep.places if p.index <= place.index]
    kept = len(points)
    outage, degraded = place.outage.copy(), place.degraded.copy()
    signals = dict(place.signals)
    i, n = place.index, len(events)
    spacing = max(CHECKPOINT_EVERY, n // MAX_PLACES)
    last: datetime | None = place.before if place.index else None
    # what the layers' change counters were when the last point's vectors were made: while
    # they stand, so do those vectors (a storm's many alerts on elements already down)
    made: tuple[int, int, int, int] | None = None
    while i < n:
        at = events[i][0]
        if keep_places and i - places[-1].index >= spacing:
            places.append(_Place(i, len(points), at, outage.copy(), degraded.copy(), dict(signals)))
        while i < n and events[i][0] == at:
            _, sign, _, target = events[i]
            (degraded if target.impact_kind == DEGRADATION else outage).change(target, sign)
            if target.severity:
                add_into(signals, {("sev", target.jurisdiction, target.severity): 1}, sign)
            i += 1
        last = at
        now_made = (
            outage.elements.changes,
            outage.described.changes,
            degraded.elements.changes,
            degraded.described.changes,
        )
        if points and now_made == made:
            prev = points[-1]
            if signals == prev.signals:
                continue  # nothing visible changed at this instant
            points.append(Point(at, prev.outage, prev.degradation, dict(signals)))
            continue
        made = now_made
        out_vec, deg_vec = _vectors(topology, outage, degraded)
        if points:
            prev = points[-1]
            # An unchanged vector is the previous point's own object: what reads the timeline
            # (Measures, summarise) sees by identity that nothing changed there, so a long
            # incident whose alerts change only its severity signals costs O(points), not
            # O(points × keys) (an alert above the correlation level covering a storm).
            if out_vec == prev.outage:
                out_vec = prev.outage
            if deg_vec == prev.degradation:
                deg_vec = prev.degradation
            if out_vec is prev.outage and deg_vec is prev.degradation and signals == prev.signals:
                continue  # nothing visible changed at this instant
        points.append(Point(at, out_vec, deg_vec, dict(signals)))
    finish = _Place(n, len(points), last, outage, degraded, signals)
    return points, Sweep(events, places, finish, offset + len(intervals)), kept


def _before(place: _Place, sweep: Sweep, at: datetime) -> bool:
    """True when an event at ``at`` lies before ``place`` in the sweep's events: every event
    before a place is earlier than its ``before``; every one before the end is at or before
    the last event."""
    if place.index == 0 or place.before is None:
        return False
    return at <= place.before if place is sweep.end else at < place.before


def value_at(timeline: Sequence[Point], at: datetime) -> Point | None:
    """The point in force at ``at`` (None before the first)."""
    i = bisect_right([p.at for p in timeline], at) - 1
    return timeline[i] if i >= 0 else None


Reach = tuple[int, int]  # (at least, at most) affected customers: see :func:`reach`


def reach(cells: Mapping[str, Mapping[str, int]]) -> Reach:
    """How many customers affected connections can be, from one country's cells (region →
    service → connections): a customer has at most one connection of a service, so within a
    region they are **at least** its largest service and **at most** all its services added
    (a customer with broadband and TV is one customer, two connections; how many customers
    have both the inventory does not say); customers of different regions are different
    customers, so regions add up. The upper bound is also the affected connections counted
    once each (PTS's *aktiva anslutningar*). One service per region: both are the same."""
    low = high = 0
    for services in cells.values():
        counts = [n for n in services.values() if n > 0]
        low += max(counts, default=0)
        high += sum(counts)
    return low, high


def country_cells(vec: Vector) -> dict[str, dict[str, dict[str, int]]]:
    """A vector's affected connections per country, region and service (jurisdiction →
    region → service → connections), from its ``("conn", j, service, region)`` keys."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for key, value in vec.items():
        if key[0] == "conn" and value:
            services = out.setdefault(str(key[1]), {}).setdefault(str(key[3]), {})
            services[str(key[2])] = services.get(str(key[2]), 0) + int(value)
    return out


@dataclass(frozen=True, slots=True)
class CountryImpact:
    """One country's part of an incident's impact (its elements only): what a notice to that
    country's regulator counts. ``current``/``peak``/``by_service``/``by_region`` as
    :class:`ImpactSummary`'s, of this country; ``reach_*`` the customers its affected
    connections can be (:func:`reach`): now, the highest at once (each bound its own peak),
    when the upper bound peaked, per region (each region's peaks), and for the outage and
    the degradation apart (peaks)."""

    current: int
    peak: int
    by_service: dict[str, int]
    by_region: dict[str, int]
    current_by_service_region: dict[tuple[str, str], int]
    reach_current: Reach
    reach_peak: Reach
    reach_peak_at: datetime | None
    region_reach: dict[str, Reach]
    outage_current: int
    outage_peak: int
    outage_reach: Reach
    degradation_current: int
    degradation_peak: int
    degradation_reach: Reach
    #: the severities of this country's firing alerts now (their severity signals)
    severities: tuple[str, ...] = ()


def _bigger(a: Reach, b: Reach) -> Reach:
    return max(a[0], b[0]), max(a[1], b[1])


class _Countries:
    """Per-country peaks gathered over a timeline's points (:func:`summarise`)."""

    def __init__(self, before: Mapping[str, CountryImpact]) -> None:
        self.peak = {j: c.peak for j, c in before.items()}
        self.reach = {j: c.reach_peak for j, c in before.items()}
        self.reach_at = {j: c.reach_peak_at for j, c in before.items()}
        self.services = {j: dict(c.by_service) for j, c in before.items()}
        self.regions = {j: dict(c.by_region) for j, c in before.items()}
        # each region's peaks: its largest service (``regions``) and its services added
        self.region_high = {
            j: {r: high for r, (_, high) in c.region_reach.items()} for j, c in before.items()
        }
        self.outage = {j: (c.outage_peak, c.outage_reach) for j, c in before.items()}
        self.degradation = {j: (c.degradation_peak, c.degradation_reach) for j, c in before.items()}

    def read(
        self, point: Point, per_country: Mapping[str, Mapping[str, Mapping[str, int]]]
    ) -> None:
        """Take in one point; ``per_country``: its combined vector's :func:`country_cells`."""
        figures: dict[str, tuple[int, Reach]] = {}
        for j, cells in per_country.items():
            low = high = 0
            per_service: dict[str, int] = {}
            regions = self.regions.setdefault(j, {})
            region_high = self.region_high.setdefault(j, {})
            for region, counts in cells.items():
                top = total = 0
                for service, n in counts.items():
                    per_service[service] = per_service.get(service, 0) + n
                    if n > top:
                        top = n
                    total += n
                low += top
                high += total
                if top > regions.get(region, 0):
                    regions[region] = top
                if total > region_high.get(region, 0):
                    region_high[region] = total
            services = self.services.setdefault(j, {})
            largest = 0
            for service, n in per_service.items():
                if n > services.get(service, 0):
                    services[service] = n
                if n > largest:
                    largest = n
            figures[j] = (largest, (low, high))
            before = self.reach.get(j, (0, 0))
            if high > before[1]:
                self.reach_at[j] = point.at
            if low > before[0] or high > before[1]:
                self.reach[j] = _bigger(before, (low, high))
            if largest > self.peak.get(j, 0):
                self.peak[j] = largest
        # one kind alone (the usual case) has the combined figures: no second reading
        if not _has_connections(point.degradation):
            parts = [(figures, self.outage)]
        elif not _has_connections(point.outage):
            parts = [(figures, self.degradation)]
        else:
            parts = [
                (_figures(point.outage), self.outage),
                (_figures(point.degradation), self.degradation),
            ]
        for found, into in parts:
            for j, (largest, now_reach) in found.items():
                peak, was = into.get(j, (0, (0, 0)))
                into[j] = (max(peak, largest), _bigger(was, now_reach))

    def summary(self, final: Point | None) -> dict[str, CountryImpact]:
        now = country_cells(final.combined()) if final is not None else {}
        out_now = country_cells(final.outage) if final is not None else {}
        deg_now = country_cells(final.degradation) if final is not None else {}
        severities: dict[str, set[str]] = {}
        for key, n in (final.signals if final is not None else {}).items():
            if key[0] == "sev" and n > 0:
                severities.setdefault(str(key[1]), set()).add(str(key[2]))
        out: dict[str, CountryImpact] = {}
        # a country seen before only through its alerts' severities (no connection yet)
        # stays only while they fire: as a summary of the whole timeline would have it
        seen = {j for j, reach in self.reach.items() if reach != (0, 0)}
        for j in sorted(seen | set(severities)):
            cells = now.get(j, {})
            out[j] = CountryImpact(
                current=_largest_service(cells),
                peak=self.peak.get(j, 0),
                by_service=self.services.get(j, {}),
                by_region=self.regions.get(j, {}),
                current_by_service_region={
                    (s, r): n for r, counts in cells.items() for s, n in counts.items()
                },
                reach_current=reach(cells),
                reach_peak=self.reach.get(j, (0, 0)),
                reach_peak_at=self.reach_at.get(j),
                region_reach={
                    r: (self.regions[j].get(r, 0), high)
                    for r, high in self.region_high.get(j, {}).items()
                },
                outage_current=_largest_service(out_now.get(j, {})),
                outage_peak=self.outage.get(j, (0, (0, 0)))[0],
                outage_reach=self.outage.get(j, (0, (0, 0)))[1],
                degradation_current=_largest_service(deg_now.get(j, {})),
                degradation_peak=self.degradation.get(j, (0, (0, 0)))[0],
                degradation_reach=self.degradation.get(j, (0, (0, 0)))[1],
                severities=tuple(sorted(severities.get(j, ()))),
            )
        return out


def _has_connections(vec: Vector) -> bool:
    return any(value for key, value in vec.items() if key[0] == "conn")


def _figures(vec: Vector) -> dict[str, tuple[int, Reach]]:
    """Per country: a vector's largest per-service count and :func:`reach`."""
    return {j: (_largest_service(cells), reach(cells)) for j, cells in country_cells(vec).items()}


def _largest_service(cells: Mapping[str, Mapping[str, int]]) -> int:
    """The headline figure of one country's cells: its largest per-service count."""
    per_service: dict[str, int] = {}
    for services in cells.values():
        for service, n in services.items():
            per_service[service] = per_service.get(service, 0) + n
    return max(per_service.values(), default=0)


@dataclass(frozen=True, slots=True)
class ImpactSummary:
    """What the console and the API show: current and peak, outage and degradation apart;
    ``countries``: each country's own part (:class:`CountryImpact`), which its notices count."""

    current: int  # headline: the largest per-service count (services are never summed)
    peak: int
    peak_at: datetime | None
    by_service: dict[str, int]  # peak per service (outage + degradation)
    by_region: dict[str, int]  # peak per region (its largest per-service count)
    current_by_service_region: dict[tuple[str, str], int]
    outage_current: int
    outage_peak: int
    degradation_current: int
    degradation_peak: int
    countries: dict[str, CountryImpact] = field(default_factory=dict)


def _conn_total(vec: Vector) -> int:
    """The headline figure of a vector: its largest per-service count (see the contract)."""
    per_service: dict[str, int] = {}
    for k, v in vec.items():
        if k[0] == "conn":
            per_service[k[2]] = per_service.get(k[2], 0) + int(v)
    return max(per_service.values(), default=0)


def summarise(
    timeline: Sequence[Point],
    before: ImpactSummary | None = None,
    first: int = 0,
    last: int | None = None,
) -> ImpactSummary:
    """Current (the last point) and peak figures of a timeline. With ``before``, the summary
    of its first ``first`` points exactly as they are (a timeline extended after them): only
    the points from ``first`` on are read, for the same result. With ``last``, the summary of
    the first ``last`` points only (what a summary of ``timeline[:last]`` gives)."""
    end = len(timeline) if last is None else last
    if before is None or not first:
        peak, peak_at, out_peak, deg_peak = 0, None, 0, 0
        by_service: dict[str, int] = {}
        by_region: dict[str, int] = {}
        previous: Point | None = None
        first = 0
        countries = _Countries({})
    else:
        peak, peak_at = before.peak, before.peak_at
        out_peak, deg_peak = before.outage_peak, before.degradation_peak
        by_service, by_region = dict(before.by_service), dict(before.by_region)
        previous = timeline[first - 1]  # its vectors were read (or shared with one that was)
        countries = _Countries(before.countries)
    for i in range(first, end):
        point = timeline[i]
        if (
            previous is not None
            and point.outage is previous.outage
            and point.degradation is previous.degradation
        ):
            continue  # the same vectors (build_timeline shares them): nothing new to see
        previous = point
        combined = point.combined()
        total = _conn_total(combined)
        if total > peak:
            peak, peak_at = total, point.at
        out_peak = max(out_peak, _conn_total(point.outage))
        deg_peak = max(deg_peak, _conn_total(point.degradation))
        services: dict[str, int] = {}
        cells: dict[tuple[str, str], int] = {}
        per_country: dict[str, dict[str, dict[str, int]]] = {}
        for key, value in combined.items():
            if key[0] == "conn":
                n = int(value)
                services[key[2]] = services.get(key[2], 0) + n
                cells[(key[3], key[2])] = cells.get((key[3], key[2]), 0) + n
                if n:  # one key per (country, service, region): nothing to add up
                    country = per_country.get(key[1])
                    if country is None:
                        country = per_country[key[1]] = {}
                    place = country.get(key[3])
                    if place is None:
                        country[key[3]] = {key[2]: n}
                    else:
                        place[key[2]] = n
        countries.read(point, per_country)
        regions: dict[str, int] = {}
        for (region, _), value in cells.items():
            regions[region] = max(regions.get(region, 0), value)
        for name, value in services.items():
            by_service[name] = max(by_service.get(name, 0), value)
        for name, value in regions.items():
            by_region[name] = max(by_region.get(name, 0), value)
    final = timeline[end - 1] if end else None
    current_sr = _by_service_region(final.combined()) if final is not None else {}
    return ImpactSummary(
        current=_conn_total(final.combined()) if final else 0,
        peak=peak,
        peak_at=peak_at,
        by_service=by_service,
        by_region=by_region,
        current_by_service_region=current_sr,
        outage_current=_conn_total(final.outage) if final else 0,
        outage_peak=out_peak,
        degradation_current=_conn_total(final.degradation) if final else 0,
        degradation_peak=deg_peak,
        countries=countries.summary(final),
    )


def _by_service_region(vec: Vector) -> dict[tuple[str, str], int]:
    """A vector's affected connections per (service, region), every country together."""
    out: dict[tuple[str, str], int] = {}
    for key, value in vec.items():
        if key[0] == "conn":
            out[(key[2], key[3])] = out.get((key[2], key[3]), 0) + int(value)
    return out


def affected_once(topology: Topology, targets: Iterable[Target]) -> dict[tuple[str, str], int]:
    """What these targets take down together, each connection counted once, per (service,
    region): an element under two incidents' alerts (a core router's and a site's) is one
    element. For the overall picture across incidents (metrics, dashboards), where adding
    incidents' own figures would count the same connections twice."""
    at = datetime.min.replace(tzinfo=UTC)
    timeline = build_timeline(topology, ((at, None, t) for t in targets))
    return _by_service_region(timeline[-1].combined()) if timeline else {}


class AffectedNow:
    """:func:`affected_once` of a set of targets that changes a little between calls, kept
    by differences: :meth:`update` applies what came, went or was replaced since (a layer
    change per such target; a target is the same while it is the same object under its
    key) and gives what ``affected_once(topology, targets.values())`` gives over the
    targets held then. For the metrics' overall figures, read at every scrape while a storm
    holds tens of thousands of alerts.

    Not thread-safe; one caller (the event loop) owns it."""

    def __init__(self, topology: Topology) -> None:
        self._topology = topology
        self._outage = _Layer(topology)
        self._degraded = _Layer(topology)
        self._held: dict[object, Target] = {}

    def _change(self, target: Target, sign: int) -> None:
        (self._degraded if target.impact_kind == DEGRADATION else self._outage).change(target, sign)

    def update(self, changes: Mapping[object, Target | None]) -> dict[tuple[str, str], int]:
        """Hold ``target`` under each key of ``changes`` (None: hold nothing there); keys not
        named keep what they hold. Affected connections per (service, region) of what is
        held then, each connection counted once."""
        held = self._held
        coming: list[Target] = []
        for key, target in changes.items():
            before = held.get(key)
            if before is target:
                continue
            if before is not None:
                self._change(before, -1)
            if target is None:
                del held[key]
            else:
                coming.append(target)
                held[key] = target
        # Elements in tree order (an ancestor before what it covers): an element added under
        # an active root costs nothing, while a root added over active ones takes their sums
        # out again (a first call adds thousands).
        tin = self._topology.tin
        coming.sort(key=lambda t: -1 if t.element is None else tin[t.element])
        for target in coming:
            self._change(target, 1)
        out_vec, deg_vec = _vectors(self._topology, self._outage, self._degraded)
        add_into(out_vec, deg_vec)
        return _by_service_region(out_vec)
