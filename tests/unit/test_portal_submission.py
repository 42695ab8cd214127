"""The portal channel of a draft (bridge/core/casework.py): approved, a portal report is not the
outbox's; a person's recorded submission sends it, at the instant given, with the portal's
reference; the stored form keeps it (bridge/core/draft_codec.py). Plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.core import casework as cw
from bridge.core import draft_codec as codec
from bridge.core.drafts import DraftFields, RenderedDraft, Sender, draft_fields
from bridge.core.obligations import obligation_state
from bridge.errors import BadInput, Conflict

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
OPERATOR = Sender("Exempel Nät AB", "556000-0000", "NOC", "+46 10", "noc@example.net")
DOC = {"id": "inc-20261123-aa", "started_at": "2026-11-23T09:05:00Z", "impact": {}}


def render(fields: DraftFields) -> RenderedDraft:
    body = "\n".join(f"{f.label}: {f.value or fields.placeholder}" for f in fields.fields.values())
    return RenderedDraft(fields.title, body, f"<pre>{body}</pre>")


def portal_draft(channel: str = cw.PORTAL) -> cw.Draft:
    fields = draft_fields("pts_initial", DOC, OPERATOR, None, NOW)
    draft, _ = cw.open_draft(fields, 1, NOW, render, channel=channel)
    approved, _ = cw.approve(
        draft, 1, draft.latest.facts, "anna", NOW, "<m@x>", send_unknown=draft.latest.to_complete
    )
    return approved


def test_an_approved_portal_draft_waits_for_a_person_not_the_outbox() -> None:
    draft = portal_draft()
    assert draft.state == cw.APPROVED and draft.next_attempt_at is None
    assert "portal" in (draft.flag or "")
    # its obligation is approved, and late once due without a recorded submission
    assert obligation_state(draft.state, NOW + timedelta(hours=1), NOW) == "approved"
    assert obligation_state(draft.state, NOW, NOW) == "overdue"
    email = portal_draft(cw.EMAIL)
    assert email.next_attempt_at == NOW  # the outbox's


def test_recording_the_submission_sends_it_at_the_instant_given() -> None:
    draft = portal_draft()
    at = NOW + timedelta(minutes=10)
    sent, events = cw.record_submission(
        draft, at, " CP-42 ", "anna", NOW + timedelta(hours=2), {"name": "k.pdf", "size": 3}
    )
    assert sent.state == cw.SENT and sent.sent_at == at
    assert sent.submission is not None and sent.submission.reference == "CP-42"
    assert sent.submission.version == 1 and sent.submission.by == "anna"
    [event] = events
    assert event.action == "draft.submitted" and event.detail["reference"] == "CP-42"
    assert event.detail["receipt"] == {"name": "k.pdf", "size": 3}
    assert obligation_state(sent.state, NOW, NOW + timedelta(days=3)) == "sent"
    assert codec.from_dict(codec.to_dict(sent)) == sent


def test_bad_submissions_are_refused_naming_the_field() -> None:
    draft = portal_draft()
    later = NOW + timedelta(hours=1)
    for at, ref, field in (
        (later, "", "reference"),
        (later, "a\nb", "reference"),
        # Nkom's hendelsesrapport lists the receipt: one short line a regulator can read
        (later, "CP\x1b[31m", "reference"),
        (later, "CP-\u202e24", "reference"),
        (later, "CP-\x8542", "reference"),
        (later, "C" * 101, "reference"),
        (later + timedelta(minutes=1), "CP", "submitted_at"),  # in the future
        (NOW - timedelta(minutes=1), "CP", "submitted_at"),  # before the approval
        (datetime(2026, 11, 23, 12, 30), "CP", "submitted_at"),  # noqa: DTZ001 no offset
    ):
        with pytest.raises(BadInput) as err:
            cw.record_submission(draft, at, ref, "anna", later)
        assert err.value.field == field


def test_only_an_approved_portal_draft_is_submitted() -> None:
    with pytest.raises(Conflict):
        cw.record_submission(portal_draft(cw.EMAIL), NOW, "CP", "anna", NOW)
    fields = draft_fields("pts_initial", DOC, OPERATOR, None, NOW)
    unapproved, _ = cw.open_draft(fields, 1, NOW, render, channel=cw.PORTAL)
    with pytest.raises(Conflict):
        cw.record_submission(unapproved, NOW, "CP", "anna", NOW)


def test_an_email_draft_keeps_its_stored_form() -> None:
    """Nothing new is written for an e-mail draft: drafts stored before read and write the same."""
    stored = codec.to_dict(portal_draft(cw.EMAIL))
    assert "channel" not in stored and "submission" not in stored
    assert codec.to_dict(portal_draft())["channel"] == "portal"
