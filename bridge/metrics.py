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

import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bridge.core.engine import Engine
from bridge.core.obligations import SETTLED, binds
from bridge.core.obligations import STATES as OBLIGATION_STATES
from bridge.core.retention import PRUNABLE

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


class StateCollector(Collector):
    """Scrape-time gauges from the engine: open incidents, impact, reportability, forecasts."""

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

    def describe(self) -> Iterable[Metric]:
        return []  # families are built at scrape time; skip registry-time collection

    def collect(self) -> Iterator[Metric]:
        engine = self._engine()
        yield from _incident_families(engine, self._now())
        drafts = GaugeMetricFamily(
            "bridge_drafts", "Notice drafts by state (see docs/notices.md)", labels=["state"]
        )
        for state, n in sorted((self._drafts() if self._drafts else {}).items()):
            drafts.add_metric([state], n)
        pending = GaugeMetricFamily(
            "bridge_outbox_pending",
            "Approved notices not yet accepted by the mail relay (queued, retrying or sending)",
        )
        pending.add_metric([], self._outbox_pending() if self._outbox_pending else 0)
        yield from (drafts, pending)
        if self._leader is not None:
            replica, leading = self._leader()
            leader = GaugeMetricFamily(
                "bridge_leader",
                "1 on the replica that holds the lease (evaluates, drafts and sends), else 0; "
                "followers export the incident, obligation and draft gauges as empty or 0",
                labels=["replica"],
            )
            leader.add_metric([replica], 1 if leading else 0)
            yield leader


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _obligation_states(engine: Engine | None) -> GaugeMetricFamily:
    states = GaugeMetricFamily(
        "bridge_obligations",
        "Owed reports of the incidents in memory (open, owing, or settled within "
        "evaluation.memory_horizon), by state",
        labels=["state"],
    )
    counts = dict.fromkeys(OBLIGATION_STATES, 0)
    for inc in engine.incidents.values() if engine is not None else []:
        for o in inc.obligations:
            counts[o.state] = counts.get(o.state, 0) + 1
    for state, n in sorted(counts.items()):
        states.add_metric([state], n)
    return states


def _incident_families(engine: Engine | None, now: datetime) -> Iterator[Metric]:
    """Open incidents, their impact, reportability, forecasts and due times; obligations."""
    open_ = GaugeMetricFamily("bridge_incidents_open", "Open (not yet normalised) incidents")
    affected = GaugeMetricFamily(
        "bridge_incident_affected_connections",
        "Affected active connections now, per open incident, service and region",
        labels=["incident", "service", "region"],
    )
    reportable = GaugeMetricFamily(
        "bridge_incident_reportable",
        "1 when the open incident is reportable to the regulator, else 0; "
        'binding="false": a verdict that owes no regulator anything (a reference matrix such '
        "as ENISA's, or a repealed law's rule set for an incident since the repeal: the "
        "operator's internal threshold)",
        labels=["incident", "regulator", "binding"],
    )
    forecast = GaugeMetricFamily(
        "bridge_incident_seconds_to_reportable",
        "Seconds until the open incident becomes reportable if its impact stays "
        "(absent once reportable or when no criterion is on its way); binding as for "
        "bridge_incident_reportable",
        labels=["incident", "regulator", "binding"],
    )
    stale = GaugeMetricFamily(
        "bridge_alerts_stale", "Firing alerts not heard of within evaluation.stale_after"
    )
    unmapped = GaugeMetricFamily(
        "bridge_alerts_unmapped", "Alerts in open incidents that the inventory cannot place"
    )
    overall = GaugeMetricFamily(
        "bridge_affected_connections",
        "Affected active connections now across all open incidents, per service and region, "
        "each connection counted once (a core router's incident and a site's under it overlap)",
        labels=["service", "region"],
    )
    unknown = GaugeMetricFamily(
        "bridge_incident_impact_unknown",
        "1 when some alerts of the open incident could not be placed (its impact, and so a "
        "'not reportable' verdict, is unknown) and no person overrode its impact, else 0",
        labels=["incident"],
    )
    due = GaugeMetricFamily(
        "bridge_obligation_due_timestamp_seconds",
        "When an owed report is due (Unix time), per incident (open, or closed and still "
        "owing it), regulator and kind; "
        "state: open, drafted, approved or overdue (sent, kept and rejected ones are absent); "
        'binding="false": the operator\'s internal threshold, owed to no regulator (a repealed '
        "law's rule set, for an incident since the repeal), not a legal deadline",
        labels=["incident", "regulator", "kind", "state", "binding"],
    )
    states = _obligation_states(engine)
    incidents = engine.open_incidents() if engine is not None else []
    rule_sets = {rs.id: rs for rs in engine.rule_sets} if engine is not None else {}
    services = engine.topology.services if engine is not None else frozenset()
    regions = engine.topology.regions if engine is not None else frozenset()
    open_.add_metric([], len(incidents))
    n_stale = n_unmapped = 0
    for inc in incidents:
        n_stale += len(inc.stale)
        n_unmapped += len(inc.unmapped)
        unknown.add_metric([inc.id], 1 if inc.unmapped and not inc.overridden else 0)
        cells = _labelled(inc.impact.current_by_service_region, services, regions)
        for (service, region), n in cells:
            affected.add_metric([inc.id, service, region], n)
        for a in inc.assessments:
            if a.track == "cyber":  # potentially significant only: a person declares it
                continue
            rule_set = rule_sets.get(a.rule_set)
            binding = _flag(rule_set is not None and binds(rule_set, inc.started_at))
            reportable.add_metric([inc.id, a.regulator, binding], 1 if a.reportable else 0)
            seconds = a.seconds_to_reportable(now)
            if seconds is not None:
                forecast.add_metric([inc.id, a.regulator, binding], seconds)
    # every incident memory holds (open, or closed and owing: bounded by live work, see
    # bridge.core.liveness), so a report owed after the close (nkom_normalised, a final
    # report) or left unsent at it still has a due time to page on
    for inc in engine.incidents.values() if engine is not None else []:
        if inc.merged_into is not None:
            continue  # its reports are its host's
        for o in inc.obligations:
            if o.due_at is not None and o.state not in SETTLED:
                labels = [inc.id, o.regulator, o.kind, o.state, _flag(o.binding)]
                due.add_metric(labels, o.due_at.timestamp())
    stale.add_metric([], n_stale)
    unmapped.add_metric([], n_unmapped)
    together = engine.affected_now() if engine is not None else {}
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
        states,
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

    def collect(self) -> Iterator[Metric]:
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
        yield from (by_state, obligations, next_due)


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

    def attach_state(self, collector: StateCollector) -> None:
        self.registry.register(collector)
