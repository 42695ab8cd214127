"""A notice to subscribers states what the law asks it to state: its required elements are never
sent as "not yet known" (bridge/core/privacy_fields.py, bridge/core/casework.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.core import casework as cw
from bridge.core import privacy, privacy_fields
from bridge.core.drafts import DraftFields, RenderedDraft, Sender, draft_fields, with_values
from bridge.errors import BadInput

DETECTED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
NOW = DETECTED + timedelta(minutes=10)
OPERATOR = Sender("Exempel Nät AB", "556000-0000", "NOC", "+46 10 000 00 00", "noc@ex.net")
SUBSCRIBER_KINDS = ("subscriber_notice", "nkom_privacy_subscriber")
REPORT_KINDS = ("privacy_initial", "privacy_subscriber_copy", "nkom_privacy_varsel")


def render(fields: DraftFields) -> RenderedDraft:
    body = "\n".join(f"{f.label}: {f.value or fields.placeholder}" for f in fields.fields.values())
    return RenderedDraft(fields.title, body, f"<pre>{body}</pre>")


def notice(kind: str, **written: str) -> cw.Draft:
    """``kind`` drafted from an alert's case (only the time, data and contact prefilled), with
    ``written`` fields completed by a person."""
    case, _ = privacy.case_from_alert("fp-x", DETECTED, {"summary": "bulk export"}, ("SE",), NOW)
    fields = draft_fields(kind, privacy.document(case), OPERATOR, None, NOW)
    draft, _ = cw.open_draft(with_values(fields, written), 1, NOW, render)
    return draft


def test_the_required_elements_of_a_subscriber_notice_are_never_sendable_as_unknown() -> None:
    """Each subscriber kind names the same required elements (seed 001's list for the notice to
    subscribers, which covers GDPR art. 34's); other kinds, the regulators' reports, none."""
    required = ("when", "what_happened", "what_it_means", "what_we_do", "what_you_can_do")
    for kind in SUBSCRIBER_KINDS:
        assert privacy_fields.not_sendable_unknown(kind, ["your_data", *required]) == list(required)
        assert privacy_fields.not_sendable_unknown(kind, ["contact_us"]) == ["contact_us"]
        assert privacy_fields.not_sendable_unknown(kind, ["your_data"]) == []
    for kind in ("privacy_initial", "privacy_subscriber_copy", "nkom_privacy_varsel"):
        assert privacy_fields.not_sendable_unknown(kind, ["consequences", "what_happened"]) == []


@pytest.mark.parametrize("kind", SUBSCRIBER_KINDS)
def test_approving_a_subscriber_notice_with_a_required_element_unknown_is_refused(
    kind: str,
) -> None:
    """Naming a required element in send_unknown (or leaving it unnamed) is refused, naming it
    and saying a notice to subscribers must state it; the draft is unchanged. Once they are
    written, an optional field still empty may be sent as not yet known."""
    draft = notice(kind)
    latest = draft.latest
    assert "what_happened" in latest.to_complete
    for named in (latest.to_complete, ()):
        with pytest.raises(BadInput, match=r"subscribers must state.*what_happened") as refused:
            cw.approve(draft, 1, latest.facts, "boss", NOW, "<m@x>", send_unknown=named)
        assert "what_it_means" in str(refused.value) and "your_data" not in str(refused.value)
    assert draft.state == "draft" and draft.approval is None
    written = notice(
        kind,
        what_happened="Någon har hämtat ut kunduppgifter.",
        what_it_means="Risk för bedrägeriförsök.",
        what_we_do="Vi har stängt åtkomsten.",
        what_you_can_do="Var uppmärksam på bedrägeriförsök.",
    )
    assert list(written.latest.to_complete) == ["your_data"]
    done, events = cw.approve(
        written, 1, written.latest.facts, "boss", NOW, "<m@x>", send_unknown=["your_data"]
    )
    assert done.state == "approved" and events[0].detail["sent_as_unknown"] == ["your_data"]


def test_a_regulator_report_may_still_be_sent_with_fields_unknown() -> None:
    """The report to the regulator says what is known: its fields may be sent as unknown."""
    draft = notice("privacy_initial")
    latest = draft.latest
    assert "consequences" in latest.to_complete
    done, _ = cw.approve(
        draft, 1, latest.facts, "boss", NOW, "<m@x>", send_unknown=latest.to_complete
    )
    assert done.state == "approved"


@pytest.mark.parametrize("kind", SUBSCRIBER_KINDS)
def test_what_a_draft_must_have_written_is_exactly_what_its_approval_refuses(kind: str) -> None:
    """One rule for the draft's view and the approval: a subscriber notice's required elements
    (the same for both languages) that are still to complete must be written before approval
    (:func:`casework.must_complete`), and the refusal names exactly those; an optional one
    still to complete (``your_data``) is not among them."""
    assert privacy_fields.required(kind) == (
        "when",
        "what_happened",
        "what_it_means",
        "what_we_do",
        "what_you_can_do",
        "contact_us",
    )
    draft = notice(kind, what_we_do="Vi har stängt åtkomsten.")
    latest = draft.latest
    must = cw.must_complete(draft)
    assert must == ["what_happened", "what_it_means", "what_you_can_do"]
    assert set(latest.to_complete) - set(must) == {"your_data"}
    with pytest.raises(BadInput) as refused:
        cw.approve(draft, 1, latest.facts, "boss", NOW, "<m@x>", send_unknown=latest.to_complete)
    assert f"must state {', '.join(must)}:" in str(refused.value)


@pytest.mark.parametrize("kind", REPORT_KINDS)
def test_a_regulator_report_has_nothing_that_must_be_written_before_approval(kind: str) -> None:
    """A report to a regulator has no required element: every field still to complete may be
    sent as not yet known, so nothing must be written first."""
    draft = notice(kind)
    assert draft.latest.to_complete
    assert privacy_fields.required(kind) == ()
    assert cw.must_complete(draft) == []
