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


BEGAN = datetime(2026, 11, 23, 9, 57, 37, tzinfo=UTC)  # seconds past the minute, as monitoring's
NKOM = "nkom_hendelsesrapport"


def test_awareness_before_the_minute_the_incident_began_is_refused() -> None:
    """The audit's typo (2020 for 2026) made the act's deadlines overdue for good; awareness of
    an incident cannot precede it. The minute it began (as its reports show it) is taken."""
    for typed in (datetime(2020, 1, 1, tzinfo=UTC), BEGAN.replace(second=0) - timedelta(seconds=1)):
        with pytest.raises(BadInput) as err:
            awareness.declare(None, INC, True, typed, "", "anna", NOW, began=BEGAN)
        assert err.value.field == "aware_at"
        assert "before the incident began (2026-11-23T09:57:37+00:00)" in str(err.value)
    found, _ = awareness.declare(
        None, INC, True, BEGAN.replace(second=0), "", "anna", NOW, began=BEGAN
    )
    assert found.aware_at == BEGAN.replace(second=0)
    # a start not known: nothing to check against
    found, _ = awareness.declare(None, INC, True, datetime(2020, 1, 1, tzinfo=UTC), "", "anna", NOW)
    assert found.aware_at == datetime(2020, 1, 1, tzinfo=UTC)


def test_a_time_typed_too_early_cannot_be_moved_later_and_the_answer_says_what_to_do() -> None:
    found, _ = awareness.declare(None, INC, True, BEGAN, "", "anna", NOW, began=BEGAN)
    with pytest.raises(Conflict) as err:
        awareness.declare(found, INC, True, NOW, "", "anna", NOW, began=BEGAN)
    said = str(err.value)
    assert "may be moved earlier, never later" in said
    assert "field aware_at" in said and "draft" in said


def test_the_same_declaration_again_by_the_same_person_changes_nothing() -> None:
    """A double click (awareness omitted: now, a second later) or a retry with the awareness
    recorded: no event, the record as it stands. Anything else is checked as a declaration."""
    found, _ = awareness.declare(None, INC, True, None, "", "anna", NOW, (), ["SE"])
    for aware in (None, NOW):
        again, event = awareness.declare(
            found, INC, True, aware, "", "anna", NOW + timedelta(seconds=1), (), ["SE"]
        )
        assert again is found and event is None
    with pytest.raises(Conflict):  # another person: a declaration of its own, refused
        awareness.declare(found, INC, True, None, "", "bo", NOW + timedelta(seconds=1))
    _, event = awareness.declare(  # a jurisdiction the record lacks: recorded
        found, INC, True, None, "", "anna", NOW, (), ["NO", "SE"]
    )
    assert event is not None
    no, _ = awareness.declare(None, INC, False, None, "Planerat arbete", "anna", NOW)
    again, event = awareness.declare(no, INC, False, None, " Planerat arbete ", "anna", NOW)
    assert again is no and event is None
    _, event = awareness.declare(no, INC, False, None, "Strömavbrott", "anna", NOW)
    assert event is not None


def test_a_reason_is_clean_text() -> None:
    for reason, named in (
        ("Planerat\x1b[31m", "U+001B"),
        ("a\u202eb", "U+202E"),
        ("x" * 1001, "1000"),
    ):
        with pytest.raises(BadInput) as err:
            awareness.declare(None, INC, False, None, reason, "anna", NOW)
        assert err.value.field == "reason" and named in str(err.value)


def test_a_request_received_before_the_incident_began_is_refused() -> None:
    deadline = NOW + timedelta(days=14)
    with pytest.raises(BadInput) as err:
        awareness.request_report(
            None, INC, NKOM, datetime(2020, 1, 1, tzinfo=UTC), deadline, "", "eva", NOW, began=BEGAN
        )
    assert err.value.field == "received_at" and "before the incident began" in str(err.value)
    asked, _ = awareness.request_report(
        None, INC, NKOM, BEGAN.replace(second=0), deadline, "", "eva", NOW, began=BEGAN
    )
    assert asked is not None and asked.requests[0].received_at == BEGAN.replace(second=0)


@pytest.mark.parametrize(
    ("reference", "named"),
    [
        ("ref\x00\x1b[31m", "U+0000"),
        ("ref\x1b[31m", "U+001B"),
        ("re\x85f", "U+0085"),
        ("re\x7ff", "U+007F"),
        ("2026/\u202e9990", "U+202E"),
        ("2026/\u20690999", "U+2069"),
        ("2026/\u200b0999", "U+200B"),
        ("a\nb", "U+000A"),
        ("re\ud800f", "U+D800"),
        ("x" * 101, "at most 100 characters, got 101"),
        ("x" * 5000, "at most 100 characters, got 5000"),
    ],
)
def test_a_reference_is_one_short_line_a_regulator_can_read(reference: str, named: str) -> None:
    with pytest.raises(BadInput) as err:
        awareness.request_report(
            None, INC, NKOM, NOW, NOW + timedelta(days=1), reference, "eva", NOW
        )
    assert err.value.field == "reference" and named in str(err.value)
    assert reference not in str(err.value)  # the character named, never the text echoed


def test_a_reference_is_kept_stripped_up_to_100_characters() -> None:
    for typed, kept in (
        (" 2026/0999\t", "2026/0999"),
        ("x" * 100, "x" * 100),
        ("Sak 2026/0999", "Sak 2026/0999"),
    ):
        asked, _ = awareness.request_report(
            None, INC, NKOM, NOW, NOW + timedelta(days=1), typed, "eva", NOW
        )
        assert asked is not None and asked.requests[0].reference == kept


def test_the_same_request_again_changes_nothing() -> None:
    """The audit's case: the same request three times (no received_at, each its own now) was
    recorded three times. The same kind, reference and deadline is the same request; a given
    received_at must match too. A request recorded on an incident merged into this one counts."""
    deadline = NOW + timedelta(days=14)
    asked, _ = awareness.request_report(None, INC, NKOM, None, deadline, "2026/0999", "eva", NOW)
    assert asked is not None
    for received in (None, NOW):
        again, event = awareness.request_report(
            asked, INC, NKOM, received, deadline, " 2026/0999 ", "bo", NOW + timedelta(seconds=1)
        )
        assert again is asked and event is None
    # long after the deadline passed, the same request without received_at is still the same
    again, event = awareness.request_report(
        asked, INC, NKOM, None, deadline, "2026/0999", "eva", deadline + timedelta(days=5)
    )
    assert again is asked and event is None
    # on a host, a request its merged-in incident holds
    host, event = awareness.request_report(
        None, "inc-host", NKOM, None, deadline, "2026/0999", "eva", NOW, [asked]
    )
    assert host is None and event is None


def test_nkom_moving_a_deadline_replaces_the_request_of_that_reference() -> None:
    """The same reference with another deadline (or receipt) is that request changed: it
    replaces it, as the latest, its receipt kept unless given; the event says what it
    replaced. Another reference, or none, is another request: its deadline still counts (the
    kind is due by the earliest of the references' deadlines)."""
    first, moved = NOW + timedelta(days=14), NOW + timedelta(days=21)
    asked, _ = awareness.request_report(None, INC, NKOM, None, first, "2026/0999", "eva", NOW)
    other, _ = awareness.request_report(asked, INC, NKOM, None, first, "2026/1234", "eva", NOW)
    later = NOW + timedelta(days=2)
    changed, event = awareness.request_report(
        other, INC, NKOM, None, moved, "2026/0999", "bo", later
    )
    assert changed is not None and event is not None
    assert [(r.reference, r.received_at, r.deadline) for r in changed.requests] == [
        ("2026/1234", NOW, first),
        ("2026/0999", NOW, moved),
    ]
    assert awareness.events(changed)["nkom_deadline"] == first  # 2026/1234's, still open
    assert event.detail["replaced"] == {
        "received_at": NOW.isoformat(),
        "deadline": first.isoformat(),
    }
    # its receipt corrected, given
    fixed, event = awareness.request_report(
        changed, INC, NKOM, later, moved, "2026/0999", "bo", later
    )
    assert fixed is not None and event is not None
    assert [r.received_at for r in fixed.requests if r.reference == "2026/0999"] == [later]
    # without a reference nothing says which request it is: another deadline is another request
    blank, _ = awareness.request_report(None, INC, NKOM, None, first, "", "eva", NOW)
    more, event = awareness.request_report(blank, INC, NKOM, None, moved, "", "eva", later)
    assert more is not None and event is not None and len(more.requests) == 2
    # a moved deadline still comes after the request's receipt
    with pytest.raises(BadInput) as err:
        awareness.request_report(asked, INC, NKOM, None, NOW, "2026/0999", "eva", later)
    assert err.value.field == "deadline"
