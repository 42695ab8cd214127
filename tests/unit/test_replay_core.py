"""bridge.core.replay on plain values: changes at their own instants, a forecast from the last
record, nothing sent so obligations go overdue."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from builders import alert, webhook
from corekit import NKOM, PTS, at, engine

from bridge.cli.replay import says
from bridge.core import documents
from bridge.core.alerts import format_time, parse_webhook
from bridge.core.calendar import After
from bridge.core.replay import Change, Replay, replay
from bridge.core.rules import Criterion, RuleSet


def record(minutes: float, *alerts: dict) -> tuple:  # type: ignore[type-arg]
    return received(at(minutes), *alerts)


def received(when: datetime, *alerts: dict) -> tuple:  # type: ignore[type-arg]
    return when, parse_webhook(webhook(*alerts), when)


def test_a_threshold_crossed_between_records_shows_at_its_own_instant() -> None:
    """10 000 connections (olt-b1) for an hour meet PTS's conn-5k-1h at start + 1 h, though the
    records come at 0 and 100 minutes; the forecast closes the incident 30 minutes after the
    resolve and shows the report overdue at its due time."""
    records = [
        record(0, alert("a", at(0), element="olt-b1")),
        record(100, alert("a", at(0), status="resolved", ends_at=at(95), element="olt-b1")),
    ]
    result = replay(engine(rule_sets=[replace(PTS, obligations=("pts_initial",)), NKOM]), records)
    kinds = [(c.what, c.forecast) for c in result.changes]
    assert kinds[0] == ("opened", False)
    (pts,) = [
        c for c in result.changes if c.what == "reportable" and c.detail["regulator"] == "pts"
    ]
    # conn-5k-1h at start + 1 h (e112 already at the start would say the same: both olt-a1)
    assert pts.at <= at(60) and not pts.forecast
    (owes,) = [c for c in result.changes if c.what == "owes" and c.detail["regulator"] == "pts"]
    assert owes.at == pts.at  # the timer in between opened it, not the next record
    (closed,) = [c for c in result.changes if c.what == "closed"]
    assert closed.forecast and closed.at == at(95) + timedelta(minutes=30)
    assert closed.detail["ended_at"] == "2026-11-23T11:35:00Z"
    overdue = [c for c in result.changes if c.what == "overdue"]
    assert overdue and all(c.forecast for c in overdue)
    assert result.last_record == at(100)
    (inc,) = result.incidents
    assert all(o.state == "overdue" for o in inc.obligations if o.due_at is not None)


def test_an_empty_recording_has_no_changes() -> None:
    result = replay(engine(), [])
    assert result.changes == [] and result.incidents == [] and result.last_record is None


#: a repealed law's rule set (as pts-outage since 2026-01-15), a cyber one whose early warning
#: is 12 h (not the act's 24 h: the replay must read the rule set's own rules), and a
#: reference matrix that opens no report
REPEALED = replace(PTS, id="pts-old", obligations=("pts_initial",), repealed_on=date(2026, 1, 15))
CYBER = RuleSet(
    id="cyber-test",
    regulator="csirt",
    jurisdiction="SE",
    source="unit test",
    verified=True,
    criteria=(Criterion("e112", "emergency_112"),),
    track="cyber",
    obligations=("se_cyber_early_warning", "se_cyber_notification", "se_cyber_final"),
    obligation_rules={"se_cyber_early_warning": After("aware", timedelta(hours=12))},
)
REFERENCE = RuleSet(
    id="matrix-test",
    regulator="enisa",
    jurisdiction="SE",
    source="unit test",
    verified=True,
    criteria=(
        Criterion("c", "connections", min_duration=timedelta(hours=1), min_connections=5000),
    ),
)
#: minutes from corekit's T0 (2026-11-23) back to 2025-11-23, before the repeal
A_YEAR_BEFORE = -365 * 24 * 60


def outage(start: float = 0) -> Replay:
    """olt-a1 (6 000 connections, carries 112) down from ``start`` for 95 minutes, recorded at
    its start and at start + 100 min, under the four kinds of rule set."""
    records = [
        record(start, alert("a", at(start), element="olt-a1")),
        record(
            start + 100,
            alert("a", at(start), status="resolved", ends_at=at(start + 95), element="olt-a1"),
        ),
    ]
    return replay(engine(rule_sets=[REPEALED, NKOM, CYBER, REFERENCE]), records)


def changes_of(result: Replay, regulator: str) -> dict[str, list[Change]]:
    out: dict[str, list[Change]] = {}
    for c in result.changes:
        if c.detail.get("regulator") == regulator:
            out.setdefault(c.what, []).append(c)
    return out


def test_a_repealed_rule_set_binds_no_regulator_for_an_incident_since_the_repeal() -> None:
    """Every change of a repealed law's rule set for a November-2026 incident says binding
    false and the day of the repeal: its verdict, and its obligation opened, moved and
    overdue; the same outage a year earlier binds (binding true, no repeal in force)."""
    after = changes_of(outage(), "pts")
    assert set(after) == {"reportable", "owes", "due_moved", "overdue"}
    for c in (c for cs in after.values() for c in cs):
        assert c.detail["binding"] is False and c.detail["repealed_on"] == "2026-01-15", c
        assert c.detail["rule_set"] == "pts-old"
    before = changes_of(outage(A_YEAR_BEFORE), "pts")
    assert set(before) == {"reportable", "owes", "due_moved", "overdue"}
    assert all(c.detail["binding"] is True for cs in before.values() for c in cs)


def test_a_cyber_rule_set_is_potentially_significant_and_says_what_declaring_would_owe() -> None:
    """The cyber rule set's met criterion makes the incident potentially significant, owes
    nothing (no person declares in a replay) and lists what a declaration at that instant
    would owe by the rule set's own rules: early warning T+12h, notification T+72h, the final
    report once the notification is sent."""
    result = outage()
    cyber = changes_of(result, "csirt")
    assert set(cyber) == {"reportable"}  # no owes, no overdue
    (met,) = cyber["reportable"]
    assert met.detail["verdict"] == "potentially_significant"
    assert met.detail["track"] == "cyber" and met.detail["reference"] is False
    owed = {o["kind"]: o for o in met.detail["if_declared"]}
    assert owed["se_cyber_early_warning"]["due_at"] == format_time(met.at + timedelta(hours=12))
    assert owed["se_cyber_notification"]["due_at"] == format_time(met.at + timedelta(hours=72))
    assert owed["se_cyber_final"]["due_at"] is None
    assert owed["se_cyber_final"]["waiting_for"] == "notification_sent"


def test_a_rule_set_that_opens_no_report_is_a_reference() -> None:
    """A rule set without obligations (the ENISA matrix's kind) is met as a reference: it
    owes nothing; one with obligations is no reference."""
    result = outage()
    (met,) = changes_of(result, "enisa")["reportable"]
    assert met.detail["reference"] is True and met.at == at(60)
    assert set(changes_of(result, "enisa")) == {"reportable"}
    (pts,) = changes_of(result, "pts")["reportable"]
    assert pts.detail["reference"] is False


def test_a_law_not_yet_in_force_marks_and_owes_nothing_and_the_opening_says_so() -> None:
    """The cyber rule set applying from 2026-01-15 (``in_force_from``, as se-cyber): the same
    outage a year earlier is never potentially significant and shows no change of the CSIRT's,
    its ``opened`` names the rule set and the day; in November 2026 it is marked as before."""

    def run(start: float) -> Replay:
        records = [record(start, alert("a", at(start), element="olt-a1"))]
        late = replace(CYBER, in_force_from=date(2026, 1, 15))
        return replay(engine(rule_sets=[REPEALED, late]), records)

    before = run(A_YEAR_BEFORE)
    assert changes_of(before, "csirt") == {}
    assert set(changes_of(before, "pts")) >= {"reportable", "owes"}  # the law then in force
    (opened,) = [c for c in before.changes if c.what == "opened"]
    assert opened.detail["not_in_force"] == [
        {"rule_set": "cyber-test", "in_force_from": "2026-01-15"}
    ]
    assert says(opened).endswith(
        "; cyber-test not in force for this incident (applies to incidents from 2026-01-15)"
    )
    now = run(0)
    assert set(changes_of(now, "csirt")) == {"reportable"}
    (opened,) = [c for c in now.changes if c.what == "opened"]
    assert opened.detail["not_in_force"] == []


#: a law in force whose met verdict owes the regulator a report (Nkom's varsel)
BINDING = replace(NKOM, id="nkom-binding", obligations=("nkom_varsel",))
#: the cyber rule set applying from 2026-01-15, as se-cyber (Europe/Stockholm's calendar)
LATE = replace(CYBER, in_force_from=date(2026, 1, 15))
#: 00.30 on 15 January 2026 in Stockholm (the act applies) and 23.30 on the 14th (it does not)
IN_FORCE = datetime(2026, 1, 14, 23, 30, tzinfo=UTC)
BEFORE_IN_FORCE = datetime(2026, 1, 14, 22, 30, tzinfo=UTC)
MEANING = ("binding", "reference", "repealed_on")


def _verdicts(result: Replay) -> list[tuple[str, str, tuple[Any, ...]]]:
    return [
        (c.detail["regulator"], c.what, tuple(c.detail[k] for k in MEANING))
        for c in result.changes
        if c.what in ("reportable", "not_reportable")
    ]


def _agrees_with_the_document(result: Replay) -> None:
    """Each regulator's last verdict change means what the incident's document says of its
    assessment at the end (:func:`bridge.core.documents.meaning`, the API's and the metrics')."""
    rule_sets = {rs.regulator: rs for rs in (REPEALED, BINDING, CYBER, REFERENCE, LATE)}
    for inc in result.incidents:
        last = {
            c.detail["regulator"]: c
            for c in result.changes
            if c.incident == inc.id and c.what in ("reportable", "not_reportable")
        }
        for a in inc.assessments:
            if a.regulator in last:
                said = last[a.regulator].detail
                document = documents.meaning(a, inc, rule_sets[a.regulator])
                assert {k: said[k] for k in MEANING} == document, (a.rule_set, said)


def test_a_verdict_change_means_what_the_incident_document_says() -> None:
    """Replay's JSON says of each met rule set what the incident's document says (``binding``
    from :func:`bridge.core.obligations.binds`): a law in force with reports binds (Nkom's
    varsel; the cyber rule set in force); a reference matrix binds no one; a repealed law's
    rule set binds no one since its repeal."""
    se = outage()
    assert _verdicts(se) == [
        ("pts", "reportable", (False, False, "2026-01-15")),
        ("csirt", "reportable", (True, False, None)),
        ("enisa", "reportable", (False, True, None)),
    ]
    _agrees_with_the_document(se)
    no = replay(engine(rule_sets=[BINDING]), [record(0, alert("n", at(0), element="olt-n1"))])
    assert _verdicts(no) == [("nkom", "reportable", (True, False, None))]
    _agrees_with_the_document(no)


def test_a_law_no_longer_in_force_for_a_moved_start_binds_no_one() -> None:
    """A law that applies only from a day (se-cyber's in_force_from): the incident began on it
    and is potentially significant, binding; an alert from the evening before joins and moves
    its start before the day, and its verdict stops naming the day, binding false as the
    incident's document then says."""
    first = alert("a", IN_FORCE, element="olt-a1")
    moved = replay(
        engine(rule_sets=[LATE]),
        [
            received(IN_FORCE + timedelta(minutes=1), first),
            received(
                IN_FORCE + timedelta(minutes=20),
                first,
                alert("b", BEFORE_IN_FORCE, element="olt-a2"),
            ),
        ],
    )
    assert _verdicts(moved) == [
        ("csirt", "reportable", (True, False, None)),
        ("csirt", "not_reportable", (False, False, None)),
    ]
    (stopped,) = [c for c in moved.changes if c.what == "not_reportable"]
    assert stopped.as_json()["binding"] is False
    assert stopped.detail["in_force_from"] == "2026-01-15"
    assert says(stopped) == (
        "no longer potentially significant under cyber-test: not in force for this incident"
        " (applies to incidents from 2026-01-15)"
    )
    _agrees_with_the_document(moved)
