"""The notice casework (bridge/core/casework.py) with plain values: drafts, versions, approval,
delivery outcomes, obligations' progress and significant changes for Nkom updates."""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from bridge.core import case_drafts as cd
from bridge.core import casework as cw
from bridge.core import draft_codec as codec
from bridge.core.drafts import DraftFields, RenderedDraft, Sender
from bridge.core.obligations import obligation_state
from bridge.errors import BadInput, Conflict

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
OPERATOR = Sender("Exempel Nät AB", "556000-0000", "NOC", "+46 10 000 00 00", "noc@example.net")


def render(fields: DraftFields) -> RenderedDraft:
    """A tiny stand-in for the Jinja templates: every value shows up in the text."""
    body = "\n".join(f"{f.label}: {f.value or fields.placeholder}" for f in fields.fields.values())
    return RenderedDraft(f"{fields.title} {fields.reference}", body, f"<pre>{body}</pre>")


CTX = cd.Context(
    OPERATOR, {"pts": "incidentrapport@pts.se", "nkom": "ekomvarsling@nkom.no"}, render
)


def doc(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "inc-20261123-0a1b2c3d",
        "state": "open",
        "started_at": "2026-11-23T09:05:00Z",
        "ended_at": None,
        "remedied_at": None,
        "impact": {
            "current": 4000,
            "peak": 4000,
            "by_service": {"internet": 4000},
            "by_region": {"NO-0301": 4000},
            "region_names": {"NO-0301": "Oslo"},
        },
        "assessments": [],
        "alert_details": [
            {
                "status": "firing",
                "labels": {"severity": "major"},
                "annotations": {"cause": "fibre cut"},
            }
        ],
    }
    base.update(over)
    return base


def with_impact(d: dict[str, Any], **impact: Any) -> dict[str, Any]:
    out = copy.deepcopy(d)
    out["impact"].update(impact)
    return out


def opened(kind: str = "nkom_varsel", incident: dict[str, Any] | None = None) -> cw.Draft:
    draft, events = cw.open_draft(CTX.fields(kind, incident or doc(), NOW), 1, NOW, render)
    assert [e.action for e in events] == ["draft.opened"]
    return draft


def approved(draft: cw.Draft, at: datetime = NOW) -> cw.Draft:
    latest = draft.latest
    out, _ = cw.approve(
        draft,
        latest.number,
        latest.facts,
        "token:boss",
        at,
        "<m@x>",
        send_unknown=latest.to_complete,
    )
    return out


def test_open_draft_has_a_stable_id_version_one_and_the_prefilled_content() -> None:
    """A new draft has the id incident.kind (round appended for updates), version 1 in state draft,
    the regulator's recipient, the incident's facts prefilled and the fields a person must judge
    listed as to complete."""
    draft = opened()
    assert draft.id == "inc-20261123-0a1b2c3d.nkom_varsel"
    assert cw.draft_id("inc-1", "nkom_update", 3) == "inc-1.nkom_update.3"
    assert (draft.state, draft.revision, draft.latest.number, draft.track) == (
        "draft",
        1,
        1,
        "outage",
    )
    assert draft.latest.recipient == "ekomvarsling@nkom.no"
    assert "fibre cut" in draft.latest.text
    assert "scope_life_health" in draft.latest.to_complete  # a person must judge that


def test_refresh_makes_a_version_only_when_the_facts_change_and_keeps_edited_fields() -> None:
    """Refresh with unchanged facts makes no version; changed facts make a new one that keeps what a
    person wrote in a field."""
    draft = opened()
    assert cw.refresh(draft, CTX.fields(draft.kind, doc(), NOW), NOW, render) is None
    edited, events = cw.edit(
        draft,
        1,
        {"scope_life_health": "Nei."},
        CTX.fields(draft.kind, doc(), NOW),
        "ann",
        NOW,
        render,
    )
    assert [e.action for e in events] == ["draft.edited"] and edited.latest.author == "ann"
    bigger = with_impact(doc(), peak=9000, by_region={"NO-0301": 4000, "NO-4601": 5000})
    later = NOW + timedelta(minutes=5)
    refreshed, events = cw.refresh(
        edited, CTX.fields(draft.kind, bigger, later), later, render
    ) or (
        None,
        [],
    )
    assert refreshed is not None and refreshed.latest.number == 3
    assert refreshed.latest.fields["scope_life_health"] == "Nei."  # the person's text stays
    assert "NO-4601" in refreshed.latest.fields["scope_geography"]  # the new facts come in
    assert refreshed.latest.author == "bridge" and refreshed.revision == edited.revision + 1
    assert [e.action for e in events] == ["draft.rerendered"]


def test_an_approved_draft_whose_facts_change_is_held_not_sent_stale() -> None:
    """An approved draft whose facts change is re-rendered and held (approval dropped, not claimable
    by the outbox) until approved again."""
    draft = approved(opened())
    assert draft.state == "approved" and draft.next_attempt_at == NOW
    changed = with_impact(doc(), peak=9000)
    held, events = cw.refresh(draft, CTX.fields(draft.kind, changed, NOW), NOW, render) or (
        None,
        [],
    )
    assert held is not None and held.state == "held" and held.approval is None
    assert held.next_attempt_at is None and "approve again" in (held.flag or "")
    assert [e.action for e in events] == ["draft.rerendered", "draft.held"]
    with pytest.raises(Conflict):
        cw.claim(held, NOW)  # the outbox cannot take it
    again = approved(held)
    assert again.state == "approved" and again.approval and again.approval.version == 2


def test_approving_an_overdue_report_asks_why_it_is_late_and_the_send_says_how_late() -> None:
    """Its obligation due at 10:00, approved at 12:00: without a reason for the delay, a
    BadInput naming late_reason and nothing changed; with one, the approval keeps it and the due
    time, its audit entry says both and how late; the send's audit entry says how late it left.
    Approved before its due time, no reason is asked."""
    draft = opened()
    latest = draft.latest
    due = NOW - timedelta(hours=2)

    def approve(reason: str, at: datetime = NOW) -> cw.Change:
        return cw.approve(
            draft,
            latest.number,
            latest.facts,
            "token:boss",
            at,
            "<m@x>",
            send_unknown=latest.to_complete,
            due_at=due,
            late_reason=reason,
        )

    for blank in ("", "  "):
        with pytest.raises(BadInput) as refused:
            approve(blank)
        assert refused.value.field == "late_reason"
    out, events = approve("the on-call phone was dead")
    assert (out.approval.due_at, out.approval.late_reason) == (due, "the on-call phone was dead")
    [entry] = [e for e in events if e.action == "draft.approved"]
    assert entry.detail["late_reason"] == "the on-call phone was dead"
    assert (entry.detail["due_at"], entry.detail["late_by"]) == (due.isoformat(), 7200)
    assert codec.from_dict(codec.to_dict(out)).approval == out.approval
    sending, _ = cw.claim(out, NOW + timedelta(minutes=1))
    _, sent = cw.delivered(sending, NOW + timedelta(minutes=1), "250 ok")
    assert (sent[0].detail["due_at"], sent[0].detail["late_by"]) == (due.isoformat(), 7260)

    early, events = approve("", at=due - timedelta(minutes=1))
    assert early.approval.late_reason == ""
    [entry] = [e for e in events if e.action == "draft.approved"]
    assert "late_reason" not in entry.detail and "late_by" not in entry.detail
    assert entry.detail["due_at"] == due.isoformat()


def test_approval_is_refused_for_an_old_version_changed_facts_or_missing_fields() -> None:
    """Approval is refused for a version that is not the latest, for facts that changed meanwhile,
    for fields still to complete unless each is named in send_unknown, and for a draft already
    approved; the audit event names the version, content hash and the fields sent as unknown."""
    draft = opened()
    facts = draft.latest.facts
    unknown = draft.latest.to_complete
    assert "scope_life_health" in unknown
    with pytest.raises(Conflict, match="not the latest"):
        cw.approve(draft, 0, facts, "boss", NOW, "<m@x>", send_unknown=unknown)
    with pytest.raises(Conflict, match="incident changed"):
        cw.approve(draft, 1, "other-facts", "boss", NOW, "<m@x>", send_unknown=unknown)
    with pytest.raises(BadInput, match=r"scope_life_health.*Ikke kjent ennå"):
        cw.approve(draft, 1, facts, "boss", NOW, "<m@x>")
    named = [k for k in unknown if k != "scope_life_health"]
    with pytest.raises(BadInput, match="scope_life_health"):  # one field left unnamed
        cw.approve(draft, 1, facts, "boss", NOW, "<m@x>", send_unknown=named)
    with pytest.raises(BadInput, match="not fields still to complete: started_at"):
        cw.approve(draft, 1, facts, "boss", NOW, "<m@x>", send_unknown=[*unknown, "started_at"])
    done, events = cw.approve(draft, 1, facts, "boss", NOW, "<m@x>", "ok", send_unknown=unknown)
    detail = events[0].detail
    assert events[0].action == "draft.approved" and events[0].actor == "boss"
    assert detail["content_hash"] == draft.latest.content_hash.__str__() and detail["version"] == 1
    assert detail["sent_as_unknown"] == sorted(unknown)
    with pytest.raises(Conflict, match="only a draft"):
        cw.approve(done, 1, facts, "boss", NOW, "<m@x>", send_unknown=unknown)


def test_content_hash_covers_recipient_subject_text_and_html() -> None:
    """The content hash changes with each of recipient, subject, text and HTML, and is a sha256."""
    v = opened().latest
    hashes = {
        v.content_hash,
        replace(v, recipient="x@y").content_hash,
        replace(v, subject="s").content_hash,
        replace(v, text="t").content_hash,
        replace(v, html="h").content_hash,
    }
    assert len(hashes) == 5 and all(h.startswith("sha256:") for h in hashes)


def test_edit_checks_the_base_version_field_names_and_state() -> None:
    """An edit must name the latest version and known fields with a valid recipient; editing an
    approved draft withdraws the approval (audited) and keeps earlier edits."""
    draft = opened()
    fields = CTX.fields(draft.kind, doc(), NOW)
    with pytest.raises(Conflict, match="based on version 7"):
        cw.edit(draft, 7, {"cause": "x"}, fields, "ann", NOW, render)
    with pytest.raises(BadInput, match=r"fields\.colour"):
        cw.edit(draft, 1, {"colour": "x"}, fields, "ann", NOW, render)
    with pytest.raises(BadInput, match="recipient"):
        cw.edit(draft, 1, {"recipient": "nobody"}, fields, "ann", NOW, render)
    ok, _ = cw.edit(draft, 1, {"recipient": "vakt@nkom.no"}, fields, "ann", NOW, render)
    assert ok.latest.recipient == "vakt@nkom.no"
    # editing an approved draft withdraws the approval (audited)
    again, events = cw.edit(approved(ok), 2, {"cause": "strøm"}, fields, "ann", NOW, render)
    assert again.state == "draft" and again.approval is None
    assert [e.action for e in events] == ["draft.edited", "draft.approval_withdrawn"]
    assert again.latest.recipient == "vakt@nkom.no"  # earlier edits carry over


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("recipient", "vakt@nkom.no\nBcc: x@evil.example"),
        ("recipient", "vakt@nkom.no\r"),
        ("recipient", "a@b"),
        ("recipient", "vakt@nkom.no, "),
        ("reference", "R-1\u2028X: y"),
        ("reference", "R-1\r\nX: y"),
    ],
)
def test_edits_of_header_fields_refuse_line_breaks_and_non_addresses(key: str, value: str) -> None:
    """Recipient and reference end up in mail headers: line breaks and non-addresses are a
    BadInput naming the field, and several real addresses pass."""
    draft = opened("pts_initial")
    fields = CTX.fields(draft.kind, doc(), NOW)
    with pytest.raises(BadInput, match=rf"fields\.{key}"):
        cw.edit(draft, 1, {key: value}, fields, "ann", NOW, render)
    ok, _ = cw.edit(draft, 1, {"recipient": "a@pts.se, b@pts.se"}, fields, "ann", NOW, render)
    assert ok.latest.recipient == "a@pts.se, b@pts.se"


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("cause_preliminary", "Fiberbrudd\x1b[31m", "U+001B"),
        ("cause_preliminary", "Fiberbrudd\x00", "U+0000"),
        ("cause_preliminary", "Fiberbrudd\x85", "U+0085"),
        ("cause_preliminary", "Fiber\u202ebrudd", "U+202E"),
        ("cause_preliminary", "Fiber\u2067brudd", "U+2067"),
        ("cause_preliminary", "Fiber\ud800brudd", "U+D800"),
        ("reference", "R-1\x1b", "U+001B"),
    ],
)
def test_edits_refuse_control_and_bidirectional_characters(
    key: str, value: str, named: str
) -> None:
    """What a person writes goes to the regulator as written: a field of several lines keeps
    line ends (a client's CRLF too) and tabs, and a soft hyphen or zero-width space pasted
    from a word processor; no other control character, no bidirectional control."""
    draft = opened("pts_initial")
    fields = CTX.fields(draft.kind, doc(), NOW)
    with pytest.raises(BadInput, match=rf"fields\.{key}: .*{re.escape(named)}"):
        cw.edit(draft, 1, {key: value}, fields, "ann", NOW, render)
    text = "Fiberbrudd.\r\n\tGrave\u00adarbeid\u200b ved Heimdal."
    ok, _ = cw.edit(draft, 1, {"cause_preliminary": text}, fields, "ann", NOW, render)
    assert ok.latest.fields["cause_preliminary"] == text


def test_an_approved_draft_whose_message_cannot_be_built_fails_for_a_person() -> None:
    """The outbox's unsendable outcome: failed, flagged with the reason, audited, never retried,
    and an edit reopens it."""
    draft = approved(opened())
    failed, events = cw.unsendable(draft, NOW, "ValueError: bad header")
    assert failed.state == "failed" and failed.next_attempt_at is None
    assert "could not be built" in (failed.flag or "") and "bad header" in (failed.flag or "")
    assert [(e.action, e.detail["error"]) for e in events] == [
        ("outbox.failed", "ValueError: bad header")
    ]
    with pytest.raises(Conflict):
        cw.unsendable(failed, NOW, "again")
    fields = CTX.fields(failed.kind, doc(), NOW)
    reopened, _ = cw.edit(failed, 1, {"cause": "x"}, fields, "ann", NOW, render)
    assert reopened.state == "draft"


def test_delivery_outcomes_and_backoff() -> None:
    """A transient failure puts the draft back to approved with a retry delay doubling from
    retry_initial up to retry_max; a delivery makes it sent (audited with hash and Message-ID), a
    permanent failure failed."""
    draft = approved(opened())
    sending, _ = cw.claim(draft, NOW)
    assert sending.state == "sending" and sending.attempts[-1].outcome == "started"
    retry, events = cw.transient_failure(
        sending, NOW, "451 later", timedelta(seconds=30), timedelta(minutes=10)
    )
    assert retry.state == "approved" and retry.next_attempt_at == NOW + timedelta(seconds=30)
    assert events[0].action == "outbox.retry"
    second, _ = cw.claim(retry, NOW)
    retry2, _ = cw.transient_failure(
        second, NOW, "no route", timedelta(seconds=30), timedelta(minutes=10)
    )
    assert retry2.next_attempt_at == NOW + timedelta(minutes=1)
    assert [
        cw.retry_delay(n, timedelta(seconds=30), timedelta(minutes=10)).total_seconds()
        for n in (1, 2, 3, 6, 9)
    ] == [
        30,
        60,
        120,
        600,
        600,
    ]
    third, _ = cw.claim(retry2, NOW)
    sent, events = cw.delivered(third, NOW, "250 ok")
    assert sent.state == "sent" and sent.sent_at == NOW
    assert events[0].action == "outbox.sent"
    assert events[0].detail["content_hash"] == draft.approval.content_hash  # type: ignore[union-attr]
    assert events[0].detail["message_id"] == "<m@x>"
    refused, events = cw.permanent_failure(cw.claim(draft, NOW)[0], NOW, "550 no such user")
    assert refused.state == "failed" and "550" in (refused.flag or "")


def test_a_send_cut_off_midway_is_in_doubt_until_a_person_resolves_it() -> None:
    """A send cut off midway is in doubt, cannot be claimed again, and needs a person to resend
    (same Message-ID) or mark it sent, with a comment."""
    sending, _ = cw.claim(approved(opened()), NOW)
    doubt, events = cw.interrupted(sending, NOW)
    assert doubt.state == "in_doubt" and events[0].action == "outbox.in_doubt"
    with pytest.raises(Conflict):
        cw.claim(doubt, NOW)
    with pytest.raises(BadInput):
        cw.resolve_doubt(doubt, "shrug", "boss", "", NOW)
    resend, _ = cw.resolve_doubt(doubt, "resend", "boss", "Nkom saw nothing", NOW)
    assert resend.state == "approved" and resend.message_id == sending.message_id
    marked, events = cw.resolve_doubt(doubt, "mark_sent", "boss", "Nkom confirmed", NOW)
    assert marked.state == "sent" and events[0].action == "outbox.mark_sent"


def test_a_restored_store_puts_what_the_outbox_would_send_in_doubt_for_a_person() -> None:
    """After a restore from a backup, an approved e-mail draft and one left sending go in doubt
    (audited with the reason, the state it was in and the backup's time), keep their Message-ID
    for a person's resend, and are not claimable; any other draft is refused (nothing to do)."""
    taken = NOW - timedelta(hours=3)
    ready = approved(opened())
    sending, _ = cw.claim(ready, NOW)
    for draft in (ready, sending):
        assert cw.at_risk_after_restore(draft)
        doubt, events = cw.restored(draft, taken, "cli:ops", NOW)
        assert doubt.state == "in_doubt" and doubt.revision == draft.revision + 1
        assert doubt.next_attempt_at is None and doubt.message_id == draft.message_id
        assert taken.isoformat() in (doubt.flag or "")
        [event] = events
        assert (event.action, event.actor) == ("outbox.in_doubt", "cli:ops")
        assert event.detail["was"] == draft.state
        assert event.detail["backup_taken_at"] == taken.isoformat()
        with pytest.raises(Conflict):
            cw.claim(doubt, NOW)
        resend, _ = cw.resolve_doubt(doubt, "resend", "boss", "Nkom has no record", NOW)
        assert resend.state == "approved" and resend.message_id == draft.message_id
    portal = replace(ready, channel=cw.PORTAL)
    for other in (opened(), portal, cw.delivered(sending, NOW, "250 ok")[0]):
        assert not cw.at_risk_after_restore(other)
        with pytest.raises(Conflict):
            cw.restored(other, taken, "cli:ops", NOW)


def test_reject_needs_a_reason_and_an_edit_reopens() -> None:
    """Rejecting needs a reason; a rejected draft is not refreshed by changed facts, and a person's
    edit reopens it as a draft."""
    draft = opened()
    with pytest.raises(BadInput, match="reason"):
        cw.reject(draft, "boss", " ", NOW)
    rejected, _ = cw.reject(draft, "boss", "not significant after review", NOW)
    assert rejected.state == "rejected"
    assert (
        cw.refresh(rejected, CTX.fields(draft.kind, with_impact(doc(), peak=1), NOW), NOW, render)
        is None
    )
    reopened, _ = cw.edit(
        rejected, 1, {"cause": "x"}, CTX.fields(draft.kind, doc(), NOW), "ann", NOW, render
    )
    assert reopened.state == "draft"


def test_progress_gives_the_engine_events_and_each_kinds_latest_state() -> None:
    """progress() tells the engine when the initial report was sent, the latest significant change,
    when each kind's latest report was done with (for how late it was), and each kind's latest
    draft state."""
    initial = opened(
        "pts_initial", doc(impact={"by_region": {"SE-2380": 5}, "peak": 5, "current": 5})
    )
    sent, _ = cw.delivered(cw.claim(approved(initial), NOW)[0], NOW + timedelta(hours=1), "250")
    update1 = replace(
        opened(), kind="nkom_update", round=1, state="sent", trigger={"significant_change": NOW}
    )
    update2 = replace(
        update1, round=2, state="draft", trigger={"significant_change": NOW + timedelta(hours=2)}
    )
    progress = cd.progress([sent, update1, update2])
    assert progress.events == {
        "initial_sent": NOW + timedelta(hours=1),
        "significant_change": NOW + timedelta(hours=2),
        "done:pts_initial": NOW + timedelta(hours=1),
    }
    assert progress.states == {"pts_initial": "sent", "nkom_update": "draft"}


@pytest.mark.parametrize(
    ("draft_state", "due_in", "expected"),
    [
        (None, 1, "open"),
        ("draft", 1, "drafted"),
        ("held", 1, "drafted"),
        ("approved", 1, "approved"),
        ("in_doubt", 1, "approved"),
        ("sent", -1, "sent"),
        ("rejected", -1, "rejected"),
        ("approved", -1, "overdue"),
        (None, -1, "overdue"),
        (None, None, "open"),
    ],
)
def test_obligation_state_follows_the_draft(
    draft_state: str | None, due_in: int | None, expected: str
) -> None:
    """An obligation's state follows its draft's (held counts as drafted, in doubt as approved),
    and an unsent one past its due time is overdue."""
    due = None if due_in is None else NOW + timedelta(hours=due_in)
    assert obligation_state(draft_state, due, NOW) == expected


def test_significant_changes_name_what_changed() -> None:
    """A change of affected connections beyond the threshold, a new region, cause or severity is
    significant and named; below the threshold or with the rules off it is not."""
    base = cd.snapshot(doc(), "severity")
    assert base == {
        "current": 4000,
        "flags_now": [],
        "regions": ["NO-0301"],
        "services": ["internet"],
        "current_regions": [],
        "current_services": [],
        "causes": ["fibre cut"],
        "severities": ["major"],
        "expected": "",
    }
    rules = cd.ChangeRules()
    assert cd.significant_changes(base, base, rules) == []
    assert cd.significant_changes(base, {**base, "current": 4900}, rules) == []  # 22.5 %
    assert "4000 → 5000" in cd.significant_changes(base, {**base, "current": 5000}, rules)[0]
    assert cd.significant_changes(base, {**base, "regions": ["NO-0301", "NO-4601"]}, rules) == [
        "new region: NO-4601"
    ]
    assert cd.significant_changes(base, {**base, "causes": ["fibre cut", "power"]}, rules)
    assert cd.significant_changes(base, {**base, "severities": ["critical"]}, rules)
    quiet = cd.ChangeRules(impact_change=0, new_region=False)
    assert cd.significant_changes(base, {**base, "current": 1, "regions": ["X"]}, quiet) == []


def owes(*kinds: str, due: datetime | None = NOW) -> list[cd.Owed]:
    return [cd.Owed(k, due) for k in kinds]


def apply(drafts: list[cw.Draft], writes: list[cd.Write]) -> list[cw.Draft]:
    by_id = {d.id: d for d in drafts}
    for draft, expected, _ in writes:
        assert (by_id[draft.id].revision if draft.id in by_id else None) == expected
        by_id[draft.id] = draft
    return list(by_id.values())


def test_reconcile_opens_drafts_only_for_obligations_whose_clock_runs() -> None:
    """Reconcile opens drafts only for obligations with a due time, and writes nothing when the
    drafts are up to date."""
    owed = [
        cd.Owed("nkom_varsel", NOW),
        cd.Owed("nkom_update", None),
        cd.Owed("nkom_normalised", None),
    ]
    writes = cd.reconcile(doc(), owed, [], CTX, NOW)
    assert [(w[0].kind, w[1]) for w in writes] == [("nkom_varsel", None)]
    drafts = apply([], writes)
    assert cd.reconcile(doc(), owed, drafts, CTX, NOW) == []  # nothing new: nothing written


def test_reconcile_opens_the_next_update_round_only_after_the_last_notice_was_sent() -> None:
    """An unsent varsel is re-rendered on a change; after it was sent a significant change opens
    update round 1, and no round 2 opens while round 1 is unsent."""
    owed = [cd.Owed("nkom_varsel", NOW), cd.Owed("nkom_update", None)]
    drafts = apply([], cd.reconcile(doc(), owed, [], CTX, NOW))
    grown = with_impact(doc(), current=8000, peak=8000, by_service={"internet": 8000})
    # the varsel is not sent yet: it is re-rendered, no update opens
    writes = cd.reconcile(grown, owed, drafts, CTX, NOW)
    assert [(w[0].kind, w[0].latest.number) for w in writes] == [("nkom_varsel", 2)]
    drafts = apply(drafts, writes)
    varsel = approved(drafts[0])
    varsel, _ = cw.delivered(cw.claim(varsel, NOW)[0], NOW, "250")
    assert cd.reconcile(grown, owed, [varsel], CTX, NOW) == []  # sent with these facts
    later = NOW + timedelta(minutes=30)
    halved = with_impact(grown, current=3000)
    writes = cd.reconcile(halved, owed, [varsel], CTX, later)
    assert [(w[0].kind, w[0].round, w[1]) for w in writes] == [("nkom_update", 1, None)]
    update = writes[0][0]
    assert update.trigger == {"significant_change": later}
    assert "8000 → 3000" in writes[0][2][0].detail["significant_change"][0]
    # while that update is unsent, no second round opens
    assert all(
        w[0].kind != "nkom_update" or w[0].round == 1
        for w in cd.reconcile(with_impact(halved, current=1), owed, [varsel, update], CTX, later)
    )
    # once the incident is remedied, the normalised notice follows instead of updates
    assert (
        cd.reconcile({**halved, "remedied_at": "2026-11-23T13:00:00Z"}, owed, [varsel], CTX, later)
        == []
    )


def test_reconcile_withdraws_unsent_drafts_that_are_no_longer_owed() -> None:
    """Reconcile withdraws an unsent draft that is no longer owed (audited); a sent one stays
    sent."""
    drafts = apply([], cd.reconcile(doc(), owes("nkom_varsel"), [], CTX, NOW))
    writes = cd.reconcile(doc(), [], drafts, CTX, NOW)
    assert [(w[0].state, w[2][0].action) for w in writes] == [("withdrawn", "draft.withdrawn")]
    sent, _ = cw.delivered(cw.claim(approved(drafts[0]), NOW)[0], NOW, "250")
    assert cd.reconcile(doc(), [], [sent], CTX, NOW) == []  # what was sent stays sent


def test_stored_form_round_trips_exactly() -> None:
    """A draft survives to_dict/from_dict exactly, also through JSON with sorted keys (the fields
    keep the regulator's order)."""
    draft = approved(opened("pts_initial"))
    draft, _ = cw.transient_failure(
        cw.claim(draft, NOW)[0], NOW, "451", timedelta(seconds=30), timedelta(minutes=10)
    )
    draft = replace(draft, trigger={"x": NOW}, snapshot={"current": 3})
    assert codec.from_dict(codec.to_dict(draft)) == draft
    # through a store's JSON, which sorts object keys: the fields keep the regulator's order
    stored = orjson.loads(orjson.dumps(codec.to_dict(draft), option=orjson.OPT_SORT_KEYS))
    assert list(codec.from_dict(stored).latest.fields) == list(draft.latest.fields)
    assert next(iter(draft.latest.fields)) == "networks_services"


def sent_varsel(edits: dict[str, str], at: datetime = NOW) -> cw.Draft:
    """The Nkom varsel of doc(), edited by a person, approved and sent at ``at``."""
    (draft,) = apply([], cd.reconcile(doc(), owes("nkom_varsel"), [], CTX, at))
    fields = CTX.fields("nkom_varsel", doc(), at)
    draft, _ = cw.edit(draft, 1, edits, fields, "anne", at, render)
    return cw.delivered(cw.claim(approved(draft, at), at)[0], at, "250")[0]


def test_an_update_keeps_what_a_person_wrote_in_the_varsel_and_says_what_changed() -> None:
    """The next nkom_update round opens with the person's life-and-health assessment and expected
    duration from the varsel as sent, and its first field lists what changed since: impact from
    → to, new services and regions by name, severity."""
    varsel = sent_varsel(
        {
            "scope_life_health": "Nei, ingen fare for liv og helse.",
            "expected_duration": "ca. 4 timer",
        }
    )
    grown = doc(
        impact={
            "current": 9000,
            "peak": 9000,
            "by_service": {"internet": 9000, "mobile": 2000},
            "by_region": {"NO-0301": 9000, "NO-4601": 2000},
            "region_names": {"NO-0301": "Oslo", "NO-4601": "Bergen"},
        },
        alert_details=[
            {
                "status": "firing",
                "labels": {"severity": "critical"},
                "annotations": {"cause": "fibre cut"},
            }
        ],
    )
    later = NOW + timedelta(hours=1)
    owed = [cd.Owed("nkom_varsel", NOW), cd.Owed("nkom_update", None)]
    writes = cd.reconcile(grown, owed, [varsel], CTX, later)
    (update,) = [w[0] for w in writes if w[0].kind == "nkom_update"]
    fields = update.latest.fields
    assert fields["scope_life_health"] == "Nei, ingen fare for liv og helse."
    assert fields["expected_duration"] == "ca. 4 timer"
    assert set(update.latest.edited) == {"scope_life_health", "expected_duration"}
    assert fields["changes"].splitlines() == [
        "Forrige varsel ble sendt 23.11.2026 kl. 13.00 norsk tid. Siden da:",
        "- Berørte kunder: 4 000 → 9 000",
        "- Nye tjenester rammet: Mobiltelefoni og mobildata",
        "- Nye områder berørt: Bergen",
        "- Alvorlighetsgrad: alvorlig → kritisk",
    ]
    assert "changes" not in update.latest.to_complete
    # a later change of the facts re-renders the update and keeps the carried text
    again = cd.reconcile(with_impact(grown, current=5000), owed, [varsel, update], CTX, later)
    (refreshed,) = [w[0] for w in again if w[0].kind == "nkom_update"]
    assert refreshed.latest.fields["scope_life_health"] == "Nei, ingen fare for liv og helse."
    assert "- Berørte kunder: 4 000 → 5 000" in refreshed.latest.fields["changes"]


def test_the_normalised_notice_starts_from_the_last_notice_sent() -> None:
    """The normalised notice keeps the person's text from the last sent varsel and says when
    service was restored; it has no expected duration any more."""
    varsel = sent_varsel({"scope_life_health": "Nei."})
    done = doc(
        state="closed",
        remedied_at="2026-11-23T14:05:00Z",
        impact={**doc()["impact"], "current": 0, "peak_at": "2026-11-23T09:10:00Z"},
    )
    owed = [cd.Owed("nkom_varsel", NOW), cd.Owed("nkom_normalised", NOW)]
    (normalised,) = [w[0] for w in cd.reconcile(done, owed, [varsel], CTX, NOW) if w[1] is None]
    fields = normalised.latest.fields
    assert fields["scope_life_health"] == "Nei."
    assert "expected_duration" not in fields
    assert fields["normalised"].startswith(
        "Tjenestene var normalisert 23.11.2026 kl. 15.05 norsk tid."
    )
    assert "Samlet varighet: 5 timer (fra 23.11.2026 kl. 10.05 norsk tid)." in fields["normalised"]
    assert fields["changes"].startswith("Forrige varsel ble sendt 23.11.2026 kl. 13.00 norsk tid.")


def test_the_pts_supplementary_report_carries_the_person_s_cause_from_the_initial_report() -> None:
    """A cause a person wrote in the sent initial report opens the supplementary report's causes;
    the report opens with what changed since the initial one."""
    (initial,) = apply([], cd.reconcile(doc(), owes("pts_initial"), [], CTX, NOW))
    fields = CTX.fields("pts_initial", doc(), NOW)
    initial, _ = cw.edit(
        initial, 1, {"cause_preliminary": "Grävskada på fiber"}, fields, "anne", NOW, render
    )
    initial = cw.delivered(cw.claim(approved(initial), NOW)[0], NOW, "250")[0]
    owed = [cd.Owed("pts_initial", NOW), cd.Owed("pts_supplementary", NOW)]
    cleared = doc(impact={**doc()["impact"], "current": 0})
    (supp,) = [w[0] for w in cd.reconcile(cleared, owed, [initial], CTX, NOW) if w[1] is None]
    assert supp.latest.fields["causes"] == "Grävskada på fiber"
    assert supp.latest.fields["changes"].startswith("Den inledande rapporten skickades ")


STORED = (
    Path(__file__).resolve().parents[1] / "data" / "drafts" / "nkom_varsel_sent_by_a1e086c.json"
)


def test_a_draft_stored_by_the_previous_code_loads_and_an_update_starts_from_it() -> None:
    """A varsel stored (and sent) by the code before this change loads exactly, and the next
    update round starts from it: the person's text kept, what changed listed; facts its older
    snapshot lacks (regions cleared, expected normalisation) are left out, not guessed."""
    stored = orjson.loads(STORED.read_bytes())
    varsel = codec.from_dict(stored)
    assert codec.to_dict(varsel) == stored
    assert varsel.state == "sent" and varsel.latest.fields["scope_life_health"] == "Nei."
    grown = doc(
        impact={**doc()["impact"], "current": 8000, "peak": 8000, "by_service": {"internet": 8000}}
    )
    later = NOW + timedelta(hours=1)
    owed = [cd.Owed("nkom_varsel", NOW), cd.Owed("nkom_update", None)]
    (update,) = [w[0] for w in cd.reconcile(grown, owed, [varsel], CTX, later)]
    assert update.kind == "nkom_update"
    assert update.latest.fields["scope_life_health"] == "Nei."
    assert update.latest.fields["expected_duration"] == "ca. 4 timer"
    assert update.latest.fields["changes"].splitlines() == [
        "Forrige varsel ble sendt 23.11.2026 kl. 13.00 norsk tid. Siden da:",
        "- Berørte kunder: 4 000 → 8 000",
    ]


def test_an_incident_normalised_before_any_varsel_still_owes_both_and_neither_claims_one() -> None:
    """Normalised before a varsel went: both the varsel and the normalised notice are still
    drafted (no duty disappears); the varsel says it is already normalised instead of a
    forecast, and the normalised notice does not claim an earlier varsel (its lead and its
    changes say none was sent)."""
    done = doc(
        state="closed",
        remedied_at="2026-11-23T10:05:00Z",
        impact={**doc()["impact"], "current": 0, "peak_at": "2026-11-23T09:10:00Z"},
    )
    owed = [cd.Owed("nkom_varsel", NOW), cd.Owed("nkom_normalised", NOW)]
    drafts = {w[0].kind: w[0] for w in cd.reconcile(done, owed, [], CTX, NOW) if w[1] is None}
    assert sorted(drafts) == ["nkom_normalised", "nkom_varsel"]
    assert drafts["nkom_varsel"].latest.fields["expected_duration"] == (
        "Hendelsen er allerede normalisert. Tjenestene var normalisert 23.11.2026 kl. 11.05 "
        "norsk tid. Samlet varighet: 1 time (fra 23.11.2026 kl. 10.05 norsk tid). "
        "Høyeste antall berørte kunder: 4 000 (Bredbånd), 23.11.2026 kl. 10.10 norsk tid."
    )
    assert CTX.fields_of("nkom_normalised", done, [], NOW).lead == "Hendelsen er normalisert."
    after_varsel = CTX.fields_of("nkom_normalised", done, [sent_varsel({"cause": "x"})], NOW)
    assert after_varsel.lead == "Hendelsen vi har varslet om, er normalisert."
    assert drafts["nkom_normalised"].latest.fields["changes"] == (
        "Det er ikke sendt noe tidligere varsel om denne hendelsen."
    )


def test_another_archived_message_of_the_version_puts_it_in_doubt_and_a_resend_accepts_it() -> None:
    """The archive holds another message of the approved version: the draft goes in doubt
    (flag naming the file, audited with the names, not claimable); a person's resend makes
    exactly those files accepted for this approval, and a new approval accepts none."""
    ready = approved(opened())
    assert cw.accepted_archive(ready) == frozenset()
    later = NOW + timedelta(minutes=1)
    names = ["d.v1.eml", "d.v1.2.eml"]
    doubt, [event] = cw.archived_differs(ready, later, names, ["d.v1.eml (Message-ID <a@x>)", "…"])
    assert doubt.state == "in_doubt" and doubt.next_attempt_at is None
    assert "d.v1.eml (Message-ID <a@x>)" in (doubt.flag or "")
    assert (event.action, event.detail["archived"]) == ("outbox.in_doubt", names)
    with pytest.raises(Conflict):
        cw.claim(doubt, later)
    with pytest.raises(Conflict):
        cw.archived_differs(doubt, later, names, names)
    resend, _ = cw.resolve_doubt(doubt, "resend", "boss", "Nkom has only the first", later)
    assert cw.accepted_archive(resend) == frozenset(names)
    assert codec.from_dict(codec.to_dict(resend)) == resend  # the attempt's detail is stored
    reapproved = replace(resend, approval=replace(resend.approval, at=later + timedelta(hours=1)))
    assert cw.accepted_archive(reapproved) == frozenset()


def _flagged(**now_affected: bool) -> dict[str, Any]:
    """``impact.flags`` for Norway: each named flag affected, still (True) or no longer."""
    flags = {
        flag: {
            "inventory": 2,
            "peak": 1,
            "from": "2026-11-23T09:05:00Z",
            "until": None if still else "2026-11-23T11:05:00Z",
            "seconds": 7200,
        }
        for flag, still in now_affected.items()
    }
    return {**doc()["impact"], "flags": {"NO": flags}}


def test_112_or_a_societal_function_affected_or_restored_is_a_significant_change() -> None:
    """Nkom: "oppdatert varsel dersom det skjer vesentlige endringer underveis" (seed 003). A
    hospital's cell or the network carrying 112 coming back (or going down) while the rest
    stays is such a change, though the customers counted barely move."""
    rules = cd.ChangeRules()
    out = cd.snapshot(doc(impact=_flagged(emergency_112=True, societal=True)), "severity")
    back = cd.snapshot(doc(impact=_flagged(emergency_112=False, societal=False)), "severity")
    assert cd.significant_changes(out, out, rules) == []
    assert cd.significant_changes(out, back, rules) == [
        "no longer affected: emergency_112, societal"
    ]
    assert cd.significant_changes(back, out, rules) == ["now affected: emergency_112, societal"]
    # another country's flags are not Nkom's
    swedish = {**doc()["impact"], "flags": {"SE": _flagged(societal=True)["flags"]["NO"]}}
    assert cd.significant_changes(back, cd.snapshot(doc(impact=swedish), "severity"), rules) == []
    # a snapshot stored before this rule compares nothing (no update opened by an upgrade)
    old = {k: v for k, v in back.items() if k != "flags_now"}
    assert cd.significant_changes(old, out, rules) == []
    assert cd.significant_changes(out, back, cd.ChangeRules(flags_change=False)) == []


def test_a_rejected_update_stays_decided_until_the_incident_changes_again() -> None:
    """A person who rejects an update ("the cause annotation is not news for Nkom") decided on
    the facts it showed: no new round opens at once for the same change (each new round moved
    the update's due time later, hiding the first), only a further significant change since
    those facts opens one."""
    owed = [cd.Owed("nkom_varsel", NOW), cd.Owed("nkom_update", None)]
    drafts = apply([], cd.reconcile(doc(), owed, [], CTX, NOW))
    varsel, _ = cw.delivered(cw.claim(approved(drafts[0]), NOW)[0], NOW, "250")
    later = NOW + timedelta(minutes=30)
    halved = with_impact(doc(), current=2000)
    (write,) = cd.reconcile(halved, owed, [varsel], CTX, later)
    rejected, _ = cw.reject(write[0], "kari", "not news for Nkom", later)
    assert cd.reconcile(halved, owed, [varsel, rejected], CTX, later + timedelta(seconds=1)) == []
    # a change beyond the rules since what the person saw opens the next round
    quarter = with_impact(doc(), current=1000)
    writes = cd.reconcile(quarter, owed, [varsel, rejected], CTX, later + timedelta(minutes=5))
    assert [(w[0].kind, w[0].round) for w in writes] == [("nkom_update", 2)]


def _copy(draft: cw.Draft, at: datetime) -> cw.LeftCopy:
    """What the archive says of version 1 of ``draft``, sent after a backup."""
    return cw.LeftCopy(
        file=f"{draft.id}.v1.eml",
        version=1,
        at=at,
        recipient="ekomvarsling@nkom.no",
        message_id="<left@x>",
        approved_by="olga",
        approved_at=at - timedelta(minutes=1),
        second_factor_at=at - timedelta(minutes=2),
        content_hash=draft.version(1).content_hash,
    )


def test_a_draft_whose_notice_left_after_the_backup_is_held_until_a_person_decides() -> None:
    """The archive shows a message of a draft handed over after the backup; the restored store
    has it as a draft (or held, rejected, failed, withdrawn): in doubt, saying what left, not
    re-rendered or claimable; "mark sent" takes that copy's time, Message-ID and approval;
    "resend" is a knowing decision that brings it back to draft, the copy accepted beside it."""
    taken, left_at = NOW - timedelta(hours=3), NOW - timedelta(hours=1)
    draft = opened()
    copy = _copy(draft, left_at)
    doubt, [event] = cw.left_after_backup(draft, taken, "cli:ops", NOW, copy)
    assert doubt.state == "in_doubt" and doubt.next_attempt_at is None
    assert copy.says() in (doubt.flag or "") and "the store does not know" in (doubt.flag or "")
    assert (event.action, event.detail["was"]) == ("outbox.in_doubt", "draft")
    assert event.detail["copy"]["second_factor_at"] == copy.second_factor_at.isoformat()  # type: ignore[union-attr]
    assert cw.left_copy(doubt) == copy
    assert "acceptance not recorded" in replace(copy, accepted=False).says()
    assert codec.from_dict(codec.to_dict(doubt)) == doubt
    with pytest.raises(Conflict):
        cw.claim(doubt, NOW)
    assert "in_doubt" not in cw.FOLLOWS_INCIDENT

    marked, [entry] = cw.resolve_doubt(doubt, "mark_sent", "boss", "Nkom has it", NOW)
    assert (marked.state, marked.sent_at, marked.message_id) == ("sent", left_at, "<left@x>")
    assert marked.approval is not None and marked.approval.by == "olga"
    assert marked.approval.second_factor_at == copy.second_factor_at
    assert entry.detail["copy"]["message_id"] == "<left@x>"

    again, [entry] = cw.resolve_doubt(doubt, "resend", "boss", "Nkom lost it", NOW)
    assert again.state == "draft" and again.approval is None and again.next_attempt_at is None
    assert entry.detail["sent_again"] is True
    assert cw.accepted_archive(again) == frozenset({copy.file})
    reapproved = approved(again, NOW + timedelta(minutes=5))
    assert copy.file in cw.accepted_archive(reapproved)

    for other in (approved(draft), cw.delivered(cw.claim(approved(draft), NOW)[0], NOW, "250")[0]):
        with pytest.raises(Conflict):
            cw.left_after_backup(other, taken, "cli:ops", NOW, copy)


def test_an_approved_draft_whose_notice_left_after_the_backup_says_what_left() -> None:
    """Approved in the backup, sent after it: in doubt with the archive's copy; a resend sends
    the store's own approval again, the copy's file accepted beside it."""
    taken = NOW - timedelta(hours=3)
    ready = approved(opened())
    copy = _copy(ready, NOW - timedelta(hours=1))
    doubt, [event] = cw.restored(ready, taken, "cli:ops", NOW, copy)
    assert doubt.state == "in_doubt" and copy.says() in (doubt.flag or "")
    assert event.detail["was"] == "approved" and event.detail["copy"]["file"] == copy.file
    resend, _ = cw.resolve_doubt(doubt, "resend", "boss", "again", NOW)
    assert resend.state == "approved" and resend.approval == ready.approval
    assert cw.accepted_archive(resend) == frozenset({copy.file})


def over(at: str = "2026-11-23T14:05:00Z") -> dict[str, Any]:
    """doc() once it is over: restored at ``at``, nothing affected now."""
    return doc(
        state="closed",
        remedied_at=at,
        impact={**doc()["impact"], "current": 0, "peak_at": "2026-11-23T09:10:00Z"},
    )


def test_text_carried_from_a_notice_sent_while_ongoing_is_to_review_once_it_is_over() -> None:
    """The normalised notice drafted after the end carries the person's present-tense text from
    the varsel sent while the incident was ongoing: that field is to review, and approval is
    refused until it is confirmed by name or saved again in this draft."""
    varsel = sent_varsel({"scope_life_health": "St. Olavs hospital er berørt, men drives videre."})
    owed = [cd.Owed("nkom_varsel", NOW), cd.Owed("nkom_normalised", NOW)]
    later = NOW + timedelta(hours=3)
    (normalised,) = [w[0] for w in cd.reconcile(over(), owed, [varsel], CTX, later) if w[1] is None]
    latest = normalised.latest
    assert latest.to_review == ("scope_life_health",)
    assert "written while the incident was ongoing" in cw.REVIEW_NOTE
    with pytest.raises(BadInput) as refused:
        cw.approve(
            normalised,
            1,
            latest.facts,
            "token:boss",
            later,
            "<m@x>",
            send_unknown=latest.to_complete,
        )
    assert refused.value.field == "confirm_carried"
    assert "scope_life_health" in str(refused.value)
    with pytest.raises(BadInput):  # only a field to review can be confirmed
        cw.approve(
            normalised,
            1,
            latest.facts,
            "token:boss",
            later,
            "<m@x>",
            send_unknown=latest.to_complete,
            confirm_carried=["scope_life_health", "cause"],
        )
    ok, events = cw.approve(
        normalised,
        1,
        latest.facts,
        "token:boss",
        later,
        "<m@x>",
        send_unknown=latest.to_complete,
        confirm_carried=["scope_life_health"],
    )
    assert ok.state == cw.APPROVED
    assert events[0].detail["confirmed_carried"] == ["scope_life_health"]


def test_saving_a_carried_field_again_settles_its_review_and_a_refresh_keeps_it_settled() -> None:
    """A person saving the carried field (reworded or as it is) settles it; the draft refreshed
    by a later change of the incident does not ask again."""
    varsel = sent_varsel({"scope_life_health": "Sykehuset er berørt.", "cause": "Graving."})
    owed = [cd.Owed("nkom_varsel", NOW), cd.Owed("nkom_normalised", NOW)]
    later = NOW + timedelta(hours=3)
    (normalised,) = [w[0] for w in cd.reconcile(over(), owed, [varsel], CTX, later) if w[1] is None]
    assert normalised.latest.to_review == ("cause", "scope_life_health")
    fields = CTX.fields_of("nkom_normalised", over(), [varsel], later)
    saved, _ = cw.edit(
        normalised, 1, {"scope_life_health": "Sykehuset var berørt."}, fields, "anne", later, render
    )
    assert saved.latest.to_review == ("cause",)
    saved, _ = cw.edit(saved, 2, {"cause": "Graving."}, fields, "anne", later, render)  # as it is
    assert saved.latest.to_review == ()
    moved = over("2026-11-23T14:15:00Z")
    writes = cd.reconcile(moved, owed, [varsel, saved], CTX, later)
    (refreshed,) = [w[0] for w in writes if w[0].kind == "nkom_normalised"]
    assert refreshed.latest.number == 4 and refreshed.latest.to_review == ()
    assert codec.from_dict(codec.to_dict(refreshed)) == refreshed


def test_text_carried_while_ongoing_or_written_after_the_end_is_not_to_review() -> None:
    """An update drafted while the incident goes on carries the text as written, with nothing
    to review; a notice sent after the end was written knowing it was over. A draft opened
    while ongoing is asked to review its carried text once a refresh finds it over."""
    varsel = sent_varsel({"scope_life_health": "Nei."})
    grown = with_impact(doc(), current=9000, by_region={"NO-0301": 9000, "NO-4601": 10})
    owed = [cd.Owed("nkom_varsel", NOW), cd.Owed("nkom_update", None)]
    later = NOW + timedelta(hours=1)
    (update,) = [w[0] for w in cd.reconcile(grown, owed, [varsel], CTX, later)]
    assert update.latest.to_review == ()
    late = sent_varsel({"scope_life_health": "Nei."}, at=NOW + timedelta(hours=5))
    owed_n = [cd.Owed("nkom_varsel", NOW), cd.Owed("nkom_normalised", NOW)]
    end = NOW + timedelta(hours=6)
    (normalised,) = [w[0] for w in cd.reconcile(over(), owed_n, [late], CTX, end) if w[1] is None]
    assert normalised.latest.to_review == ()
    # PTS: the supplementary report opened while ongoing, refreshed once it is over
    (initial,) = apply([], cd.reconcile(doc(), owes("pts_initial"), [], CTX, NOW))
    pts = CTX.fields("pts_initial", doc(), NOW)
    initial, _ = cw.edit(initial, 1, {"cause_preliminary": "Grävskada"}, pts, "anne", NOW, render)
    initial = cw.delivered(cw.claim(approved(initial), NOW)[0], NOW, "250")[0]
    owed_p = [cd.Owed("pts_initial", NOW), cd.Owed("pts_supplementary", NOW)]
    (supp,) = [w[0] for w in cd.reconcile(doc(), owed_p, [initial], CTX, NOW) if w[1] is None]
    assert supp.latest.to_review == ()
    (after,) = [w[0] for w in cd.reconcile(over(), owed_p, [initial, supp], CTX, later)]
    assert after.latest.fields["causes"] == "Grävskada"
    assert after.latest.to_review == ("causes",)


def test_no_prefilled_field_of_a_version_is_longer_than_the_bound() -> None:
    """Whatever the incident holds (a storm over thousands of areas, text an alert brought),
    no field the bridge prefilled carries more than MAX_FIELD characters into a version, its
    message or the draft page: a longer one is left to a person (to complete), the others
    stay. A person's own text is the person's."""
    areas = {f"NO-{n:05d}": 10 for n in range(3000)}
    names = {r: f"Kommune {r} med et langt navn" for r in areas}
    incident = with_impact(doc(), by_region=areas, region_names=names)
    fields = CTX.fields("nkom_varsel", incident, NOW)
    assert len(fields.fields["scope_geography"].value) > 32_000  # what the impact says
    draft = opened("nkom_varsel", incident)
    assert draft.latest.fields["scope_geography"] == ""
    assert "scope_geography" in draft.latest.to_complete
    assert "Kommune NO-00001" not in draft.latest.text + draft.latest.html
    assert draft.latest.fields["cause"] == "fibre cut"
    assert max(len(v) for v in draft.latest.fields.values()) <= 32_000
    written = "Hele landet."
    edited, _ = cw.edit(draft, 1, {"scope_geography": written}, fields, "ann", NOW, render)
    assert edited.latest.fields["scope_geography"] == written
