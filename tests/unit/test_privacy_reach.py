"""bridge/core/privacy_reach.py: recording how a handed-over subscriber notice reached the
subscribers, and what the case, queue and register say until then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.core import privacy, privacy_reach, register
from bridge.errors import BadInput, Conflict

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HANDED = privacy_reach.Handed("subscriber_notice", "d1", "pts", "kund@ex.net", T0)
BODY = {
    "kind": "subscriber_notice",
    "channels": ["web", "web", "email"],
    "went_out_at": "2026-11-23T10:00:30Z",
    "reached": 10,
    "unreached": 0,
}


def opened() -> privacy.PrivacyCase:
    case, _ = privacy.open_case({"detected_at": T0 - timedelta(hours=2)}, "erik", T0, "priv-1")
    return case


def test_until_recorded_the_case_and_the_register_say_where_it_was_handed() -> None:
    case = opened()
    [pending] = privacy_reach.status(case, [HANDED])
    words = "handed to kund@ex.net for distribution, not yet recorded as reached"
    assert pending["state"] == privacy_reach.NOT_RECORDED and pending["words"] == words
    cells = dict(zip(register.COLUMNS, register.row(case, [], {}, [pending]), strict=True))
    assert cells["subscriber_distribution"] == f"subscriber_notice: {words}"


def test_a_record_is_a_revision_and_counts_for_its_draft_only() -> None:
    case = opened()
    now = T0 + timedelta(hours=1)
    after, [event] = privacy_reach.record(case, 1, BODY, [HANDED], "erik", now)
    assert after.revision == 2 and after.history[-1].action == privacy_reach.REVISION_ACTION
    assert after.distributions["subscriber_notice"]["channels"] == ["web", "email"]
    assert event.action == "privacy.distribution_recorded" and event.detail["reached"] == 10
    [done] = privacy_reach.status(after, [HANDED])
    assert done["state"] == privacy_reach.RECORDED and "reached 10" in done["words"]
    later = privacy_reach.Handed("subscriber_notice", "d2", "pts", "kund@ex.net", now)
    assert privacy_reach.status(after, [later])[0]["state"] == privacy_reach.NOT_RECORDED


def test_a_kind_not_handed_over_and_a_stale_revision_are_conflicts() -> None:
    case = opened()
    with pytest.raises(Conflict):
        privacy_reach.record(case, 1, BODY, [], "erik", T0)
    with pytest.raises(Conflict):
        privacy_reach.record(case, 0, BODY, [HANDED], "erik", T0)


def test_a_notice_that_went_out_before_it_was_handed_over_is_refused() -> None:
    early = {**BODY, "went_out_at": "2026-11-23T09:58:00Z"}
    with pytest.raises(BadInput) as refused:
        privacy_reach.record(opened(), 1, early, [HANDED], "erik", T0 + timedelta(hours=1))
    assert refused.value.field == "went_out_at"
