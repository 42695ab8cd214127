"""Which reports an incident owes each regulator, and by when. Pure.

Contract:
- :func:`owed` opens, for a rule set whose assessment is reportable, one :class:`Obligation`
  per kind the rule set lists; nothing opens while the incident is not reportable to it.
- ``due_at`` comes from the kind's deadline rule (:mod:`bridge.core.calendar`, overridable per
  rule set) applied to the incident's events: ``started``, ``reportable`` (the assessment's
  ``since``), ``remedied`` (every alert resolved), ``normalised`` (the incident closed), plus
  events recorded elsewhere (``initial_sent``, ``significant_change``…) passed in ``extra``.
- ``state`` is ``overdue`` once ``now`` reaches ``due_at``, else ``open``. An obligation whose
  triggering event has not happened has no ``due_at`` and names what it is ``waiting_for``
  (``pts_supplementary`` waits for the initial report to be sent). Drafting, approval and
  sending (the notices feature) will move states on from ``open``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bridge.core.calendar import DEFAULT_RULES, Rule, due_at
from bridge.core.rules import Assessment, RuleSet

OPEN = "open"
OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class Obligation:
    regulator: str
    kind: str
    due_at: datetime | None
    state: str
    basis: str | None
    explanation: str
    waiting_for: str | None = None


def incident_events(
    started_at: datetime, remedied_at: datetime | None, normalised_at: datetime | None
) -> dict[str, datetime]:
    """The events an incident itself provides (``reportable`` is per regulator)."""
    events = {"started": started_at}
    if remedied_at is not None:
        events["remedied"] = remedied_at
    if normalised_at is not None:
        events["normalised"] = normalised_at
    return events


def rule_for(rule_set: RuleSet, kind: str) -> Rule:
    """The rule set's own deadline rule for ``kind``, else the default one."""
    return rule_set.obligation_rules.get(kind) or DEFAULT_RULES[kind]


def owed(
    rule_set: RuleSet,
    assessment: Assessment,
    events: Mapping[str, datetime],
    now: datetime,
    extra: Mapping[str, datetime] | None = None,
) -> list[Obligation]:
    """See the module contract."""
    if not assessment.reportable or assessment.since is None:
        return []
    known = {**events, "reportable": assessment.since, **(extra or {})}
    out: list[Obligation] = []
    for kind in rule_set.obligations:
        due = due_at(rule_for(rule_set, kind), known)
        if due is None:
            trigger = getattr(rule_for(rule_set, kind), "event", "")
            out.append(
                Obligation(
                    rule_set.regulator,
                    kind,
                    None,
                    OPEN,
                    None,
                    f"owed once {trigger.replace('_', ' ')} happens",
                    trigger,
                )
            )
            continue
        out.append(
            Obligation(
                rule_set.regulator,
                kind,
                due.at,
                OVERDUE if now >= due.at else OPEN,
                due.basis,
                due.explanation,
                due.waiting_for,
            )
        )
    return out
