"""A rule set whose law applies only from a day (``in_force_from``: the Swedish cybersecurity
act, SFS 2025:1506, from 2026-01-15) owes nothing and marks nothing for an incident that began
before that day in the jurisdiction's calendar (bridge/core/repeal.py ``before_in_force``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from builders import alert, webhook
from corekit import deliver, engine, live

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


def test_an_incident_before_the_act_applies_owes_it_nothing_even_declared() -> None:
    """Declared (an ``aware`` event) or previewed, an incident from 23.59 on 14 January owes
    the act nothing; one from midnight owes its reports."""
    verdict = Assessment("csirt", "se-cyber", False, True, BEFORE, (), None)
    for started, n in ((BEFORE, 0), (FROM, len(KINDS))):
        events = incident_events(started, None, None)
        now = started + timedelta(hours=1)
        assert len(owed(CYBER, verdict, events, now, {"aware": now})) == n
        assert len(if_declared(CYBER, events, now)) == n
    assert not binds(CYBER, BEFORE) and binds(CYBER, FROM)


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
