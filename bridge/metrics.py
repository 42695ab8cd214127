"""Prometheus metrics (names per docs/design.md "Metrics contract"), on an injected registry.

Counters and the histogram are updated where things happen. Gauges that describe incidents are
produced at scrape time from the evaluator's current state by :class:`StateCollector`: incident
ids appear only for open incidents, and for a closed one only on the due times of the reports
it still owes (none once each is sent, kept or rejected, or waits undated for an event that
cannot come), so its series disappear once it owes nothing; alert fingerprints never. Privacy
cases show as counts and, per regulator and kind, the soonest due time: never a case id. Label
values that alerts can choose (an alert may describe its own service and region) are bounded:
a service or region the inventory does not declare is shown as ``other`` (:data:`OTHER`), so no
alert sender can add series at will.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple, Protocol, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from bridge.core.engine import Engine
from bridge.core.incident_state import OPEN, Incident
from bridge.core.obligations import SETTLED, binds
from bridge.core.obligations import STATES as OBLIGATION_STATES
from bridge.core.retention import PRUNABLE
from bridge.core.rules import Assessment
from bridge.errors import StoreUnavailable

#: The label value of every service or region the inventory does not declare.
OTHER = "other"
#: The background loops of ``bridge_task_failures_total`` (series at 0 from the start); the
#: evaluation timer's steps count as ``tick.<step>`` besides.
TASKS = ("evaluation-timer", "lease", "takeover", "outbox", "retention")

_children: weakref.WeakKeyDictionary[Counter, dict[str, Counter]] = weakref.WeakKeyDictionary()


def child(counter: Counter, value: str) -> Counter:
    """``counter.labels(value)`` for a counter of one label, looked up once per value: what
    every webhook request counts (``labels`` checks its arguments each time it is called)."""
    children = _children.get(counter)
    if children is None:
        children = _children[counter] = {}
    found = children.get(value)
    if found is None:
        found = children[value] = counter.labels(value)
    return found


def _bounded(value: str, known: frozenset[str]) -> str:
    return value if value in known else OTHER


def _labelled(
    cells: Mapping[tuple[str, str], int], services: frozenset[str], regions: frozenset[str]
) -> list[tuple[tuple[str, str], int]]:
    """Connections per (service, region) under bounded label values (unknown ones pooled),
    sorted."""
    out: dict[tuple[str, str], int] = {}
    for (service, region), n in cells.items():
        label = (_bounded(service, services), _bounded(region, regions))
        out[label] = out.get(label, 0) + n
    return sorted(out.items())


#: Encodes metric families as exposition text (prometheus_client's encoder of the format a
#: scraper asked for, without OpenMetrics' closing ``# EOF``).
Encode = Callable[[Sequence[Metric]], bytes]


class Snapshot(Protocol):
    """What a scrape-time collector read on the event loop: plain values, or objects nobody
    edits afterwards, so a thread can render them while the loop goes on."""

    def families(self) -> list[Metric]:
        """The families, built one sample at a time (prometheus_client's way)."""
        ...

    def chunks(self, encode: Encode) -> list[bytes]:
        """The same families as exposition text, in pieces: together exactly
        ``encode(self.families())``."""
        ...


class ScrapeTime(Collector, Protocol):
    """A collector whose families are read at scrape time: ``snapshot`` runs on the event
    loop and must be cheap; rendering the snapshot may run in another thread."""

    def snapshot(self) -> Snapshot: ...


class _Families:
    """A snapshot that is its families already (a handful of series: rendering them the
    generic way costs nothing)."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def families(self) -> list[Metric]:
        return self._families

    def chunks(self, encode: Encode) -> list[bytes]:
        return [encode(self._families)]


def _escape(value: str) -> str:
    """A label value as the exposition formats write it (both escape the same three)."""
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


#: A sample's value as prometheus_client writes it (``1.0``, ``1.7e+09``, ``+Inf``).
_value: Callable[[float], str] = floatToGoString


_OPEN_FAMILY = ("bridge_incidents_open", "Open (not yet normalised) incidents")
_AFFECTED = (
    "bridge_incident_affected_connections",
    "Affected active connections now, per open incident, service and region",
)
_REPORTABLE = (
    "bridge_incident_reportable",
    "1 when the open incident is reportable to the regulator, else 0; "
    'binding="false": a verdict that owes no regulator anything (a reference matrix such '
    "as ENISA's, or a repealed law's rule set for an incident since the repeal: the "
    "operator's internal threshold)",
)
_FORECAST = (
    "bridge_incident_seconds_to_reportable",
    "Seconds until the open incident becomes reportable if its impact stays "
    "(absent once reportable or when no criterion is on its way); binding as for "
    "bridge_incident_reportable",
)
_STALE = ("bridge_alerts_stale", "Firing alerts not heard of within evaluation.stale_after")
_UNMAPPED = ("bridge_alerts_unmapped", "Alerts in open incidents that the inventory cannot place")
_OVERALL = (
    "bridge_affected_connections",
    "Affected active connections now across all open incidents, per service and region, "
    "each connection counted once (a core router's incident and a site's under it overlap)",
)
_UNKNOWN = (
    "bridge_incident_impact_unknown",
    "1 when some alerts of the open incident could not be placed (its impact, and so a "
    "'not reportable' verdict, is unknown) and no person overrode its impact, else 0",
)
_DUE = (
    "bridge_obligation_due_timestamp_seconds",
    "When an owed report is due (Unix time), per incident (open, or closed and still "
    "owing it), regulator and kind; "
    "state: open, drafted, approved, approved_to_submit (approved for a portal, not yet "
    "submitted) or overdue (sent, kept and rejected ones are absent); "
    'binding="false": the operator\'s internal threshold, owed to no regulator (a repealed '
    "law's rule set, for an incident since the repeal), not a legal deadline",
)
_STATES = (
    "bridge_obligations",
    "Owed reports of the incidents in memory (open, owing, or settled within "
    "evaluation.memory_horizon), by state",
)
_INCIDENT_LABELS = ["incident"]
_ONE_LABELS = ["incident", "regulator", "binding"]
_CELL_LABELS = ["incident", "service", "region"]
_DUE_LABELS = ["incident", "regulator", "kind", "state", "binding"]


T = TypeVar("T")
#: items between two offers of the GIL to the event loop's thread (a few hundred µs of work)
_BATCH = 256


def _yielding(items: Sequence[T]) -> Iterator[T]:
    """``items``, letting go of the GIL every :data:`_BATCH` of them: the rendering thread holds
    it otherwise until the interpreter takes it away (``sys.getswitchinterval()``, 5 ms), and
    the event loop waits that long each time it wants it back."""
    for start in range(0, len(items), _BATCH):
        yield from items[start : start + _BATCH]
        time.sleep(0)


class _Series(NamedTuple):
    """One incident's share of the incident families, as values (:func:`_incident_series`: the
    one rule of what an incident exports, which both writers follow). ``affected``: (service,
    region, connections); ``reportable``: (regulator, binding, 0 or 1, the assessment, whose
    forecast counts from now); ``due``: (regulator, kind, state, binding, Unix time)."""

    open: bool
    unknown: int
    affected: tuple[tuple[str, str, float], ...]
    reportable: tuple[tuple[str, str, int, Assessment], ...]
    due: tuple[tuple[str, str, str, str, float], ...]
    states: tuple[str, ...]
    stale: int
    unmapped: int


def _incident_series(inc: Incident, view: _EngineView) -> _Series:
    """What ``inc`` exports (see :class:`_Series`): impact, reportability and the unknown flag
    while open (a cybersecurity verdict is no reportability: a person declares it); a due time
    for each report it still owes unless merged into another (its reports are its host's),
    open or closed (memory holds a closed incident only while it owes: bridge.core.liveness)."""
    is_open = inc.state == OPEN
    affected: tuple[tuple[str, str, float], ...] = ()
    reportable: list[tuple[str, str, int, Assessment]] = []
    if is_open:
        cells = _labelled(inc.impact.current_by_service_region, view.services, view.regions)
        affected = tuple((service, region, n) for (service, region), n in cells)
        for a in inc.assessments:
            if a.track == "cyber":
                continue
            rule_set = view.rule_sets.get(a.rule_set)
            binding = _flag(rule_set is not None and binds(rule_set, inc.started_at))
            reportable.append((a.regulator, binding, 1 if a.reportable else 0, a))
    due = (
        ()
        if inc.merged_into is not None
        else tuple(
            (o.regulator, o.kind, o.state, _flag(o.binding), o.due_at.timestamp())
            for o in inc.obligations
            if o.due_at is not None and o.state not in SETTLED
        )
    )
    return _Series(
        is_open,
        1 if is_open and inc.unmapped and not inc.overridden else 0,
        affected,
        tuple(reportable),
        due,
        tuple(o.state for o in inc.obligations),
        len(inc.stale) if is_open else 0,
        len(inc.unmapped) if is_open else 0,
    )


class _Lines(NamedTuple):
    """One incident's :class:`_Series` as exposition lines; it depends on the incident object
    only (and on the rule sets and the inventory's labels, which the cache they are kept in is
    tied to), so an incident that was not evaluated again since the last scrape costs a
    look-up. ``forecasts``: label text and assessment (seconds depend on now)."""

    incident: Incident
    series: _Series
    unknown: bytes
    affected: bytes
    reportable: bytes
    forecasts: tuple[tuple[str, Assessment], ...]
    due: bytes


class _EngineView:
    """What the incident families read, taken on the event loop: the incident objects (never
    edited once evaluated: the engine replaces them), the rule sets, the inventory's labels,
    the overall figures (:meth:`Engine.affected_now` keeps state, so it runs on the loop) and
    the time."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.engine = engine
        self.incidents = list(engine.incidents.values())
        self.rule_sets = {rs.id: rs for rs in engine.rule_sets}
        self.rule_set_list = engine.rule_sets
        self.services = engine.topology.services
        self.regions = engine.topology.regions
        self.together = engine.affected_now()
        self.now = now

    def context(self) -> tuple[object, ...]:
        return (self.engine, self.rule_set_list, self.services, self.regions)


class _LineCache:
    """Each incident's lines, kept while the incident object and the context stay; a lock
    makes concurrent scrapes (two Prometheus servers) take turns."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._context: tuple[object, ...] = ()
        self._lines: dict[str, _Lines] = {}

    def lines(self, view: _EngineView) -> list[_Lines]:
        """Under ``lock``."""
        context = view.context()
        if len(self._context) != len(context) or any(
            a is not b for a, b in zip(self._context, context, strict=True)
        ):
            self._context, self._lines = context, {}
        old: dict[str, _Lines] = self._lines
        new: dict[str, _Lines] = {}
        out = []
        for inc in _yielding(view.incidents):
            known = old.get(inc.id)
            if known is None or known.incident is not inc:
                known = _incident_lines(inc, view)
            new[inc.id] = known
            out.append(known)
        self._lines = new
        return out


def _incident_lines(inc: Incident, view: _EngineView) -> _Lines:
    series = _incident_series(inc, view)
    iid = _escape(inc.id)
    unknown = affected = reportable = ""
    forecasts: list[tuple[str, Assessment]] = []
    if series.open:
        unknown = f'bridge_incident_impact_unknown{{incident="{iid}"}} {_value(series.unknown)}\n'
        affected = "".join(
            f'bridge_incident_affected_connections{{incident="{iid}",region="{_escape(region)}",'
            f'service="{_escape(service)}"}} {_value(n)}\n'
            for service, region, n in series.affected
        )
        parts = []
        for regulator, binding, value, a in series.reportable:
            labels = f'{{binding="{binding}",incident="{iid}",regulator="{_escape(regulator)}"}}'
            parts.append(f"bridge_incident_reportable{labels} {_value(value)}\n")
            if not a.reportable and a.forecast_at is not None:
                forecasts.append((labels, a))
        reportable = "".join(parts)
    due = "".join(
        f'bridge_obligation_due_timestamp_seconds{{binding="{binding}",'
        f'incident="{iid}",kind="{_escape(kind)}",regulator="{_escape(regulator)}",'
        f'state="{_escape(state)}"}} {_value(at)}\n'
        for regulator, kind, state, binding, at in series.due
    )
    return _Lines(
        inc,
        series,
        unknown.encode(),
        affected.encode(),
        reportable.encode(),
        tuple(forecasts),
        due.encode(),
    )


class _StateSnapshot:
    """:class:`StateCollector`'s reading at one scrape."""

    def __init__(
        self,
        view: _EngineView | None,
        now: datetime,
        drafts: list[tuple[str, int]],
        pending: int,
        leader: tuple[str, bool] | None,
        cache: _LineCache,
    ) -> None:
        self._view = view
        self._now = now
        self._drafts = drafts
        self._pending = pending
        self._leader = leader
        self._cache = cache

    def _tail(self) -> list[Metric]:
        drafts = GaugeMetricFamily(
            "bridge_drafts", "Notice drafts by state (see docs/notices.md)", labels=["state"]
        )
        for state, n in self._drafts:
            drafts.add_metric([state], n)
        pending = GaugeMetricFamily(
            "bridge_outbox_pending",
            "Approved notices not yet accepted by the mail relay (queued, retrying or sending)",
        )
        pending.add_metric([], self._pending)
        out: list[Metric] = [drafts, pending]
        if self._leader is not None:
            replica, leading = self._leader
            leader = GaugeMetricFamily(
                "bridge_leader",
                "1 on the replica that holds the lease (evaluates, drafts and sends), else 0; "
                "followers export the incident, obligation and draft gauges as empty or 0",
                labels=["replica"],
            )
            leader.add_metric([replica], 1 if leading else 0)
            out.append(leader)
        return out

    def families(self) -> list[Metric]:
        return [*_incident_families(self._view, self._now, self._cache), *self._tail()]

    def chunks(self, encode: Encode) -> list[bytes]:
        return [*_incident_chunks(self._view, self._now, self._cache, encode), encode(self._tail())]


def _header(encode: Encode, family: tuple[str, str], labels: list[str] | None = None) -> bytes:
    """A family's ``# HELP`` and ``# TYPE`` lines, as the encoder writes them."""
    return encode([GaugeMetricFamily(family[0], family[1], labels=labels)])


def _incident_chunks(
    view: _EngineView | None, now: datetime, cache: _LineCache, encode: Encode
) -> list[bytes]:
    """The incident families as :func:`_incident_families` builds them, written directly
    (prometheus_client's ``add_metric`` and its encoder cost several microseconds a series, and
    an alert sender decides how many incidents there are)."""
    if view is None:
        return [encode(list(_incident_families(None, now, cache)))]
    with cache.lock:
        every = cache.lines(view)
    open_ = [lines for lines in every if lines.series.open]
    states = dict.fromkeys(OBLIGATION_STATES, 0)
    for lines in _yielding(every):
        for state in lines.series.states:
            states[state] = states.get(state, 0) + 1
    forecasts = []
    for lines in _yielding(open_):
        for labels, a in lines.forecasts:
            seconds = a.seconds_to_reportable(now)
            if seconds is not None:
                forecasts.append(
                    f"bridge_incident_seconds_to_reportable{labels} {_value(seconds)}\n".encode()
                )
    overall = "".join(
        f'bridge_affected_connections{{region="{_escape(region)}",service="{_escape(service)}"}}'
        f" {_value(n)}\n"
        for (service, region), n in _labelled(view.together, view.services, view.regions)
    )
    n_stale = sum(lines.series.stale for lines in open_)
    n_unmapped = sum(lines.series.unmapped for lines in open_)
    # pieces, joined once (as bytes) by Scrape.render: no single step holds the GIL for long
    return [
        _header(encode, _OPEN_FAMILY),
        f"bridge_incidents_open {_value(len(open_))}\n".encode(),
        _header(encode, _AFFECTED, _CELL_LABELS),
        *[lines.affected for lines in open_],
        _header(encode, _OVERALL, ["service", "region"]),
        overall.encode(),
        _header(encode, _REPORTABLE, _ONE_LABELS),
        *[lines.reportable for lines in open_],
        _header(encode, _FORECAST, _ONE_LABELS),
        *forecasts,
        _header(encode, _STALE),
        f"bridge_alerts_stale {_value(n_stale)}\n".encode(),
        _header(encode, _UNMAPPED),
        f"bridge_alerts_unmapped {_value(n_unmapped)}\n".encode(),
        _header(encode, _UNKNOWN, _INCIDENT_LABELS),
        *[lines.unknown for lines in open_],
        _header(encode, _DUE, _DUE_LABELS),
        *[lines.due for lines in every],
        encode([_obligation_family(states)]),
    ]


class StateCollector(Collector):
    """Scrape-time gauges from the engine: open incidents, impact, reportability, forecasts.

    :meth:`snapshot` (on the event loop) takes the incident objects as they are, which the
    engine replaces and never edits, and the few figures that need the engine itself
    (:meth:`Engine.affected_now`), so the exposition text can be written in another thread;
    an incident's lines are kept until the engine replaces the incident."""

    def __init__(
        self,
        engine: Callable[[], Engine | None],
        now: Callable[[], datetime],
        drafts: Callable[[], Mapping[str, int]] | None = None,
        outbox_pending: Callable[[], int] | None = None,
        leader: Callable[[], tuple[str, bool]] | None = None,
    ) -> None:
        self._leader = leader
        self._engine = engine
        self._now = now
        self._drafts = drafts
        self._outbox_pending = outbox_pending
        self._cache = _LineCache()

    def describe(self) -> Iterable[Metric]:
        return []  # families are built at scrape time; skip registry-time collection

    def snapshot(self) -> _StateSnapshot:
        engine = self._engine()
        now = self._now()
        return _StateSnapshot(
            _EngineView(engine, now) if engine is not None else None,
            now,
            sorted((self._drafts() if self._drafts else {}).items()),
            self._outbox_pending() if self._outbox_pending else 0,
            self._leader() if self._leader is not None else None,
            self._cache,
        )

    def collect(self) -> Iterator[Metric]:
        yield from self.snapshot().families()


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _obligation_family(counts: Mapping[str, int]) -> GaugeMetricFamily:
    states = GaugeMetricFamily(*_STATES, labels=["state"])
    for state, n in sorted(counts.items()):
        states.add_metric([state], n)
    return states


def _incident_families(
    view: _EngineView | None, now: datetime, cache: _LineCache
) -> Iterator[Metric]:
    """Open incidents, their impact, reportability, forecasts and due times; obligations:
    each incident's :func:`_incident_series` the prometheus_client way, one ``add_metric`` a
    series (what :func:`_incident_chunks` writes directly; the name-filtered scrape and
    ``collect`` read these), from the same cache of each incident's lines."""
    open_ = GaugeMetricFamily(*_OPEN_FAMILY)
    affected = GaugeMetricFamily(*_AFFECTED, labels=_CELL_LABELS)
    reportable = GaugeMetricFamily(*_REPORTABLE, labels=_ONE_LABELS)
    forecast = GaugeMetricFamily(*_FORECAST, labels=_ONE_LABELS)
    stale = GaugeMetricFamily(*_STALE)
    unmapped = GaugeMetricFamily(*_UNMAPPED)
    overall = GaugeMetricFamily(*_OVERALL, labels=["service", "region"])
    unknown = GaugeMetricFamily(*_UNKNOWN, labels=_INCIDENT_LABELS)
    due = GaugeMetricFamily(*_DUE, labels=_DUE_LABELS)
    every: list[tuple[str, _Series]] = []
    if view is not None:
        with cache.lock:
            every = [(lines.incident.id, lines.series) for lines in cache.lines(view)]
    counts = dict.fromkeys(OBLIGATION_STATES, 0)
    for _, series in every:
        for state in series.states:
            counts[state] = counts.get(state, 0) + 1
    incidents = [(iid, series) for iid, series in every if series.open]
    services = view.services if view is not None else frozenset()
    regions = view.regions if view is not None else frozenset()
    open_.add_metric([], len(incidents))
    n_stale = n_unmapped = 0
    for iid, series in incidents:
        n_stale += series.stale
        n_unmapped += series.unmapped
        unknown.add_metric([iid], series.unknown)
        for service, region, n in series.affected:
            affected.add_metric([iid, service, region], n)
        for regulator, binding, value, a in series.reportable:
            reportable.add_metric([iid, regulator, binding], value)
            seconds = a.seconds_to_reportable(now)
            if seconds is not None:
                forecast.add_metric([iid, regulator, binding], seconds)
    for iid, series in every:
        for regulator, kind, state, binding, at in series.due:
            due.add_metric([iid, regulator, kind, state, binding], at)
    stale.add_metric([], n_stale)
    unmapped.add_metric([], n_unmapped)
    together = view.together if view is not None else {}
    for (service, region), n in _labelled(together, services, regions):
        overall.add_metric([service, region], n)
    yield from (
        open_,
        affected,
        overall,
        reportable,
        forecast,
        stale,
        unmapped,
        unknown,
        due,
        _obligation_family(counts),
    )


class PrivacyCollector(Collector):
    """Scrape-time gauges of the privacy track: numbers by state, and the soonest deadline per
    regulator and kind, never a case id or a case's text (personal data stays out of
    /metrics). ``next_due`` answers empty on a follower (only the leader drafts, so only its
    obligation states are current)."""

    def __init__(
        self,
        counts: Callable[[], tuple[Mapping[str, int], Mapping[str, int]]],
        next_due: Callable[[], Mapping[tuple[str, str], datetime]] | None = None,
    ) -> None:
        self._counts = counts
        self._next_due = next_due

    def describe(self) -> Iterable[Metric]:
        return []

    def snapshot(self) -> Snapshot:
        cases, owed = self._counts()
        by_state = GaugeMetricFamily(
            "bridge_privacy_cases", "Privacy cases in the register, by state", labels=["state"]
        )
        for state, n in sorted(cases.items()):
            by_state.add_metric([state], n)
        obligations = GaugeMetricFamily(
            "bridge_privacy_obligations",
            "Reports and notices owed by privacy cases, by state (open, drafted, approved, "
            "sent, rejected, overdue)",
            labels=["state"],
        )
        for state, n in sorted(owed.items()):
            obligations.add_metric([state], n)
        next_due = GaugeMetricFamily(
            "bridge_privacy_obligation_next_due_timestamp_seconds",
            "The soonest due time (Unix time) among the privacy cases' reports and notices of "
            "this regulator and kind that still need a person: not sent, kept, rejected or "
            "approved (an approved one shows again once overdue); absent when none; on the "
            "leader only. No case id: the privacy register names them",
            labels=["regulator", "kind"],
        )
        for (regulator, kind), at in sorted((self._next_due() if self._next_due else {}).items()):
            next_due.add_metric([regulator, kind], at.timestamp())
        return _Families([by_state, obligations, next_due])

    def collect(self) -> Iterator[Metric]:
        yield from self.snapshot().families()


class _Plain:
    """Counters, gauges and histograms updated where things happen: prometheus_client guards
    their values with locks, so they are read in the rendering thread."""

    def __init__(self, metrics: Sequence[Collector]) -> None:
        self._metrics = metrics

    def families(self) -> list[Metric]:
        return [family for metric in self._metrics for family in metric.collect()]

    def chunks(self, encode: Encode) -> list[bytes]:
        return [encode(self.families())]


class Scrape:
    """One scrape's reading of every metric, taken by :meth:`Metrics.snapshot` on the event
    loop; :meth:`render` writes the exposition and may run in another thread."""

    def __init__(self, parts: list[Snapshot | _Plain]) -> None:
        self._parts = parts

    def render(self, accept: str, names: Iterable[str] = ()) -> tuple[bytes, str]:
        """The body and its content type for a scraper's ``Accept`` header: byte for byte what
        prometheus_client's handler answers for the same values (text format 0.0.4, or
        OpenMetrics when asked for); with ``names`` (``name[]`` parameters), only the samples
        of those names, as its ``restricted_registry`` gives them (the slow way: rare)."""
        encoder, content_type = choose_encoder(accept)
        wanted = set(names)
        if wanted:
            every = [f for part in self._parts for f in part.families()]
            return bytes(encoder(_Given(list(_restricted(every, wanted))))), content_type
        eof = b"# EOF\n"

        def encode(families: Sequence[Metric]) -> bytes:
            out = bytes(encoder(_Given(families)))
            return out[: -len(eof)] if out.endswith(eof) else out

        chunks = [chunk for part in self._parts for chunk in part.chunks(encode)]
        chunks.append(bytes(encoder(_Given([]))))  # b"# EOF\n" for OpenMetrics, else empty
        return b"".join(chunks), content_type


def _restricted(families: Iterable[Metric], names: set[str]) -> Iterator[Metric]:
    """The families with only the samples named (and none left without one)."""
    for family in families:
        samples = [s for s in family.samples if s.name in names]
        if samples:
            kept = Metric(family.name, family.documentation, family.type, family.unit)
            kept.samples = samples
            yield kept


class _Given(Collector):
    def __init__(self, families: Sequence[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


class Metrics:
    """Every metric the bridge exports, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.webhook_requests = Counter(
            "bridge_webhook_requests",
            "Webhook requests by HTTP status code",
            ["code"],
            registry=registry,
        )
        self.alerts_received = Counter(
            "bridge_alerts_received",
            "Alerts received in webhooks, by their status",
            ["status"],
            registry=registry,
        )
        self.alerts_truncated = Counter(
            "bridge_alerts_truncated",
            "Alerts Alertmanager reported dropped by max_alerts (truncatedAlerts)",
            registry=registry,
        )
        self.evaluation_duration = Histogram(
            "bridge_evaluation_duration_seconds",
            "Time to evaluate changed incidents (ingest or timer tick)",
            ["trigger"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=registry,
        )
        self.event_loop_lag = Histogram(
            "bridge_event_loop_lag_seconds",
            "How much later than asked a periodic 100 ms timer woke: the time the event loop "
            "was held by something else (see bridge/loop_lag.py)",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.evaluation_errors = Counter(
            "bridge_evaluation_errors",
            "Correlation keys or incidents whose evaluation (evaluate) or saving (persist) failed "
            "unexpectedly (a bug: see the log); set aside until they change again, the others "
            "went on",
            ["stage"],
            registry=registry,
        )
        self.store_errors = Counter(
            "bridge_store_errors",
            "Store operations that failed, by operation",
            ["op"],
            registry=registry,
        )
        self.store_resets = Counter(
            "bridge_store_resets",
            "Times this replica found Redis restarted or failed over underneath it (a new "
            "run_id or master_replid): it stepped down and read the store again",
            registry=registry,
        )
        self.emails_sent = Counter(
            "bridge_emails_sent",
            "Notices handed to the mail relay, by regulator and result "
            "(sent, transient, permanent, in_doubt; unsendable: the message could not be built)",
            ["regulator", "result"],
            registry=registry,
        )
        self.outbox_rounds = Counter(
            "bridge_outbox_rounds",
            "Outbox rounds run on this replica (only the leader runs them): one that stops "
            "growing on the leader means approved notices are no longer being sent",
            registry=registry,
        )
        self.outbox_errors = Counter(
            "bridge_outbox_errors",
            "Deliveries that failed unexpectedly (a bug: see the log); the round went on",
            registry=registry,
        )
        self.drafting_errors = Counter(
            "bridge_drafting_errors",
            "Cases (incidents, privacy cases) whose drafts could not be brought up to date "
            "(a bug or a stored value that cannot be drafted: see the log); the others were",
            registry=registry,
        )
        self.privacy_jurisdiction_unrecognised = Counter(
            "bridge_privacy_jurisdiction_unrecognised",
            "Privacy cases opened from an alert whose jurisdiction label named no jurisdiction "
            "the bridge knows: owed under every jurisdiction of the privacy rule sets until a "
            "person sets them (the log names the case; no case id here)",
            registry=registry,
        )
        self.store_records = Gauge(
            "bridge_store_records",
            "Records in the store by kind (alerts, deliveries, incidents, drafts, notices, audit, "
            "privacy_cases), read every retention.count_interval",
            ["kind"],
            registry=registry,
        )
        self.pruned_records = Counter(
            "bridge_pruned_records",
            "Records removed by retention by kind (the leader's pruning passes; docs/retention.md)",
            ["kind"],
            registry=registry,
        )
        for kind in PRUNABLE:
            self.pruned_records.labels(kind=kind)
        self.task_failures = Counter(
            "bridge_task_failures",
            "Failures of background work by task (evaluation-timer, the timer's steps "
            "tick.<step>, lease, takeover, outbox, retention): each was logged with its type and "
            "frames, and the loop went on; one that keeps growing is a task that keeps failing",
            ["task"],
            registry=registry,
        )
        self.task_last_success = Gauge(
            "bridge_task_last_success_timestamp_seconds",
            "When a background loop last completed a round without error (evaluation-timer, "
            "lease, outbox while leading, retention), in seconds since the epoch",
            ["task"],
            registry=registry,
        )
        # Series exist from the start (at 0), so dashboards and rate() see them before the
        # first event of each kind.
        for task in TASKS:
            self.task_failures.labels(task=task)
        for code in ("200", "400", "401", "413", "503"):
            self.webhook_requests.labels(code=code)
        for op in ("ingest", "save_incidents"):
            self.store_errors.labels(op=op)
        for trigger in ("ingest", "timer"):
            self.evaluation_duration.labels(trigger=trigger)
        for stage in ("evaluate", "persist"):
            self.evaluation_errors.labels(stage=stage)
        for status in ("firing", "resolved"):
            self.alerts_received.labels(status=status)
        for regulator in ("nkom", "pts"):
            for result in ("sent", "transient", "permanent", "in_doubt", "unsendable"):
                self.emails_sent.labels(regulator=regulator, result=result)

        # what the registry holds so far, in the order it was registered (the registry's order)
        self._plain = [m for m in vars(self).values() if isinstance(m, Counter | Gauge | Histogram)]
        self._scrape_time: list[ScrapeTime] = []

    def store_error(self, exc: StoreUnavailable) -> None:
        """Count ``exc`` in ``bridge_store_errors_total{op}`` (its store operation), once: the
        stage that met it counts it, and the answer it becomes (the API's 503) does not count
        it again; a refusal no stage counted (the API's reads) is counted by the answer."""
        if not exc.counted:
            exc.counted = True
            self.store_errors.labels(op=exc.op).inc()

    def attach_state(self, collector: ScrapeTime) -> None:
        """Register a scrape-time collector (:class:`StateCollector`, :class:`PrivacyCollector`)
        after the others: every collector of the registry goes through here or ``__init__``,
        so :meth:`snapshot` reads what ``generate_latest(registry)`` would, in its order."""
        self.registry.register(collector)
        self._scrape_time.append(collector)

    def snapshot(self) -> Scrape:
        """On the event loop: what the scrape-time collectors read now (cheap: references to
        objects nobody edits, and a few figures); the rest is read while rendering."""
        parts: list[Snapshot | _Plain] = [_Plain(self._plain)]
        parts.extend(collector.snapshot() for collector in self._scrape_time)
        return Scrape(parts)
