"""Retention's decision (bridge/core/retention.py) on plain values: what goes, what stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bridge.core.retention import (
    CaseFacts,
    DraftFacts,
    Fate,
    Periods,
    delivery_cutoff,
    fate,
    settled_at,
    unlisted_goes,
)

T0 = datetime(2024, 1, 10, 8, 0, tzinfo=UTC)
END = T0 + timedelta(hours=3)
DAY = timedelta(days=1)
EPISODES = (("fp1", T0), ("fp2", T0 + timedelta(minutes=5)))
PERIODS = Periods(
    alerts=400 * DAY,
    deliveries=400 * DAY,
    incidents=1000 * DAY,
    drafts=200 * DAY,
    notices=900 * DAY,
)


def case(
    state: str = "closed",
    obligations: tuple[str, ...] = (),
    merged_into: str | None = None,
    ended: datetime | None = END,
    waiting: int = 0,
) -> CaseFacts:
    """``obligations`` with due dates; ``waiting`` undrafted ones with none (awaiting an
    event)."""
    owed = tuple((s, True) for s in obligations) + (("open", False),) * waiting
    return CaseFacts("inc-1", state, merged_into, T0, ended, owed, EPISODES)


def draft(state: str, at: datetime = END, id_: str = "d1") -> DraftFacts:
    return DraftFacts(id_, 3, state, at)


def test_a_closed_incident_owing_nothing_settles_at_its_end():
    assert settled_at(case(), []) == END


def test_settled_at_is_the_latest_draft_change_when_later_than_the_end():
    late = END + 30 * DAY
    drafts = [draft("sent", END + DAY, "a"), draft("rejected", late, "b")]
    assert settled_at(case(obligations=("sent", "rejected")), drafts) == late


def test_an_open_incident_is_not_settled():
    assert settled_at(case(state="open", ended=None), []) is None


def test_an_incident_owing_a_report_is_not_settled():
    for owed in ("open", "drafted", "approved", "overdue"):
        assert settled_at(case(obligations=("sent", owed)), [draft("sent")]) is None, owed


def test_an_obligation_waiting_for_an_event_a_closed_incident_cannot_bring_settles():
    """nkom_update without a significant change, pts_supplementary after a rejected initial
    report: undrafted, undated; once closed, nothing can start their clocks."""
    assert settled_at(case(obligations=("sent",), waiting=2), [draft("sent")]) == END
    assert settled_at(case(state="open", ended=None, waiting=1), []) is None


def test_a_draft_waiting_for_a_person_or_the_outbox_keeps_it_unsettled():
    for state in ("draft", "approved", "held", "sending", "failed", "in_doubt"):
        assert (
            settled_at(case(obligations=("sent",)), [draft("sent", id_="a"), draft(state)]) is None
        )


def test_a_merged_away_incident_settles_only_once_its_target_is_gone():
    stub = case(merged_into="inc-0")
    assert settled_at(stub, [], target_stored=True) is None
    assert settled_at(stub, [], target_stored=False) == END


def test_nothing_goes_from_an_incident_owing_a_report_however_old():
    far = T0 + 10_000 * DAY
    got = fate(case(obligations=("overdue",)), [draft("draft")], PERIODS, far)
    assert got == Fate(keeps_alerts_since=T0)
    assert got.counts() == {"alerts": 0, "drafts": 0, "notices": 0, "incidents": 0}


def test_each_kind_goes_after_its_own_period_from_settling():
    drafts = [draft("sent", id_="sent"), draft("withdrawn", id_="gone")]
    c = case(obligations=("sent",))
    just_before = fate(c, drafts, PERIODS, END + 200 * DAY - timedelta(seconds=1))
    assert just_before.counts() == {"alerts": 0, "drafts": 0, "notices": 0, "incidents": 0}
    assert just_before.keeps_alerts_since == T0
    at_drafts = fate(c, drafts, PERIODS, END + 200 * DAY)
    assert [d.id for d in at_drafts.drafts] == ["gone"] and not at_drafts.episodes
    at_alerts = fate(c, drafts, PERIODS, END + 400 * DAY)
    assert at_alerts.episodes == EPISODES and at_alerts.keeps_alerts_since is None
    assert not at_alerts.notices and not at_alerts.document
    at_notices = fate(c, drafts, PERIODS, END + 900 * DAY)
    assert [d.id for d in at_notices.notices] == ["sent"] and not at_notices.document
    at_documents = fate(c, drafts, PERIODS, END + 1000 * DAY)
    assert at_documents.counts() == {"alerts": 2, "drafts": 1, "notices": 1, "incidents": 1}


def test_the_document_stays_while_any_of_its_records_stays():
    keep_notices = Periods(alerts=1 * DAY, incidents=1 * DAY, drafts=1 * DAY, notices=None)
    got = fate(case(obligations=("sent",)), [draft("sent")], keep_notices, END + 5000 * DAY)
    assert got.episodes == EPISODES and not got.notices and not got.document
    keep_alerts = Periods(alerts=None, incidents=1 * DAY)
    got = fate(case(), [], keep_alerts, END + 5000 * DAY)
    assert not got.episodes and not got.document and got.keeps_alerts_since == T0


def test_a_merged_away_incident_never_gives_up_its_targets_alerts():
    stub = case(merged_into="inc-0")
    got = fate(stub, [draft("withdrawn")], PERIODS, END + 5000 * DAY, target_stored=False)
    assert got.episodes == () and got.document and len(got.drafts) == 1
    assert got.keeps_alerts_since is None
    kept = fate(stub, [], PERIODS, END + 5000 * DAY, target_stored=True)
    assert kept == Fate()


def test_deliveries_go_by_time_but_stay_for_incidents_that_keep_their_alerts():
    now = T0 + 1000 * DAY
    assert delivery_cutoff(PERIODS, now, []) == now - 400 * DAY
    assert delivery_cutoff(PERIODS, now, [None, T0]) == T0
    assert delivery_cutoff(PERIODS, now, [now - DAY]) == now - 400 * DAY
    assert delivery_cutoff(Periods(deliveries=None), now, []) is None


def test_a_period_of_never_keeps_the_kind():
    periods = Periods(alerts=None, deliveries=None, incidents=None, drafts=None, notices=None)
    got = fate(case(), [draft("rejected")], periods, END + 100_000 * DAY)
    assert got.counts() == {"alerts": 0, "drafts": 0, "notices": 0, "incidents": 0}


def test_an_unlisted_alert_goes_a_period_after_it_ended_and_was_received():
    """A late resolved alert no incident lists: the alerts' period counts from the later of its
    end and its first receipt, so one received long after it ended keeps the full period."""
    received = END + 30 * DAY  # ended 30 days before it arrived
    assert not unlisted_goes(END, received, PERIODS, END + 401 * DAY - timedelta(seconds=1))
    assert not unlisted_goes(END, received, PERIODS, received + 400 * DAY - timedelta(seconds=1))
    assert unlisted_goes(END, received, PERIODS, received + 400 * DAY)
    assert not unlisted_goes(None, received, PERIODS, received + 9000 * DAY)  # not resolved
    never = Periods(alerts=None)
    assert not unlisted_goes(END, received, never, received + 9000 * DAY)
