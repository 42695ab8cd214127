"""A rule set whose law applies only from a day (``in_force_from``: the Swedish cybersecurity
act, SFS 2025:1506, from 2026-01-15) owes nothing and marks nothing for an incident that began
before that day in the jurisdiction's calendar (bridge/core/repeal.py ``before_in_force``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from builders import alert, webhook
from corekit import deliver, engine, live

from bridge.core.awareness import applicable, cannot_apply
from bridge.core.obligations import binds, if_declared, incident_events, owed
from bridge.core.rules import Assessment, Criterion, RuleSet

IN_FORCE = date(2026, 1, 15)
#: 23.59 on 14 January 2026 in Stockholm (before the act applies) and 00.00 on the 15th
BEFORE = datetime(2026, 1, 14, 22, 59, tzinfo=UTC)
FROM = datetime(2026, 1, 14, 23, 0, tzinfo=UTC)
KINDS = ("se_cyber_early_warning", "se_cyber_notification", "se_cyber_final")
CYBER = RuleSet(
    "se-cyber",
    "csirt",
    "SE",
    "cybersäkerhetslagen",
    False,
    (Criterion("e112", "emergency_112"),),
    obligations=KINDS,
    track="cyber",
    in_force_from=IN_FORCE,
)


def test_an_incident_before_the_act_applies_previews_nothing_and_binds_nothing() -> None:
    """An incident from 23.59 on 14 January would owe nothing if declared, and reportability
    binds no regulator; one from midnight would owe the act's reports."""
    for started, n in ((BEFORE, 0), (FROM, len(KINDS))):
        events = incident_events(started, None, None)
        assert len(if_declared(CYBER, events, started + timedelta(hours=1))) == n
    assert not binds(CYBER, BEFORE) and binds(CYBER, FROM)
    assert binds(CYBER, None)  # a start unknown: the law in force cannot be ruled out


def test_reportability_opens_nothing_before_the_law_applies() -> None:
    """An outage-track rule set applying from 2026-01-15: a reportable verdict on an incident
    from the day before opens nothing; one from midnight opens its report."""
    pts = RuleSet(
        "pts", "pts", "SE", "x", True, (), obligations=("pts_initial",), in_force_from=IN_FORCE
    )
    for started, n in ((BEFORE, 0), (FROM, 1)):
        verdict = Assessment("pts", "pts", True, True, started, (), None)
        assert len(owed(pts, verdict, incident_events(started, None, None), started)) == n


def test_a_declaration_stands_when_the_incident_later_began_before_the_law() -> None:
    """Declared while in force (a declaration on an earlier incident is refused, 409), then an
    alert from the day before joins and the incident's start moves: the clocks a person
    started run on, for a person to reject a report on its draft with the reason."""
    verdict = Assessment("csirt", "se-cyber", False, False, None, (), None)
    aware = FROM + timedelta(hours=1)
    events = incident_events(BEFORE, None, None)  # the start, moved earlier
    found = {o.kind: o for o in owed(CYBER, verdict, events, aware, {"aware": aware})}
    assert found["se_cyber_early_warning"].due_at == aware + timedelta(hours=24)


def test_the_engine_marks_an_incident_before_the_act_not_potentially_significant() -> None:
    """olt-a1 carries 112 traffic: the cyber rule set's criterion is met at once. Started the
    minute before the act applies, the assessment is not reportable and says why; from
    midnight, potentially significant."""
    for started, marked in ((BEFORE, False), (FROM, True)):
        eng = engine(rule_sets=[CYBER])
        deliver(eng, started + timedelta(minutes=5), webhook(alert("a", started, element="olt-a1")))
        (inc,) = live(eng).values()
        (a,) = inc.assessments
        assert a.reportable is marked and (a.since is not None) is marked
        assert (a.in_force_from is not None) is not marked
        if not marked:
            assert a.in_force_from == IN_FORCE
            assert [c.met for c in a.criteria] == [True]  # what the criteria found stands


def test_a_person_may_act_under_the_act_only_on_an_incident_it_applies_to() -> None:
    """Declaring (or the CSIRT's request) on an incident that began before the act applies is
    refused, the Conflict naming the rule set and the day; once a declaration of significance
    stands (made while in force, the start moved since), a correction or the CSIRT's request
    is still taken."""
    assert applicable([CYBER], None, ["SE"], {}, BEFORE) == []
    assert applicable([CYBER], None, ["SE"], {}, FROM) == [CYBER]
    assert applicable([CYBER], None, ["SE"], {}, None) == [CYBER]  # start unknown
    why = cannot_apply("inc-1", [CYBER], ["SE"], BEFORE)
    assert "se-cyber (SE) from 2026-01-15" in why.problem and "before the law" in why.problem
    declared = {"aware": FROM, "aware@SE": FROM}
    assert applicable([CYBER], None, ["SE"], declared, BEFORE) == [CYBER]
    asked = {**declared, "csirt_deadline": FROM}
    requested = replace(CYBER, obligations=(*KINDS, "se_cyber_intermediate"))
    assert applicable([requested], "se_cyber_intermediate", ["SE"], asked, BEFORE) == [requested]
