"""Regulators' "significant outage" criteria, evaluated on an impact timeline.

Contract:
- :func:`evaluate` is pure: ``(timeline, rule_set, topology, now) → Assessment``. The timeline is
  a step function; the last point lasts on (while the impact stays).
- A criterion with ``min_duration`` D is met at ``s + D`` for the first instant ``s`` from which
  its measure stayed at or above the threshold for D (D = 0: met at the first such instant),
  once ``now`` has reached it. Once met it stays met: reportability is about what happened,
  not only what is happening.
- A rule set is reportable when any criterion is met; ``since`` is the earliest criterion's.
- While unmet, a criterion the timeline meets later carries a forecast: the instant it will be
  met if the impact stays. The timeline may hold points after ``now`` (an alert whose
  ``startsAt`` is ahead of the bridge's clock, a resolve that says it ends later, an
  override's ``from``): they count, so a measure below its threshold now but above it from a
  later point is forecast, and one above it now that such a point ends short of D is not.
  ``seconds_to_reportable`` is the nearest.
- So on a given timeline a criterion's verdict changes with ``now`` only at its forecast.
- Every criterion verdict carries a human-readable reason with the figures used.
- :func:`reevaluate` gives what :func:`evaluate` gives at a later ``now`` on the same timeline,
  evaluating again only the criteria forecast to be met by then.
- :func:`for_incident` gives the assessment an incident stands by: for one that began before
  the rule set's law applies (``in_force_from``) it is not reportable and forecasts nothing,
  its criteria's findings kept for people to read, and says so (``in_force_from``).
- Scans of a long timeline keep how far they got on its :class:`Measures` (carried to
  :meth:`Measures.extended`), so a later ``now`` or an extended timeline scans on from there;
  the result is what a scan from the start gives (property tests).
"""

from __future__ import annotations

import bisect
import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import msgspec

from bridge.core.calendar import Rule
from bridge.core.impact import Point
from bridge.core.memo import Memo
from bridge.core.repeal import before_in_force
from bridge.core.topology import Topology

CRITERION_KINDS = (
    "connections",
    "share",
    "area",
    "capacity",
    "emergency_112",
    "societal",
    "wholesale",
    "severity",
)


@dataclass(frozen=True, slots=True)
class Criterion:
    """One row of a rule set. Unused parameters stay at their defaults."""

    id: str
    kind: str
    min_duration: timedelta = timedelta(0)
    min_connections: int = 0
    min_share: float = 0.0
    min_area_km2: float = 0.0
    min_capacity_share: float = 0.0
    service: str | None = None  # None: each service on its own
    scope: str = "jurisdiction"  # share: "jurisdiction" or "region"
    impact: str = "any"  # "any" (outage + degradation) or "outage"
    levels: tuple[str, ...] = ()  # severity: levels that qualify
    description: str = ""
    # where the criterion comes from: a seed, a regulation, or "operator" (its own choice)
    source: str = ""


@dataclass(frozen=True, slots=True)
class RuleSet:
    id: str
    regulator: str
    jurisdiction: str
    source: str
    verified: bool
    criteria: tuple[Criterion, ...]
    obligations: tuple[str, ...] = ()
    severity_map: dict[str, str] = field(default_factory=dict)  # label value → level
    notes: str = ""
    obligation_rules: Mapping[str, Rule] = field(default_factory=dict)  # overrides of defaults
    # outage: criteria on incidents; privacy: owed for privacy cases; cyber: criteria mark an
    # incident potentially significant, obligations follow a person's declaration
    track: str = "outage"
    applies_to: tuple[str, ...] = ()  # privacy: the case natures (breach, risk) it covers
    # privacy: the exemptions (no_adverse_effect, data_unreadable) that waive this rule set's
    # subscriber notices, with their source; none: an exemption does not waive them
    exemptions: tuple[str, ...] = ()
    exemptions_source: str = ""
    # the law it encodes was repealed on this day: for incidents since then it is the
    # operator's internal threshold, owed to no regulator (:mod:`bridge.core.repeal`)
    repealed_on: date | None = None
    # the law it encodes applies from this day: an incident that began before it (the
    # jurisdiction's calendar) is marked nothing (:func:`for_incident`) and reportability opens
    # nothing for it (:mod:`bridge.core.obligations`)
    in_force_from: date | None = None


class CriterionResult(msgspec.Struct, frozen=True, gc=False):
    id: str
    kind: str
    met: bool
    since: datetime | None
    forecast_at: datetime | None
    reason: str
    source: str = ""  # the criterion's source (see :class:`Criterion`)


#: The ``source`` of a criterion the operator chose itself (no regulator asks for it).
OPERATOR_SOURCE = "operator"


class Assessment(msgspec.Struct, frozen=True, gc=False):
    regulator: str
    rule_set: str
    verified: bool
    reportable: bool
    since: datetime | None
    criteria: tuple[CriterionResult, ...]
    forecast_at: datetime | None  # nearest instant an unmet criterion is met if impact stays
    #: the rule set's track: for ``cyber`` a met criterion makes the incident *potentially
    #: significant* only; a person declares it significant (bridge.core.awareness)
    track: str = "outage"
    #: set (the rule set's ``in_force_from``) when the rule set's law does not apply to the
    #: incident, which began before that day: then never reportable, never forecast, whatever
    #: its criteria found (:func:`for_incident`)
    in_force_from: date | None = None

    def seconds_to_reportable(self, now: datetime) -> float | None:
        if self.reportable or self.forecast_at is None:
            return None
        return max(0.0, (self.forecast_at - now).total_seconds())


class _Run(msgspec.Struct, frozen=True, gc=False):
    """Outcome of scanning one measure: when it was met, or when it would be."""

    met_at: datetime | None
    forecast_at: datetime | None
    run_start: datetime | None  # start of the run that met it, or of the ongoing one
    peak: float


def sustained(
    series: Sequence[tuple[datetime, float]], threshold: float, duration: timedelta, now: datetime
) -> _Run:
    """First instant the step-function ``series`` stayed >= threshold for ``duration``: met
    when that is at or before ``now``, else its forecast (None: never, on this series)."""
    return sustained_arrays(
        [at for at, _ in series], [v for _, v in series], threshold, duration, now
    )


def sustained_arrays(
    times: Sequence[datetime],
    values: Sequence[float],
    threshold: float,
    duration: timedelta,
    now: datetime,
) -> _Run:
    """:func:`sustained` on parallel arrays (what :class:`Measures` holds)."""
    return _at(_scan_from(times, values, 0, None, 0.0, threshold, duration)[0], now)


def _at(run: _Run, now: datetime) -> _Run:
    """A scan's outcome (:func:`_scan_from`: when the timeline meets the measure, whatever
    ``now``) as it stands at ``now``: met by then, or forecast."""
    met_at = run.met_at
    if met_at is None or met_at <= now:
        return run
    return _Run(None, met_at, run.run_start, run.peak)


def _scan_from(
    times: Sequence[datetime],
    values: Sequence[float],
    first: int,
    run_start: datetime | None,
    peak: float,
    threshold: float,
    duration: timedelta,
    n: int | None = None,
    marks: list[_Progress] | None = None,
) -> tuple[_Run, _Progress | None]:
    """When the step function ``times``/``values`` first stayed >= ``threshold`` for
    ``duration``, its last point lasting for ever (``met_at``, None: never; the caller
    compares it with ``now``, :func:`_at`), reading from point ``first`` on (``values`` from
    there) given what the points before it gave. It reads every point, those after any
    ``now`` too (an alert whose ``startsAt`` lies ahead of the bridge's clock, a resolve
    whose end does, an override's ``from``): what the timeline holds is known now, so the
    outcome is the same at every ``now`` and a standing verdict changes only at its
    forecast. Also how far it got (:class:`_Progress`, before the last point at the
    latest: an extension may end a run there; None when ``first`` is not a point). ``n``:
    how many of ``times`` are the timeline's (:attr:`Measures.n`; default all). ``marks``:
    given, it gets where the scan stood before each point after ``first`` that it read and
    whose index is a multiple of the marks' spacing (see :data:`SCAN_MARKS_EVERY`)."""
    if n is None:
        n = len(times)
    progress: _Progress | None = None
    last = n - 1
    every = max(SCAN_MARKS_EVERY, n // SCAN_MARKS_PER_SCAN)
    mark = (first // every + 1) * every if marks is not None else n  # n: never reached
    counts = threshold > 0
    if n - first >= SCAN_IN_C_FROM:
        span = values[: n - first]
        stretch = _Stretch(times, span, first, n, run_start, peak, marks, every, mark)
        if not counts or max(span) < threshold:
            return _below(stretch)
        if min(span) >= threshold:
            return _above(stretch, duration)
    # ``run_start + duration``, once per run: comparing instants, not a timedelta per point
    met_from = None if run_start is None else run_start + duration
    for i in range(first, n):
        at = times[i]
        if i == last:  # an extension may end a run at the last point: keep what was before
            progress = _Progress(i, run_start, peak)
        if i == mark:  # what the points before this one gave
            marks.append(_Progress(i, run_start, peak))  # type: ignore[union-attr]  # n if None
            mark += every
        value = values[i - first]
        if value > peak:
            peak = value
        if counts and value >= threshold:
            if run_start is None:
                run_start = at
                met_from = at + duration
            after = i + 1
            # the run lasts to the next point at least (the last point: for ever)
            if after == n or times[after] >= met_from:  # type: ignore[operator]  # set with run_start
                met = _Run(met_from, None, run_start, peak)
                # met before the last point: it stays met on any extension keeping the next
                return met, _Progress(after, None, peak, met) if after < n else progress
        else:
            run_start = None
    return _Run(None, None, None, peak), progress


#: :func:`_scan_from` reads at least this many points without a loop when every one of them
#: is below the threshold or every one at or above it (a long outage, or a measure that never
#: comes near): the run, the peak, the marks and the met point follow from a binary search
#: over the times and ``min``/``max`` over the values, in C. Mixed points take the loop.
SCAN_IN_C_FROM = 64


@dataclass(frozen=True, slots=True)
class _Stretch:
    """Points ``first`` to ``n`` (the timeline's) of a scan that goes without its loop
    (:data:`SCAN_IN_C_FROM`): their values ``span``, the run and peak carried in, and the
    marks to record (``every`` apart, the next at ``mark``)."""

    times: Sequence[datetime]
    span: Sequence[float]
    first: int
    n: int
    run_start: datetime | None
    peak: float
    marks: list[_Progress] | None
    every: int
    mark: int

    def marks_until(self, stop: int, run_start: datetime | None) -> None:
        """The marks the loop would record before point ``stop`` when every point after
        ``first`` leaves ``run_start`` as it is (marks are after ``first``)."""
        if self.marks is None:
            return
        peak, prev, mark, first = self.peak, self.first, self.mark, self.first
        while mark < stop:
            peak = max(peak, max(self.span[prev - first : mark - first]))
            self.marks.append(_Progress(mark, run_start, peak))
            prev, mark = mark, mark + self.every

    def before_last(self, run_start: datetime | None) -> _Progress:
        """The progress the loop keeps when it reads the last point (``run_start``: as it
        stood before that point, when the last point is not ``first``)."""
        last, first = self.n - 1, self.first
        if last == first:
            return _Progress(last, self.run_start, self.peak)
        return _Progress(last, run_start, max(self.peak, max(self.span[: last - first])))

    def top(self, stop: int) -> float:
        """The peak once the points before ``stop`` are read."""
        return max(self.peak, max(self.span[: stop - self.first]))


def _below(st: _Stretch) -> tuple[_Run, _Progress | None]:
    """:func:`_scan_from` when no point read counts towards a run: any run ends at ``first``."""
    st.marks_until(st.n, None)
    return _Run(None, None, None, st.top(st.n)), st.before_last(None)


def _above(st: _Stretch, duration: timedelta) -> tuple[_Run, _Progress | None]:
    """:func:`_scan_from` when every point read is at or above the threshold: the run goes on
    (or starts at ``first``) and is met at the first point whose run end, the next point's
    time (the last point's: never), reaches ``start + duration``."""
    start = st.run_start if st.run_start is not None else st.times[st.first]
    met_from = start + duration
    met_at = bisect.bisect_left(st.times, met_from, st.first + 1, st.n) - 1
    st.marks_until(met_at + 1, start)
    top = st.top(met_at + 1)
    met = _Run(met_from, None, start, top)
    after = met_at + 1
    return met, _Progress(after, None, top, met) if after < st.n else st.before_last(start)


#: Taken while claiming a :class:`Measures`' lists for an extension (:meth:`Measures.extended`).
_HANDING_ON = threading.Lock()

#: A scan of a timeline of at least this many points keeps how far it got; a shorter one is
#: cheap to scan again, and keeping nothing spares memory and the garbage collector.
KEEP_SCANS_FROM = 64

#: Such a scan also keeps where it stood every this many points, or every
#: 1/:data:`SCAN_MARKS_PER_SCAN` of the timeline if that is more (:attr:`Measures._marks`):
#: an alert that starts before the timeline's end (Alertmanager sends a group's new alerts up
#: to ``group_interval`` after they start) keeps only the points before it, and the scan goes
#: on from the last mark before those instead of from the first point. A scan adds at most
#: :data:`SCAN_MARKS_PER_SCAN` marks (a measure scanned again and again as its timeline grows
#: keeps a few dozen), and a rescan reads at most 1/:data:`SCAN_MARKS_PER_SCAN` of the
#: timeline more than the points after the alert's start.
SCAN_MARKS_EVERY = 64
SCAN_MARKS_PER_SCAN = 32


class _Progress(msgspec.Struct, frozen=True, gc=False):
    """How far a scan of one measure got (:func:`_scan`): the indices before ``index`` gave
    ``run_start`` and ``peak`` and met nothing, or (``met``) the scan ended met there. Holds
    for any ``now`` (a scan does not read it) and on any extension of the timeline that keeps
    the points up to ``index`` (:meth:`Measures.extended`)."""

    index: int
    run_start: datetime | None
    peak: float
    met: _Run | None = None


class MeasureKeys:
    """Which of :class:`Measures`' quantities the configured rule sets read
    (:meth:`of`), and for each vector key of a timeline point the measure keys it adds to
    (remembered: a storm repeats a few). A Swedish incident's measures had a series per
    region and service for every impact (about 500 at 10⁵ elements) that no Swedish criterion
    reads; they were built, extended and copied with every point.

    Families: ``(impact, "conn", j, 4)`` by service, ``(impact, "conn", j, 5)`` by service and
    region, ``(impact, "area"|"cap", j)``, ``(impact, "flag", j, name)``, ``("sev", j)``.
    ``families`` None: every quantity (a timeline evaluated without knowing the rule sets)."""

    #: entries each of its memos holds at most: the keys hold label values an alert can name
    #: itself (service, region), so the memos would otherwise grow with every value ever met
    #: (one that fills starts over: a memo, so nothing but its cost changes)
    HELD = 4096

    def __init__(self, families: frozenset[tuple[object, ...]] | None) -> None:
        self.families = families
        self._expanded: dict[tuple[str, tuple[object, ...]], tuple[tuple[str, ...], ...]] = Memo(
            self.HELD
        )
        #: :meth:`wants` of each signal key met so far (a point's signals are read per point)
        self.signals: dict[tuple[str, ...], bool] = Memo(self.HELD)

    @staticmethod
    def of(rule_sets: Sequence[RuleSet]) -> MeasureKeys:
        """The quantities ``rule_sets``' criteria read, services and regions enumerated from
        the ``"any"`` impact's keys (:meth:`Measures.services`, :meth:`Measures.regions`)."""
        families: set[tuple[object, ...]] = set()
        for rs in rule_sets:
            j = rs.jurisdiction
            for c in rs.criteria:
                if c.kind in ("connections", "share"):
                    by_region = c.kind == "share" and c.scope == "region"
                    families.add((c.impact, "conn", j, 5 if by_region else 4))
                    if c.service is None:
                        families.add(("any", "conn", j, 4))
                    if by_region:
                        families.add(("any", "conn", j, 5))
                elif c.kind == "area":
                    families.add((c.impact, "area", j))
                elif c.kind == "capacity":
                    families.add((c.impact, "cap", j))
                elif c.kind in ("emergency_112", "societal", "wholesale"):
                    families.add((c.impact, "flag", j, c.kind))
                elif c.kind == "severity":
                    families.add(("sev", j))
                else:
                    raise ValueError(f"unknown criterion kind {c.kind!r}")
        return _measure_keys(frozenset(families))

    def wants(self, key: tuple[str, ...]) -> bool:
        if self.families is None:
            return True
        if key[0] == "sev":
            return ("sev", key[1]) in self.families
        if key[1] == "conn":
            return (key[0], "conn", key[2], len(key)) in self.families
        return key in self.families

    def expand(self, mode: str, key: tuple[object, ...]) -> tuple[tuple[str, ...], ...]:
        """The measure keys a point's vector key adds to under ``mode`` (``"any"`` or
        ``"outage"``), those wanted only."""
        found = self._expanded.get((mode, key))
        if found is None:
            if key[0] == "conn":
                candidates: tuple[tuple[str, ...], ...] = (
                    (mode, "conn", *key[1:3]),  # type: ignore[arg-type]
                    (mode, "conn", *key[1:4]),  # type: ignore[arg-type]
                )
            else:
                candidates = ((mode, *key),)  # type: ignore[arg-type]
            found = self._expanded[(mode, key)] = tuple(k for k in candidates if self.wants(k))
        return found


@functools.lru_cache(maxsize=64)
def _measure_keys(families: frozenset[tuple[object, ...]] | None) -> MeasureKeys:
    """One :class:`MeasureKeys` per set of families (its expansions are shared)."""
    return MeasureKeys(families)


#: Every quantity: measures built without knowing the rule sets.
ALL_MEASURES = _measure_keys(None)


class Measures:
    """Every quantity a criterion can measure, as one array per quantity over the timeline.

    Built once per timeline (one pass over its vectors) and shared by every criterion of every
    rule set; re-evaluating at a later ``now`` with an unchanged timeline reuses it. Keys:
    ``(impact, "conn", j, service)``, ``(impact, "conn", j, service, region)``,
    ``(impact, "area", j)``, ``(impact, "cap", j)``, ``(impact, "flag", j, name)`` with impact
    ``"any"`` (outage + degradation) or ``"outage"``, and ``("sev", j, value)``.
    """

    def __init__(self, timeline: Sequence[Point], wanted: MeasureKeys = ALL_MEASURES) -> None:
        #: the quantities built (:class:`MeasureKeys`): a criterion of other rule sets reads
        #: zeros from these measures
        self.wanted = wanted
        self.times = [p.at for p in timeline]
        self._n = len(timeline)
        self._series: dict[tuple[str, ...], list[float]] = {}
        self._keys: dict[tuple[tuple[str, ...], int], list[tuple[str, ...]]] = {}
        self._vector_keys: set[tuple[str, ...]] = set()
        #: scans' progress, so a later ``now`` or an extended timeline scans on from there
        self._scans: dict[tuple[object, ...], _Progress] = {}
        #: where each scan stood now and then (:data:`SCAN_MARKS_EVERY`), in index order: an
        #: extension that keeps fewer points than a scan's progress scans on from one of these
        self._marks: dict[tuple[object, ...], tuple[_Progress, ...]] = {}
        #: set once an extension took over this one's lists (see :meth:`extended`)
        self._handed_on = False
        self._fill(timeline, 0)

    @property
    def n(self) -> int:
        """How many points these measures cover. ``times`` and every series may be longer
        (an extension appended to them in place, see :meth:`extended`): read only the
        first ``n`` values (:meth:`tail`)."""
        return self._n

    @classmethod
    def extended(cls, before: Measures, timeline: Sequence[Point], kept: int) -> Measures:
        """The measures of ``timeline``, whose first ``kept`` points are those ``before`` was
        built from (:func:`~bridge.core.impact.sweep_timeline` extending a timeline): their
        values are kept, only the points after them are read.

        Costs what is added, not what ``before`` holds: when ``kept`` is all of ``before``'s
        points and no other extension took ``before``'s lists yet, the new measures append to
        those very lists (``before`` still reads only its own first ``n`` values, so it stays
        valid for whoever still holds it, in any thread); otherwise their first ``kept``
        values are copied. The claim on ``before``'s lists is taken under a lock, since two
        evaluations may extend the same measures at once (one is then discarded)."""
        out = cls.__new__(cls)
        n = out._n = len(timeline)
        with _HANDING_ON:
            share = kept == before._n and not before._handed_on
            before._handed_on = before._handed_on or share
        pad = [0.0] * (n - kept)
        if share:
            out.times = before.times
            out.times.extend([p.at for p in timeline[kept:]])
            out._series = before._series.copy()
            for series in out._series.values():
                series.extend(pad)
        else:
            # the kept points are ``before``'s own: their times are copied, not read again
            out.times = before.times[:kept] + [p.at for p in timeline[kept:]]
            out._series = {key: series[:kept] + pad for key, series in before._series.items()}
        out.wanted = before.wanted
        out._keys = {}
        out._vector_keys = set(before._vector_keys)
        # a scan's progress, or a mark, stands where the points it read and the one after
        # are kept
        out._scans = {key: p for key, p in before._scans.items() if p.index < kept}
        out._marks = {}
        for key, marks in before._marks.items():
            if marks[0].index < kept:
                out._marks[key] = marks if marks[-1].index < kept else _before(marks, kept)
        out._handed_on = False
        out._fill(timeline, kept)
        return out

    def _fill(self, timeline: Sequence[Point], first: int) -> None:
        """Add the values of the points from ``first`` on (those before it are in place)."""
        # Points whose vectors are the previous point's own objects (build_timeline shares an
        # unchanged vector) take every vector series' value from the point before, in runs,
        # after the loop: a long incident whose vectors rarely change costs O(points).
        copies: list[tuple[int, int]] = []  # [start, end) runs of such points
        vector_keys = self._vector_keys
        all_series, n = self._series, self._n
        expand, wants, signals = self.wanted.expand, self.wanted.wants, self.wanted.signals
        previous: Point | None = timeline[first - 1] if first else None
        for i in range(first, len(timeline)):
            point = timeline[i]
            if (
                previous is not None
                and point.outage is previous.outage
                and point.degradation is previous.degradation
            ):
                if copies and copies[-1][1] == i:
                    copies[-1] = (copies[-1][0], i + 1)
                else:
                    copies.append((i, i + 1))
            else:
                previous = point
                for mode, vec in (
                    ("outage", point.outage),
                    ("any", point.outage),
                    ("any", point.degradation),
                ):
                    for key, value in vec.items():
                        for k in expand(mode, key):
                            self._add(k, i, value)
                            vector_keys.add(k)
            for key, value in point.signals.items():  # _add, inline: every point has some
                wanted = signals.get(key)
                if wanted is None:
                    wanted = signals[key] = wants(key)
                if not wanted:
                    continue
                series = all_series.get(key)
                if series is None:
                    series = all_series[key] = [0.0] * n
                series[i] += value
        for key in vector_keys:
            series = self._series[key]
            for start, end in copies:
                series[start:end] = [series[start - 1]] * (end - start)

    def _add(self, key: tuple[str, ...], i: int, value: float) -> None:
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = [0.0] * self._n
        series[i] += value

    def tail(self, key: tuple[str, ...], first: int = 0) -> list[float]:
        """The values of one quantity from point ``first`` on (zeros where it never was)."""
        series = self._series.get(key)
        if series is None:
            return [0.0] * (self._n - first)
        return series[first : self._n]

    def keys(self, prefix: tuple[str, ...], length: int) -> list[tuple[str, ...]]:
        """Sorted keys of ``length`` starting with ``prefix`` (cached: ticks ask repeatedly)."""
        cached = self._keys.get((prefix, length))
        if cached is None:
            cached = self._keys[(prefix, length)] = sorted(
                k for k in self._series if len(k) == length and k[: len(prefix)] == prefix
            )
        return cached

    def services(self, jurisdiction: str) -> list[str]:
        return [k[3] for k in self.keys(("any", "conn", jurisdiction), 4)]

    def regions(self, jurisdiction: str, service: str) -> list[str]:
        return [k[4] for k in self.keys(("any", "conn", jurisdiction, service), 5)]


@functools.lru_cache(maxsize=256)  # a criterion's few durations, formatted for every result
def _fmt_duration(d: timedelta) -> str:
    minutes = int(d.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours}h{minutes:02d}m"
    return f"{hours}h" if hours else f"{minutes}m"


def _fmt_time(at: datetime) -> str:
    """``YYYY-MM-DD HH:MM UTC`` (``isoformat`` cut at the minute: strftime took twice as long,
    and a tick formats a few thousand of these)."""
    return at.isoformat(" ", "minutes")[:16] + " UTC"


@functools.lru_cache(maxsize=4096)  # thresholds and totals recur across incidents
def _fmt_num(x: float) -> str:
    return f"{round(x):,}".replace(",", " ")


class _Candidate(msgspec.Struct, frozen=True):
    """One measured quantity (e.g. one service) of a criterion, with its scan."""

    label: str
    run: _Run
    unit: Callable[[float], str]


def _result(c: Criterion, candidates: list[_Candidate], threshold_text: str) -> CriterionResult:
    met = [x for x in candidates if x.run.met_at is not None]
    tail = f"(threshold {threshold_text} for {_fmt_duration(c.min_duration)})"
    if met:
        best = min(met, key=lambda x: x.run.met_at)  # type: ignore[arg-type, return-value]
        assert best.run.met_at is not None and best.run.run_start is not None
        reason = (
            f"{best.label}: {best.unit(best.run.peak)} from {_fmt_time(best.run.run_start)}, "
            f"met at {_fmt_time(best.run.met_at)} {tail}"
        )
        return CriterionResult(c.id, c.kind, True, best.run.met_at, None, reason)
    pending = [x for x in candidates if x.run.forecast_at is not None]
    if pending:
        best = min(pending, key=lambda x: x.run.forecast_at)  # type: ignore[arg-type, return-value]
        assert best.run.forecast_at is not None and best.run.run_start is not None
        reason = (
            # "from", not "since": the run may start ahead of ``now`` (an alert whose startsAt
            # is ahead of the bridge's clock), and a pending result is kept unchanged until its
            # forecast (:func:`reevaluate`), so its words must not depend on ``now``
            f"{best.label}: at or above threshold from {_fmt_time(best.run.run_start)}; "
            f"met at {_fmt_time(best.run.forecast_at)} if it lasts {tail}"
        )
        return CriterionResult(c.id, c.kind, False, None, best.run.forecast_at, reason)
    if not candidates:
        return CriterionResult(c.id, c.kind, False, None, None, f"nothing measured {tail}")
    top = max(candidates, key=lambda x: x.run.peak)
    reason = f"{top.label}: peak {top.unit(top.run.peak)} {tail}"
    return CriterionResult(c.id, c.kind, False, None, None, reason)


def _conn_unit(x: float) -> str:
    return f"{_fmt_num(x)} active connections"


def _pct(x: float) -> str:
    return f"{x * 100:.1f} %"


def _scan(
    m: Measures,
    measure: tuple[object, ...],
    values_from: Callable[[int], Sequence[float]],
    threshold: float,
    c: Criterion,
    now: datetime,
) -> _Run:
    """:func:`sustained_arrays` over one measure (``measure`` names it; ``values_from(i)``
    gives its values from point ``i`` on), resumed from where an earlier scan of it got
    (:class:`_Progress`, kept on the measures and carried to an extended timeline), so a
    re-evaluation reads only the points after that. The scan reads the points after ``now``
    too (:func:`_scan_from`); only its outcome is read at ``now`` (:func:`_at`)."""
    times, duration, n = m.times, c.min_duration, m.n
    key = (measure, threshold, duration)
    progress = m._scans.get(key)
    if progress is not None and progress.index >= n:
        progress = None
    if progress is None and n > SCAN_MARKS_EVERY:  # a shorter timeline keeps no marks
        progress = _last_mark(m._marks.get(key, ()), n)
    if progress is not None:
        if progress.met is not None:
            return _at(progress.met, now)
        first, run_start, peak = progress.index, progress.run_start, progress.peak
    else:
        first, run_start, peak = 0, None, 0.0
    keep = n >= KEEP_SCANS_FROM
    marks: list[_Progress] | None = [] if keep and n > SCAN_MARKS_EVERY else None
    run, reached = _scan_from(
        times, values_from(first), first, run_start, peak, threshold, duration, n, marks
    )
    if keep and reached is not None:
        m._scans[key] = reached
    if marks:  # after those it scanned on from (all before ``first``)
        m._marks[key] = (*_before(m._marks.get(key, ()), first + 1), *marks)
    return _at(run, now)


def _last_mark(marks: Sequence[_Progress], n: int) -> _Progress | None:
    """The last of ``marks`` (in index order) that a scan of ``n`` points may go on from."""
    for mark in reversed(marks):
        if mark.index < n:
            return mark
    return None


def _before(marks: tuple[_Progress, ...], index: int) -> tuple[_Progress, ...]:
    """The ``marks`` (in index order) before point ``index``."""
    return marks[: bisect.bisect_left(marks, index, key=lambda p: p.index)]


def _tail(m: Measures, key: tuple[str, ...]) -> Callable[[int], Sequence[float]]:
    return lambda first: m.tail(key, first)


def _shares(m: Measures, key: tuple[str, ...], total: float) -> Callable[[int], list[float]]:
    return lambda first: [v / total for v in m.tail(key, first)]


def _eval_connections(c: Criterion, m: Measures, j: str, now: datetime) -> CriterionResult:
    services = [c.service] if c.service else m.services(j)
    candidates = [
        _Candidate(
            f"{service} in {j}",
            _scan(
                m,
                (c.impact, "conn", j, service),
                _tail(m, (c.impact, "conn", j, service)),
                c.min_connections,
                c,
                now,
            ),
            _conn_unit,
        )
        for service in services
    ]
    return _result(c, candidates, _fmt_num(c.min_connections))


def _eval_share(
    c: Criterion, m: Measures, topo: Topology, j: str, now: datetime
) -> CriterionResult:
    services = [c.service] if c.service else m.services(j)
    candidates = []
    for service in services:
        regions: list[str | None] = list(m.regions(j, service)) if c.scope == "region" else [None]
        for region in regions:
            total = (
                topo.region_total(j, service, region)
                if region is not None
                else topo.service_total(j, service)
            )
            where = f"{service} in {region}" if region else f"{service} in {j}"
            if total <= 0:
                candidates.append(
                    _Candidate(f"{where} (no total in inventory)", _Run(None, None, None, 0), _pct)
                )
                continue
            key = (c.impact, "conn", j, service) + ((region,) if region is not None else ())
            run = _scan(m, ("share", total, *key), _shares(m, key, total), c.min_share, c, now)
            candidates.append(_Candidate(f"{where} (of {_fmt_num(total)})", run, _pct))
    return _result(c, candidates, _pct(c.min_share))


def _eval_simple(
    c: Criterion,
    m: Measures,
    key: tuple[str, ...],
    threshold: float,
    label: str,
    unit: Callable[[float], str],
    threshold_text: str,
    now: datetime,
) -> CriterionResult:
    run = _scan(m, (c.impact, *key), _tail(m, (c.impact, *key)), threshold, c, now)
    return _result(c, [_Candidate(label, run, unit)], threshold_text)


def _eval_severity(
    c: Criterion, m: Measures, rs: RuleSet, j: str, now: datetime
) -> CriterionResult:
    raw_values = {raw for raw, level in rs.severity_map.items() if level in c.levels}
    raw_values |= set(c.levels)  # a label may carry the level itself
    keys = [key for key in m.keys(("sev", j), 3) if key[2] in raw_values]

    def active(first: int) -> list[float]:
        out = [0.0] * (m.n - first)
        for key in keys:
            out = [a + b for a, b in zip(out, m.tail(key, first), strict=True)]
        return out

    run = _scan(m, ("sev", j, *sorted(raw_values)), active, 1, c, now)
    levels = "/".join(c.levels)
    candidate = _Candidate(
        f"operator severity {levels} in {j}", run, lambda x: f"{int(x)} alert(s)"
    )
    return _result(c, [candidate], f"an alert rated {levels}")


def evaluate_criterion(
    c: Criterion,
    timeline: Sequence[Point] | Measures,
    rs: RuleSet,
    topo: Topology,
    now: datetime,
) -> CriterionResult:
    m = timeline if isinstance(timeline, Measures) else Measures(timeline)
    j = rs.jurisdiction
    if c.kind == "connections":
        return _eval_connections(c, m, j, now)
    if c.kind == "share":
        return _eval_share(c, m, topo, j, now)
    if c.kind == "area":
        return _eval_simple(
            c,
            m,
            ("area", j),
            c.min_area_km2,
            f"area in {j}",
            lambda x: f"{_fmt_num(x)} km²",
            f"{_fmt_num(c.min_area_km2)} km²",
            now,
        )
    if c.kind == "capacity":
        return _eval_simple(
            c,
            m,
            ("cap", j),
            c.min_capacity_share,
            f"capacity in {j}",
            _pct,
            _pct(c.min_capacity_share),
            now,
        )
    if c.kind in ("emergency_112", "societal", "wholesale"):
        noun = {
            "emergency_112": "112-critical element(s)",
            "societal": "societally important element(s)",
            "wholesale": "wholesale element(s)",
        }[c.kind]
        return _eval_simple(
            c,
            m,
            ("flag", j, c.kind),
            1,
            f"{c.kind} in {j}",
            lambda x: f"{int(x)} {noun}",
            f"one {noun[:-3]}",
            now,
        )
    if c.kind == "severity":
        return _eval_severity(c, m, rs, j, now)
    raise ValueError(f"unknown criterion kind {c.kind!r}")


def evaluate(
    timeline: Sequence[Point] | Measures, rule_set: RuleSet, topology: Topology, now: datetime
) -> Assessment:
    """See the module contract. Pass :class:`Measures` to share them across rule sets."""
    m = timeline if isinstance(timeline, Measures) else Measures(timeline)
    results = tuple(
        msgspec.structs.replace(evaluate_criterion(c, m, rule_set, topology, now), source=c.source)
        for c in rule_set.criteria
    )
    return _assessment(rule_set, results)


def reevaluate(
    previous: Assessment, measures: Measures, rule_set: RuleSet, topology: Topology, now: datetime
) -> Assessment:
    """:func:`evaluate` at a later ``now`` on the timeline ``previous`` was evaluated on:
    only a criterion forecast to be met by ``now`` can have changed (a met one stays met, one
    with no forecast is met nowhere on the timeline, its points after ``now`` included, one
    pending stays pending until its forecast), so only those are evaluated again and the
    others kept as they are."""
    if len(previous.criteria) != len(rule_set.criteria):
        return evaluate(measures, rule_set, topology, now)
    results = tuple(
        msgspec.structs.replace(
            evaluate_criterion(c, measures, rule_set, topology, now), source=c.source
        )
        if r.forecast_at is not None and r.forecast_at <= now
        else r
        for c, r in zip(rule_set.criteria, previous.criteria, strict=True)
    )
    return _assessment(rule_set, results)


def _assessment(rule_set: RuleSet, results: tuple[CriterionResult, ...]) -> Assessment:
    met = [r.since for r in results if r.since is not None]
    forecasts = [r.forecast_at for r in results if r.forecast_at is not None]
    return Assessment(
        regulator=rule_set.regulator,
        rule_set=rule_set.id,
        verified=rule_set.verified,
        reportable=bool(met),
        since=min(met) if met else None,
        criteria=results,
        forecast_at=None if met else (min(forecasts) if forecasts else None),
        track=rule_set.track,
    )


def for_incident(assessment: Assessment, rule_set: RuleSet, started_at: datetime) -> Assessment:
    """``assessment`` (of ``rule_set``, on a timeline, however evaluated) as it stands for an
    incident that began at ``started_at``: not reportable and forecasting nothing, with the
    rule set's ``in_force_from``, when the incident began before that day in the
    jurisdiction's calendar (:func:`bridge.core.repeal.before_in_force`); else as its criteria
    say (one that stood aside before, the incident's start since moved, is judged again from
    its criteria). Idempotent: the engine keeps the result and gives it back later."""
    if before_in_force(started_at, rule_set.in_force_from, rule_set.jurisdiction):
        if assessment.in_force_from == rule_set.in_force_from and not assessment.reportable:
            return assessment
        return msgspec.structs.replace(
            assessment,
            reportable=False,
            since=None,
            forecast_at=None,
            in_force_from=rule_set.in_force_from,
        )
    if assessment.in_force_from is not None:
        return _assessment(rule_set, assessment.criteria)
    return assessment
