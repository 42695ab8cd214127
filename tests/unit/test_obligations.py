"""Which reports an incident owes, and by when (bridge/core/obligations.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from bridge.core import case_drafts
from bridge.core.calendar import After
from bridge.core.obligations import (
    APPROVED,
    APPROVED_TO_SUBMIT,
    DRAFTED,
    OPEN,
    OVERDUE,
    REJECTED,
    SENT,
    Obligation,
    binds,
    done_event,
    incident_events,
    owed,
    soonest_due,
)
from bridge.core.rules import Assessment, Criterion, RuleSet

STHLM = ZoneInfo("Europe/Stockholm")


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=STHLM).astimezone(UTC)


def rule_set(regulator: str, obligations: tuple[str, ...], **kwargs: object) -> RuleSet:
    return RuleSet(
        regulator,
        regulator,
        "SE",
        "test",
        True,
        (Criterion("c", "emergency_112"),),
        obligations=obligations,
        **kwargs,  # type: ignore[arg-type]
    )


def assessment(regulator: str, since: datetime | None) -> Assessment:
    return Assessment(regulator, regulator, True, since is not None, since, (), None)


def test_nothing_is_owed_while_not_reportable() -> None:
    """A rule set whose assessment is not reportable opens no obligation."""
    events = incident_events(local(2026, 4, 2, 10), None, None)
    assert (
        owed(
            rule_set("pts", ("pts_initial",)),
            assessment("pts", None),
            events,
            local(2026, 4, 2, 12),
        )
        == []
    )


def test_pts_initial_before_easter_is_capped_three_days_after_the_start() -> None:
    """Started and remedied on Thursday 2 April 2026 (before Good Friday), the initial report is
    due at the cap, the end of Sunday 5 April in Stockholm, not after Easter Monday."""
    events = incident_events(local(2026, 4, 2, 10), local(2026, 4, 2, 14), None)
    (ob,) = owed(
        rule_set("pts", ("pts_initial",)),
        assessment("pts", local(2026, 4, 2, 11)),
        events,
        local(2026, 4, 2, 15),
    )
    assert ob.kind == "pts_initial"
    assert ob.due_at == local(2026, 4, 6) - timedelta(microseconds=1)
    assert ob.basis == "cap"
    assert ob.state == OPEN


def test_pts_initial_while_unremedied_has_only_the_cap() -> None:
    """An outage still going has its initial report due at the cap and says it waits for the
    remedy."""
    events = incident_events(local(2026, 11, 23, 23, 50), None, None)
    (ob,) = owed(
        rule_set("pts", ("pts_initial",)),
        assessment("pts", local(2026, 11, 24, 1)),
        events,
        local(2026, 11, 24, 2),
    )
    assert ob.due_at == local(2026, 11, 27) - timedelta(microseconds=1)
    assert ob.waiting_for == "remedied"


def test_nkom_varsel_is_due_an_hour_after_becoming_reportable_and_then_overdue() -> None:
    """nkom_varsel is due one hour after the assessment's since and is overdue from then on."""
    since = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    events = incident_events(since - timedelta(hours=2), None, None)
    rs = rule_set("nkom", ("nkom_varsel", "nkom_normalised"))
    varsel, normalised = owed(rs, assessment("nkom", since), events, since)
    assert varsel.due_at == since + timedelta(hours=1)
    assert varsel.state == OPEN
    assert normalised.due_at is None and normalised.waiting_for == "normalised"
    (late, _) = owed(rs, assessment("nkom", since), events, since + timedelta(hours=1))
    assert late.state == OVERDUE


def test_a_report_sent_after_its_due_time_says_how_late_it_was() -> None:
    """Sent two hours after it was due: ``late_by`` 7200 (seconds), the due time kept; sent
    on time, or not sent yet, none."""
    since = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    due = since + timedelta(hours=1)
    events = incident_events(since, None, None)
    rs = rule_set("nkom", ("nkom_varsel",))
    now = since + timedelta(hours=4)

    def varsel(state: str | None, done: datetime | None) -> Obligation:
        extra = {done_event("nkom_varsel"): done} if done is not None else {}
        (ob,) = owed(rs, assessment("nkom", since), events, now, extra, {"nkom_varsel": state})
        return ob

    late = varsel("sent", due + timedelta(hours=2))
    assert (late.state, late.due_at, late.late_by) == (SENT, due, 7200)
    assert varsel("sent", due - timedelta(minutes=5)).late_by is None
    assert varsel("sent", due).late_by is None
    assert varsel("kept", due + timedelta(seconds=90)).late_by == 90
    assert varsel("approved", None).state == OVERDUE and varsel("approved", None).late_by is None


def test_progress_tells_when_each_kinds_current_report_was_done_with() -> None:
    """The drafts tell the engine ``done:KIND``: when the kind's latest round was sent."""
    sent_at = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    sent = SimpleNamespace(
        kind="nkom_varsel", round=1, done_at=sent_at, trigger={}, state="sent", id="i.v"
    )
    waiting = SimpleNamespace(
        kind="nkom_update", round=1, done_at=None, trigger={}, state="draft", id="i.u"
    )
    got = case_drafts.progress([sent, waiting])  # type: ignore[list-item]
    assert got.events[done_event("nkom_varsel")] == sent_at
    assert done_event("nkom_update") not in got.events


def test_supplementary_waits_for_the_initial_report_to_be_sent() -> None:
    """pts_supplementary has no deadline until the initial report was sent, then two weeks."""
    events = incident_events(local(2026, 5, 4, 8), local(2026, 5, 4, 9), None)
    rs = rule_set("pts", ("pts_supplementary",))
    (waiting,) = owed(rs, assessment("pts", local(2026, 5, 4, 8, 30)), events, local(2026, 5, 4))
    assert waiting.due_at is None and waiting.waiting_for == "initial_sent"
    sent = local(2026, 5, 5, 10)
    (due,) = owed(
        rs, assessment("pts", local(2026, 5, 4, 8, 30)), events, sent, extra={"initial_sent": sent}
    )
    assert due.due_at == sent + timedelta(days=14)


def test_a_rule_set_may_override_a_deadline_rule() -> None:
    """A rule set's own rule for a kind replaces the default one."""
    since = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    rs = rule_set(
        "nkom",
        ("nkom_varsel",),
        obligation_rules={"nkom_varsel": After("reportable", timedelta(minutes=30))},
    )
    (ob,) = owed(rs, assessment("nkom", since), incident_events(since, None, None), since)
    assert ob.due_at == since + timedelta(minutes=30)


def test_a_verdict_binds_only_a_rule_set_that_owes_a_regulator_a_report() -> None:
    """ENISA's reference matrix (no obligations) and a repealed law's rule set for an incident
    since the repeal bind no one (an internal threshold); a rule set in force that opens
    reports does, and a repealed one still does for an incident before the repeal."""
    repealed = rule_set("pts", ("pts_initial",), repealed_on=date(2026, 1, 15))
    assert binds(rule_set("nkom", ("nkom_varsel",)), local(2026, 11, 23, 8))
    assert not binds(rule_set("enisa", ()), local(2026, 11, 23, 8))
    assert not binds(repealed, local(2026, 1, 15, 0, 30))
    assert binds(repealed, local(2026, 1, 14, 23, 30))


def obligation_of(regulator: str, kind: str, due: datetime | None, state: str) -> Obligation:
    return Obligation(regulator, kind, due, state, None, "")


def test_soonest_due_is_per_regulator_and_kind_among_reports_needing_a_person() -> None:
    """The soonest due time per (regulator, kind) of dated reports neither sent, kept,
    rejected nor approved; an overdue one counts (approved or not: its deadline passed), an
    internal threshold's (binding false) does not."""
    t = local(2026, 11, 23, 8)
    hour = timedelta(hours=1)
    found = soonest_due(
        [
            obligation_of("pts", "privacy_initial", t + 3 * hour, DRAFTED),
            obligation_of("pts", "privacy_initial", t + 2 * hour, OPEN),
            obligation_of("pts", "privacy_initial", t + hour, APPROVED),  # on its way
            obligation_of("pts", "privacy_initial", t, SENT),
            obligation_of("pts", "privacy_supplementary", None, OPEN),  # waiting, undated
            obligation_of("pts", "subscriber_notice", t - hour, OVERDUE),
            obligation_of("pts", "subscriber_notice", t + hour, REJECTED),
            obligation_of("nkom", "nkom_privacy_varsel", t + 5 * hour, DRAFTED),
            Obligation("nkom", "nkom_privacy_subscriber", t, OPEN, None, "", binding=False),
        ]
    )
    assert found == {
        ("pts", "privacy_initial"): t + 2 * hour,
        ("pts", "subscriber_notice"): t - hour,
        ("nkom", "nkom_privacy_varsel"): t + 5 * hour,
    }


def test_an_approved_portal_report_still_needs_a_person_an_e_mailed_one_is_on_its_way() -> None:
    """An approved draft of a portal's channel waits for a person to submit it and record the
    submission (the outbox never sends it): its obligation is ``approved_to_submit`` (paged
    when due soon, counted by soonest_due), overdue once due; an approved e-mail is
    ``approved`` (the outbox sends it)."""
    since = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    portal = SimpleNamespace(
        kind="se_cyber_early_warning",
        round=1,
        done_at=None,
        trigger={},
        state="approved",
        channel="portal",
        id="i.w",
    )
    mail = SimpleNamespace(
        kind="nkom_varsel", round=1, done_at=None, trigger={}, state="approved", channel="email"
    )
    mail.id = "i.v"
    got = case_drafts.progress([portal, mail])  # type: ignore[list-item]
    assert got.states == {"se_cyber_early_warning": APPROVED_TO_SUBMIT, "nkom_varsel": APPROVED}

    events = incident_events(since, None, None)
    rs = rule_set("nkom", ("nkom_varsel",))
    drafts = {"nkom_varsel": got.states["se_cyber_early_warning"]}
    (waiting,) = owed(rs, assessment("nkom", since), events, since, None, drafts)
    assert waiting.state == APPROVED_TO_SUBMIT
    (late,) = owed(rs, assessment("nkom", since), events, since + timedelta(hours=1), None, drafts)
    assert late.state == OVERDUE
    (on_its_way,) = owed(rs, assessment("nkom", since), events, since, None, got.states)
    assert on_its_way.state == APPROVED
    due = since + timedelta(hours=1)
    assert soonest_due([obligation_of("csirt", "k", due, APPROVED_TO_SUBMIT)]) == {
        ("csirt", "k"): due
    }
    assert soonest_due([obligation_of("nkom", "k", due, APPROVED)]) == {}
