"""The Swedish cybersecurity act's track: what a declared incident owes, and by when
(bridge/core/obligations.py ``cyber_owed``), with plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bridge.core.obligations import OPEN, OVERDUE, SENT, if_declared, incident_events, owed
from bridge.core.rules import Assessment, Criterion, RuleSet

STHLM = ZoneInfo("Europe/Stockholm")
KINDS = (
    "se_cyber_early_warning",
    "se_cyber_notification",
    "se_cyber_intermediate",
    "se_cyber_final",
    "se_cyber_progress",
)
CYBER = RuleSet(
    "se-cyber",
    "csirt",
    "SE",
    "cybersäkerhetslagen",
    False,
    (Criterion("sev", "severity", levels=("critical",)),),
    obligations=KINDS,
    track="cyber",
)


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=STHLM).astimezone(UTC)


START = local(2026, 3, 2, 9)
AWARE = local(2026, 3, 2, 10, 30)


def assessment(potentially_significant: bool) -> Assessment:
    since = START if potentially_significant else None
    return Assessment("csirt", "se-cyber", False, potentially_significant, since, (), None)


def by_kind(obligations: list) -> dict:  # type: ignore[type-arg]
    return {o.kind: o for o in obligations}


def test_nothing_is_owed_until_a_person_declares_it_significant() -> None:
    """Potentially significant by the criteria is not a declaration: no clock runs."""
    events = incident_events(START, None, None)
    assert owed(CYBER, assessment(True), events, START + timedelta(days=3)) == []


def test_a_declaration_starts_the_clocks_even_without_a_criterion_met() -> None:
    """The person decides: declared significant, the early warning is due 24 h and the
    notification 72 h after the awareness instant, not after the first alert."""
    events = incident_events(START, None, None)
    now = AWARE + timedelta(hours=1)
    found = by_kind(owed(CYBER, assessment(False), events, now, {"aware": AWARE}))
    assert found["se_cyber_early_warning"].due_at == AWARE + timedelta(hours=24)
    assert found["se_cyber_notification"].due_at == AWARE + timedelta(hours=72)
    assert found["se_cyber_early_warning"].state == OPEN
    assert "se_cyber_intermediate" not in found  # only once the CSIRT asked for one
    assert "se_cyber_progress" not in found  # nothing submitted yet
    assert found["se_cyber_final"].due_at is None
    assert found["se_cyber_final"].waiting_for == "notification_sent"


def test_24_hours_are_elapsed_time_across_the_dst_change() -> None:
    """Aware at 01:30 on the night clocks go forward: due at the same UTC offset + 24 h."""
    aware = local(2026, 3, 29, 1, 30)
    found = by_kind(owed(CYBER, assessment(True), {"started": aware}, aware, {"aware": aware}))
    assert found["se_cyber_early_warning"].due_at == aware + timedelta(hours=24)


def test_an_early_warning_not_submitted_by_its_deadline_is_overdue() -> None:
    """Approved is not submitted: past the deadline without a recorded submission it is late."""
    late = AWARE + timedelta(hours=25)
    found = by_kind(
        owed(
            CYBER,
            assessment(True),
            {"started": START},
            late,
            {"aware": AWARE},
            {"se_cyber_early_warning": "approved"},
        )
    )
    assert found["se_cyber_early_warning"].state == OVERDUE
    met = by_kind(
        owed(
            CYBER,
            assessment(True),
            {"started": START},
            late,
            {"aware": AWARE},
            {"se_cyber_early_warning": "sent"},
        )
    )
    assert met["se_cyber_early_warning"].state == SENT


def test_final_report_one_month_after_the_recorded_notification_when_handled_by_then() -> None:
    """Notification submitted 4 March 15:10, incident handled 3 March: the final report is due
    one calendar month after the submission (4 April 15:10 Stockholm), no progress report."""
    notified = local(2026, 3, 4, 15, 10)
    events = incident_events(START, local(2026, 3, 3, 12), None)
    found = by_kind(
        owed(
            CYBER,
            assessment(True),
            events,
            notified + timedelta(days=1),
            {"aware": AWARE, "notification_sent": notified},
        )
    )
    assert found["se_cyber_final"].due_at == local(2026, 4, 4, 15, 10)
    assert "se_cyber_progress" not in found


def test_still_ongoing_a_month_after_the_notification_owes_a_progress_report() -> None:
    """Still ongoing: a progress report at notification + 1 month, and the final report one
    month after the incident is handled (waiting for that while it goes on)."""
    notified = local(2026, 3, 4, 15, 10)
    events = incident_events(START, None, None)
    known = {"aware": AWARE, "notification_sent": notified}
    found = by_kind(owed(CYBER, assessment(True), events, notified + timedelta(days=40), known))
    assert found["se_cyber_progress"].due_at == local(2026, 4, 4, 15, 10)
    assert found["se_cyber_progress"].state == OVERDUE
    assert found["se_cyber_final"].due_at is None
    assert found["se_cyber_final"].waiting_for == "remedied"
    handled = local(2026, 4, 20, 8)
    events = incident_events(START, handled, None)
    found = by_kind(owed(CYBER, assessment(True), events, handled, known))
    assert found["se_cyber_final"].due_at == local(2026, 5, 20, 8)
    assert found["se_cyber_progress"].due_at == local(2026, 4, 4, 15, 10)


def test_handled_just_after_the_month_still_owes_the_progress_report() -> None:
    """Handled one minute after notification + 1 month: it was ongoing then."""
    notified = local(2026, 3, 4, 15, 10)
    handled = local(2026, 4, 4, 15, 11)
    known = {"aware": AWARE, "notification_sent": notified}
    found = by_kind(
        owed(CYBER, assessment(True), incident_events(START, handled, None), handled, known)
    )
    assert "se_cyber_progress" in found
    assert found["se_cyber_final"].due_at == local(2026, 5, 4, 15, 11)


def test_intermediate_report_is_due_when_the_csirt_said() -> None:
    """On request: due at the deadline the CSIRT set."""
    deadline = local(2026, 3, 6, 12)
    found = by_kind(
        owed(
            CYBER,
            assessment(True),
            {"started": START},
            AWARE,
            {"aware": AWARE, "csirt_deadline": deadline},
        )
    )
    assert found["se_cyber_intermediate"].due_at == deadline


def test_what_would_be_owed_if_declared_now() -> None:
    """The board's preview: declared at ``now``, the early warning is due in 24 h."""
    now = START + timedelta(hours=2)
    found = by_kind(if_declared(CYBER, {"started": START}, now))
    assert found["se_cyber_early_warning"].due_at == now + timedelta(hours=24)
    assert found["se_cyber_notification"].due_at == now + timedelta(hours=72)
    outage = RuleSet("pts", "pts", "SE", "x", True, (), obligations=("pts_initial",))
    assert if_declared(outage, {"started": START}, now) == []


def test_owed_only_for_an_incident_of_sweden_or_one_that_was_when_declared() -> None:
    """A Norwegian incident owes the Swedish act nothing, declared or not; one of unknown
    jurisdiction cannot be ruled out; one declared while Swedish keeps its duties after it
    lost Sweden (``aware@SE``: the clock is never stopped)."""
    events = {**incident_events(START, None, None), "aware": AWARE}
    a = assessment(True)
    assert owed(CYBER, a, events, AWARE, jurisdictions=["NO"]) == []
    assert if_declared(CYBER, events, AWARE, ["NO"]) == []
    assert by_kind(owed(CYBER, a, events, AWARE, jurisdictions=["NO", "SE"]))
    assert by_kind(owed(CYBER, a, events, AWARE, jurisdictions=[]))
    kept = owed(CYBER, a, {**events, "aware@SE": AWARE}, AWARE, jurisdictions=["NO"])
    assert by_kind(kept)["se_cyber_early_warning"].due_at == AWARE + timedelta(hours=24)


def test_a_requested_report_is_owed_only_in_the_requesting_regulators_jurisdiction() -> None:
    nkom = RuleSet(
        "nkom-varsel",
        "nkom",
        "NO",
        "ekomloven",
        False,
        (Criterion("sev", "severity", levels=("critical",)),),
        obligations=("nkom_hendelsesrapport",),
    )
    quiet = Assessment("nkom", "nkom-varsel", False, False, None, (), None)
    asked = {**incident_events(START, None, None), "nkom_deadline": AWARE + timedelta(days=7)}
    assert by_kind(owed(nkom, quiet, asked, AWARE, jurisdictions=["NO"]))
    assert owed(nkom, quiet, asked, AWARE, jurisdictions=["SE"]) == []
    sticky = {**asked, "nkom_deadline@NO": AWARE + timedelta(days=7)}
    assert by_kind(owed(nkom, quiet, sticky, AWARE, jurisdictions=["SE"]))
