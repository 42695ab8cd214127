"""A person's declaration of significance (bridge/core/awareness.py) and the cybersecurity
act's report fields (bridge/core/cyber_fields.py via drafts.draft_fields), with plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.config.report_forms import builtin_forms
from bridge.core import awareness, casework
from bridge.core.drafts import Sender, draft_fields
from bridge.errors import BadInput, Conflict

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
INC = "inc-20261123-aa"
CSIRT = "se_cyber_intermediate"


def test_declared_significant_defaults_to_now_and_gives_the_aware_event() -> None:
    found, event = awareness.declare(None, INC, True, None, "", "anna", NOW)
    assert found.aware_at == NOW and found.revision == 1 and found.by == "anna"
    assert awareness.events(found) == {"aware": NOW}
    assert event.action == "incident.declared" and event.target == f"incident:{INC}"
    assert event.detail["aware_at"] == NOW.isoformat()


def test_an_earlier_awareness_may_be_entered_never_a_future_one() -> None:
    earlier = NOW - timedelta(hours=3)
    found, _ = awareness.declare(None, INC, True, earlier, "", "anna", NOW)
    assert found.aware_at == earlier
    with pytest.raises(BadInput) as err:
        awareness.declare(None, INC, True, NOW + timedelta(seconds=1), "", "anna", NOW)
    assert err.value.field == "aware_at"
    with pytest.raises(BadInput) as err:
        awareness.declare(None, INC, True, datetime(2026, 11, 23, 9), "", "anna", NOW)  # noqa: DTZ001
    assert err.value.field == "aware_at"


def test_not_significant_needs_a_reason_and_gives_no_clock() -> None:
    with pytest.raises(BadInput) as err:
        awareness.declare(None, INC, False, None, "  ", "anna", NOW)
    assert err.value.field == "reason"
    with pytest.raises(BadInput) as err:
        awareness.declare(None, INC, False, NOW, "planned work", "anna", NOW)
    assert err.value.field == "aware_at"
    found, _ = awareness.declare(None, INC, False, None, "planned work", "anna", NOW)
    assert awareness.events(found) == {}
    later, _ = awareness.declare(found, INC, True, None, "", "bo", NOW + timedelta(hours=1))
    assert later.revision == 2 and later.aware_at == NOW + timedelta(hours=1)


def test_once_significant_the_clock_is_never_stopped_or_delayed() -> None:
    found, _ = awareness.declare(None, INC, True, None, "", "anna", NOW)
    with pytest.raises(Conflict):
        awareness.declare(found, INC, False, None, "changed my mind", "bo", NOW)
    with pytest.raises(Conflict):
        awareness.declare(found, INC, True, None, "", "bo", NOW + timedelta(hours=1))
    earlier, _ = awareness.declare(found, INC, True, NOW - timedelta(hours=1), "", "bo", NOW)
    assert earlier.aware_at == NOW - timedelta(hours=1) and earlier.revision == 2


def test_stored_form_round_trips() -> None:
    found, _ = awareness.declare(None, INC, True, NOW - timedelta(minutes=5), "", "anna", NOW)
    assert awareness.from_document(awareness.to_document(found)) == found


OPERATOR = Sender("Exempel Nät AB", "556000-0000", "NOC", "+46 10", "noc@example.net")
DOC = {
    "id": INC,
    "started_at": "2026-11-23T07:42:00+00:00",
    "remedied_at": None,
    "impact": {"by_service": {"internet": 500}, "by_region": {"SE-2380": 500}},
    "declaration": {"aware_at": "2026-11-23T08:00:00+00:00", "by": "anna"},
    "alert_details": [{"annotations": {"cause": "fiber cut"}}],
}
PERSON = ("suspected_malicious", "cross_border", "severity_impact", "indicators")


def test_what_only_a_person_can_answer_is_never_prefilled() -> None:
    """The notification's person fields are left to complete; the rest is prefilled, in
    Swedish, with Stockholm times."""
    form = builtin_forms()["se_cyber_notification"]
    fields = draft_fields("se_cyber_notification", DOC, OPERATOR, None, NOW, form=form)
    assert fields.to_complete() == list(PERSON)
    assert fields.fields["aware_at"].value == "2026-11-23 kl. 09.00 svensk tid"
    assert fields.fields["status"].value == "Pågår."
    assert fields.regulator == "csirt" and fields.language == "sv"
    final = draft_fields(
        "se_cyber_final", DOC, OPERATOR, None, NOW, form=builtin_forms()["se_cyber_final"]
    )
    assert "root_cause" in final.to_complete()  # a cause annotation is no root cause


def test_approval_needs_every_person_field_answered_or_sent_as_unknown() -> None:
    """The existing rule of approval: each field still to complete is written, or named in
    send_unknown to go as "Ännu inte känt"."""
    form = builtin_forms()["se_cyber_early_warning"]
    fields = draft_fields("se_cyber_early_warning", DOC, OPERATOR, None, NOW, form=form)

    def render(f):  # type: ignore[no-untyped-def]
        from bridge.core.drafts import RenderedDraft

        return RenderedDraft(
            "s", "\n".join(x.value or f.placeholder for x in f.fields.values()), ""
        )

    draft, _ = casework.open_draft(fields, 1, NOW, render)
    facts = draft.latest.facts
    with pytest.raises(BadInput) as err:
        casework.approve(draft, 1, facts, "anna", NOW, "<m@x>")
    assert err.value.field == "send_unknown"
    assert "suspected_malicious" in str(err.value)
    approved, _ = casework.approve(
        draft, 1, facts, "anna", NOW, "<m@x>", send_unknown=["suspected_malicious", "cross_border"]
    )
    assert approved.state == casework.APPROVED


def test_the_csirts_request_gives_the_intermediate_reports_deadline() -> None:
    """Only on a significant incident; the latest request's deadline is ``csirt_deadline``;
    the declaration itself is kept by later declarations."""
    deadline = NOW + timedelta(days=2)
    with pytest.raises(Conflict):
        awareness.request_report(None, INC, CSIRT, NOW, deadline, "", "eva", NOW)
    declared, _ = awareness.declare(None, INC, True, None, "", "anna", NOW)
    with pytest.raises(BadInput) as err:
        awareness.request_report(
            declared, INC, CSIRT, NOW, NOW - timedelta(seconds=1), "", "eva", NOW
        )
    assert err.value.field == "deadline"
    with pytest.raises(BadInput) as err:
        awareness.request_report(
            declared, INC, CSIRT, NOW + timedelta(hours=1), deadline, "", "eva", NOW
        )
    assert err.value.field == "received_at"
    asked, event = awareness.request_report(
        declared, INC, CSIRT, NOW, deadline, " R-1 ", "eva", NOW
    )
    assert awareness.events(asked) == {"aware": NOW, "csirt_deadline": deadline}
    assert event.action == "incident.report_requested" and event.detail["reference"] == "R-1"
    assert awareness.from_document(awareness.to_document(asked)) == asked
    earlier, _ = awareness.declare(asked, INC, True, NOW - timedelta(hours=1), "", "anna", NOW)
    assert earlier.requests == asked.requests


def test_a_host_stands_by_the_earliest_declaration_of_significance_of_what_merged_into_it() -> None:
    """The records of an incident and those merged into it: significant if either was declared
    so (a 'not significant' yields), aware at the earliest such instant, keeping who declared
    what on which incident; each requested kind due by the earliest deadline; the host's own
    declaration checked against them together."""
    site = "inc-site"
    later = NOW + timedelta(minutes=1)
    early = NOW - timedelta(hours=2)
    declared, _ = awareness.declare(None, site, True, early, "", "anna", NOW, (), ["SE"])
    declared, _ = awareness.request_report(
        declared, site, CSIRT, NOW, NOW + timedelta(days=2), "A", "ed", NOW, (), ["SE"]
    )
    host, _ = awareness.declare(None, INC, False, None, "fallback", "bo", NOW)
    host, _ = awareness.request_report(
        host, INC, CSIRT, NOW, NOW + timedelta(days=5), "B", "ed", later, [declared], ["SE"]
    )
    both = awareness.combine(host, [declared])
    assert both is not None and both.significant and both.aware_at == early
    assert (both.incident_id, both.by) == (site, "anna")
    assert [q.reference for q in both.requests] == ["A", "B"]
    assert awareness.merged_events([host, declared]) == {
        "aware": early,
        "aware@SE": early,
        "csirt_deadline": NOW + timedelta(days=2),
        "csirt_deadline@SE": NOW + timedelta(days=2),
    }
    with pytest.raises(Conflict) as err:
        awareness.declare(host, INC, False, None, "no", "bo", NOW, [declared])
    assert site in str(err.value)
    with pytest.raises(Conflict):
        awareness.declare(host, INC, True, early + timedelta(minutes=1), "", "bo", NOW, [declared])
    earlier, _ = awareness.declare(
        host, INC, True, early - timedelta(hours=1), "", "bo", NOW, [declared]
    )
    assert awareness.combine(earlier, [declared]).aware_at == early - timedelta(hours=1)  # type: ignore[union-attr]
    # alone, each is what it was
    assert awareness.combine(host, []) is host
    assert awareness.merged_events([host]) == {}


def test_the_jurisdictions_a_declaration_was_made_in_are_kept() -> None:
    found, _ = awareness.declare(None, INC, True, None, "", "anna", NOW, (), ["NO", "SE"])
    assert awareness.from_document(awareness.to_document(found)) == found
    again, _ = awareness.declare(
        found, INC, True, NOW - timedelta(hours=1), "", "bo", NOW, (), ["NO"]
    )
    assert again.jurisdictions == ("NO", "SE")  # once declared in Sweden, it stands
