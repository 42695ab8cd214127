"""What was owed, and when: recorded deliveries through the engine on their own timestamps. Pure.

Contract:
- :func:`replay` applies each recorded delivery at its ``received_at``, in order, after ticks at
  every instant something fell due since the record before (a duration threshold crossed
  between two records shows at its own time), and records, per
  incident, every change an observer would see (:class:`Change`): it opened; became reportable to
  a regulator (at the assessment's ``since``, which may lie before the record that showed it) or
  stopped being; an obligation opened with its due time, its due time moved, or it went overdue;
  the incident closed (when its quiet period ran out; ``ended_at`` is its last alert's end),
  opened again, or was merged into another.
- Then a **forecast** from the last record, as if no further alert came: the engine is ticked at
  each instant something falls due (a duration threshold, the end of a quiet period, a deadline)
  until nothing more is due or ``horizon`` has passed; those changes are marked ``forecast``.
- Nothing is sent in a replay, so every obligation stays open and goes overdue at its due time:
  the forecast shows what is owed by when if nobody acts.
- What a met rule set means is in each change, never only in the word ``reportable``: a
  ``reportable`` or ``not_reportable`` change carries its ``rule_set``, ``track``, ``verdict``
  (:func:`bridge.core.documents.verdict`), ``in_force_from`` (the day the rule set's law
  applies from, when the incident, as it then stands, began before it: its verdict stopped for
  that; else None) and what the incident's document says the verdict means, as of the incident
  at the change (:func:`bridge.core.documents.meaning`, one function for both): ``binding``
  (a met verdict owes the regulator a report, :func:`bridge.core.obligations.binds`; false for
  a reference matrix, for a repealed law's rule set since its repeal, the operator's internal
  threshold, and for a law not in force for the incident), ``repealed_on`` (the rule set's, or
  None) and ``reference`` (true: the rule set opens no report, like the ENISA matrix: met, owed
  to no one). On the cyber track (criteria only make an incident *potentially significant*; a
  person declares it, and no person does in a replay) ``if_declared`` lists what would be owed
  were it declared at the change's instant (:func:`bridge.core.obligations.if_declared`: the
  rule set's own deadline rules). An obligation's change (``owes``, ``due_moved``,
  ``overdue``) carries its ``rule_set``, ``binding`` (the obligation's own) and
  ``repealed_on``.
- The ``opened`` change lists, in ``not_in_force``, the rule sets of the incident's
  jurisdictions whose law applies only from a day after it began (``in_force_from``: the
  cybersecurity act from 2026-01-15): they mark it nothing and owe it nothing, so no later
  change names them, unless an earlier alert moves the start of an incident they marked
  before that day: its verdict then stops, with ``in_force_from``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bridge.core.alerts import Delivery, format_time
from bridge.core.documents import meaning, verdict
from bridge.core.engine import Engine
from bridge.core.incident_state import CLOSED, Incident
from bridge.core.obligations import CYBER, if_declared
from bridge.core.rules import Assessment, RuleSet

#: how far past the last record the forecast looks
HORIZON = timedelta(days=45)
_MAX_FORECAST_STEPS = 10_000


@dataclass(frozen=True, slots=True)
class Change:
    """One change of one incident, as an observer sees it."""

    at: datetime
    incident: str
    what: str  # opened, reportable, not_reportable, owes, due_moved, overdue, closed, reopened,
    # merged
    detail: dict[str, Any] = field(default_factory=dict)
    forecast: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "at": format_time(self.at),
            "incident": self.incident,
            "what": self.what,
            "forecast": self.forecast,
            **self.detail,
        }


@dataclass(frozen=True, slots=True)
class Replay:
    """The changes in order of time, and each incident as it stands at the end of the forecast."""

    changes: list[Change]
    incidents: list[Incident]
    last_record: datetime | None


_Snapshot = tuple[str, str | None, dict[str, bool], dict[tuple[str, str], tuple[Any, str]]]


def _snapshot(inc: Incident) -> _Snapshot:
    return (
        inc.state,
        inc.merged_into,
        {a.regulator: a.reportable for a in inc.assessments},
        {(o.regulator, o.kind): (o.due_at, o.state) for o in inc.obligations},
    )


def _meaning(a: Assessment, inc: Incident, rule_set: RuleSet | None) -> dict[str, Any]:
    """What a rule set's verdict on ``inc`` means (see the module contract): the incident
    document's words for it (:func:`bridge.core.documents.meaning`)."""
    return {
        "rule_set": a.rule_set,
        "track": a.track,
        "verdict": verdict(a, inc),
        "in_force_from": None if a.in_force_from is None else a.in_force_from.isoformat(),
        **meaning(a, inc, rule_set),
    }


def _not_in_force(inc: Incident, rule_sets: dict[str, RuleSet]) -> list[dict[str, Any]]:
    """The rule sets of the incident's jurisdictions (any, while none is known) whose law
    applies only from a day after it began: they mark nothing and owe nothing for it."""
    out = []
    for a in inc.assessments:
        rule_set = rule_sets.get(a.regulator)
        if a.in_force_from is None or rule_set is None:
            continue
        if inc.jurisdictions and rule_set.jurisdiction not in inc.jurisdictions:
            continue
        out.append({"rule_set": a.rule_set, "in_force_from": a.in_force_from.isoformat()})
    return out


def _if_declared(rule_set: RuleSet | None, inc: Incident, at: datetime) -> list[dict[str, Any]]:
    """What a cyber rule set would owe were the incident declared significant at ``at``."""
    if rule_set is None or rule_set.track != CYBER:
        return []
    return [
        {"kind": o.kind, "due_at": format_time(o.due_at), "waiting_for": o.waiting_for}
        for o in if_declared(rule_set, {"started": inc.started_at}, at)
    ]


def _diff(
    before: _Snapshot | None,
    inc: Incident,
    at: datetime,
    forecast: bool,
    rule_sets: dict[str, RuleSet],
) -> list[Change]:
    now = _snapshot(inc)
    out: list[Change] = []

    def add(when: datetime, what: str, **detail: Any) -> None:
        out.append(Change(when, inc.id, what, detail, forecast))

    if before is None:
        add(
            inc.started_at,
            "opened",
            key=inc.key,
            affected=inc.impact.current,
            jurisdictions=list(inc.jurisdictions),
            not_in_force=_not_in_force(inc, rule_sets),
        )
        before = ("open", None, {}, {})
    state, merged, _, owed = now
    old_state, old_merged, old_reportable, old_owed = before
    if merged is not None and old_merged is None:
        add(at, "merged", into=merged)
        return out
    for a in inc.assessments:
        was = old_reportable.get(a.regulator, False)
        rule_set = rule_sets.get(a.regulator)
        if a.reportable and not was:
            when = a.since or at
            means = _meaning(a, inc, rule_set)
            if a.track == CYBER:
                means["if_declared"] = _if_declared(rule_set, inc, when)
            add(when, "reportable", regulator=a.regulator, **means)
        elif was and not a.reportable:
            add(at, "not_reportable", regulator=a.regulator, **_meaning(a, inc, rule_set))
    binding = {(o.regulator, o.kind): o.binding for o in inc.obligations}
    for (regulator, kind), (due, ob_state) in owed.items():
        old = old_owed.get((regulator, kind))
        rule_set = rule_sets.get(regulator)
        repealed_on = None if rule_set is None else rule_set.repealed_on
        detail = {
            "regulator": regulator,
            "kind": kind,
            "due_at": format_time(due),
            "rule_set": None if rule_set is None else rule_set.id,
            "binding": binding[(regulator, kind)],
            "repealed_on": None if repealed_on is None else repealed_on.isoformat(),
        }
        if old is None:
            add(at, "owes", **detail)
        elif old[0] != due:
            add(at, "due_moved", **detail)
        if ob_state == "overdue" and (old is None or old[1] != "overdue"):
            add(due or at, "overdue", **detail)
    if state == CLOSED and old_state != CLOSED:
        add(at, "closed", ended_at=format_time(inc.ended_at), affected_peak=inc.impact.peak)
    elif state != CLOSED and old_state == CLOSED:
        add(at, "reopened")
    return out


def _observe(
    engine: Engine, seen: dict[str, _Snapshot], at: datetime, forecast: bool
) -> list[Change]:
    changes: list[Change] = []
    rule_sets = {rs.regulator: rs for rs in engine.rule_sets}
    for inc in engine.incidents.values():
        before = seen.get(inc.id)
        snap = _snapshot(inc)
        if snap != before:
            changes += _diff(before, inc, at, forecast, rule_sets)
            seen[inc.id] = snap
    return changes


def _advance(
    engine: Engine, seen: dict[str, _Snapshot], start: datetime, until: datetime, forecast: bool
) -> list[Change]:
    """Tick the engine at each instant something falls due after ``start`` and before
    ``until`` (as the live timer would have), recording what changed."""
    changes: list[Change] = []
    at = start
    for _ in range(_MAX_FORECAST_STEPS):
        due = [
            inc.next_check_at
            for inc in engine.incidents.values()
            if inc.next_check_at is not None and inc.next_check_at > at
        ]
        if not due or min(due) >= until:
            break
        at = min(due)
        engine.tick(at)
        changes += _observe(engine, seen, at, forecast)
    return changes


def replay(
    engine: Engine,
    records: Iterable[tuple[datetime, Delivery]],
    horizon: timedelta = HORIZON,
) -> Replay:
    """See the module contract. ``engine`` is empty; ``records`` are in order of time."""
    seen: dict[str, _Snapshot] = {}
    changes: list[Change] = []
    last: datetime | None = None
    for at, delivery in records:
        if last is not None:
            changes += _advance(engine, seen, last, at, forecast=False)
        engine.tick(at)
        changes += _observe(engine, seen, at, forecast=False)
        engine.apply(delivery.episodes, at, {delivery.group_key: delivery.truncated_alerts})
        changes += _observe(engine, seen, at, forecast=False)
        last = at
    if last is not None:
        changes += _advance(engine, seen, last, last + horizon, forecast=True)
    changes.sort(key=lambda c: (c.forecast, c.at, c.incident))
    incidents = sorted(engine.incidents.values(), key=lambda i: (i.started_at, i.id))
    return Replay(changes, incidents, last)
