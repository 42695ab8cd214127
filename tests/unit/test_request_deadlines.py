"""When a report a regulator asked for is due, with plain values (bridge/core/awareness.py,
bridge/core/case_drafts.py): the earliest deadline among the requests the next report must
answer. Per reference the latest deadline Nkom set counts (Nkom moving its own deadline
replaces it), on a host for the references recorded on the incidents merged into it too; a
request a settled report listed holds no deadline, and one recorded after it was sent is owed
by a new report, which names only what is still unanswered.

The legal case: Nkom asks under reference A by 10 December and later under B by 20 December;
the bridge must not show 20 December while A is unanswered."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bridge.core import awareness, casework
from bridge.core import case_drafts as cd
from bridge.core.drafts import DraftFields, RenderedDraft, Sender

KIND = "nkom_hendelsesrapport"
INC = "inc-20261201-aa"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DEC10 = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
DEC20 = datetime(2026, 12, 20, 15, 0, tzinfo=UTC)
DEC25 = datetime(2026, 12, 25, 15, 0, tzinfo=UTC)
DEC05 = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)


def ask(
    record: awareness.Declaration | None,
    reference: str,
    deadline: datetime,
    at: datetime,
    incident_id: str = INC,
    others: tuple[awareness.Declaration, ...] = (),
) -> awareness.Declaration:
    """Nkom's request under ``reference`` by ``deadline``, recorded at ``at``."""
    found, event = awareness.request_report(
        record, incident_id, KIND, None, deadline, reference, "kari", at, others, ["NO"]
    )
    assert found is not None and event is not None
    return found


def due(
    records: list[awareness.Declaration], answered: awareness.Answered | None = None
) -> datetime:
    if answered is None:
        known = awareness.merged_events(records)
    else:
        known = awareness.merged_events(records, {KIND: answered})
    assert "nkom_deadline@NO" in known  # the jurisdiction the request was made in
    return known["nkom_deadline"]


def test_a_later_reference_with_a_later_deadline_never_hides_an_earlier_open_one() -> None:
    """A by 10 December, then B by 20 December: due 10 December while A is unanswered."""
    a = ask(None, "2026/A", DEC10, NOW)
    both = ask(a, "2026/B", DEC20, NOW + timedelta(days=1))
    assert due([both]) == DEC10
    assert awareness.events(both)["nkom_deadline"] == DEC10


def test_a_later_reference_with_an_earlier_deadline_is_due_first() -> None:
    b = ask(None, "2026/B", DEC20, NOW)
    both = ask(b, "2026/A", DEC10, NOW + timedelta(days=1))
    assert due([both]) == DEC10


def test_nkom_moving_its_deadline_replaces_that_references_deadline_only() -> None:
    """Nkom extends A to 25 December: B's 20 December is the earliest open deadline now (not
    25 December, not A's old 10 December). Nkom brings A forward to 5 December: that is."""
    both = ask(ask(None, "2026/A", DEC10, NOW), "2026/B", DEC20, NOW + timedelta(hours=1))
    extended = ask(both, "2026/A", DEC25, NOW + timedelta(days=2))
    assert due([extended]) == DEC20
    earlier = ask(extended, "2026/A", DEC05, NOW + timedelta(days=3))
    assert due([earlier]) == DEC05
    # without a reference nothing says which request a deadline belongs to: each one stands
    blank = ask(ask(None, "", DEC10, NOW), "", DEC20, NOW + timedelta(days=1))
    assert due([blank]) == DEC10


def test_a_request_a_settled_report_listed_holds_no_deadline() -> None:
    """The report sent listed A; Nkom then asks under B by 20 December: B is what the next
    report answers, due 20 December (A's passed deadline does not make it overdue), and the
    kind is owed again although its last report was sent."""
    a = ask(None, "2026/A", DEC10, NOW)
    sent = awareness.Answered(listed=frozenset({("2026/A", DEC10)}))
    assert awareness.merged_events([a], {KIND: sent})["nkom_deadline"] == DEC10  # as sent
    assert awareness.owed_again([a], {KIND: sent}) == set()
    b = ask(a, "2026/B", DEC20, DEC10 + timedelta(days=1))
    assert due([b], sent) == DEC20
    assert awareness.owed_again([b], {KIND: sent}) == {KIND}
    # a report that listed both answers both: the obligation keeps the deadline it was owed by
    both = awareness.Answered(listed=frozenset({("2026/A", DEC10), ("2026/B", DEC20)}))
    assert due([b], both) == DEC10 and awareness.owed_again([b], {KIND: both}) == set()
    # a report stored before reports listed what they answer answered what was recorded
    # before its sent version was drafted
    legacy = awareness.Answered(through=DEC10)
    assert due([b], legacy) == DEC20 and awareness.owed_again([b], {KIND: legacy}) == {KIND}
    # Nkom moving A's deadline after the report answered it asks again under A
    moved = ask(a, "2026/A", DEC25, DEC10 + timedelta(days=1))
    assert due([moved], sent) == DEC25 and awareness.owed_again([moved], {KIND: sent}) == {KIND}


def test_on_a_host_a_merged_in_incidents_reference_follows_the_same_rule() -> None:
    """A recorded on the site incident by 10 December, merged into the host. Nkom extends A to
    25 December, recorded on the host: A is due 25 December (Nkom can extend it from there);
    with the host's own B by 20 December open, 20 December."""
    site = ask(None, "2026/A", DEC10, NOW, "inc-site")
    assert due([site]) == DEC10
    host = ask(None, "2026/A", DEC25, NOW + timedelta(days=1), "inc-host", (site,))
    assert due([host, site]) == DEC25
    host = ask(host, "2026/B", DEC20, NOW + timedelta(days=2), "inc-host", (site,))
    assert due([host, site]) == DEC20
    # the site's earlier deadline under another reference is the host's earliest
    other = ask(None, "2026/C", DEC05, NOW, "inc-other")
    assert due([host, site, other]) == DEC05


def render(fields: DraftFields) -> RenderedDraft:
    body = "\n".join(f"{f.label}: {f.value or fields.placeholder}" for f in fields.fields.values())
    return RenderedDraft(f"{fields.title} {fields.reference}", body, f"<pre>{body}</pre>")


CTX = cd.Context(
    Sender("Exempel Nett AS", "999 000 000", "NOC", "+47 22 00 00 00", "noc@example.net"),
    {"nkom": "ekomvarsling@nkom.no"},
    render,
)


def incident(record: awareness.Declaration) -> dict[str, object]:
    return {
        "id": INC,
        "state": "closed",
        "started_at": "2026-11-30T07:42:00+00:00",
        "remedied_at": "2026-11-30T09:47:00+00:00",
        "impact": {"by_region": {"NO-5001": 700}, "region_names": {"NO-5001": "Trondheim"}},
        "report_requests": awareness.requests_document(record),
    }


def sent(draft: casework.Draft, at: datetime) -> casework.Draft:
    approval = casework.Approval(draft.latest.number, "anna", at, draft.latest.content_hash)
    return replace(draft, state=casework.SENT, sent_at=at, approval=approval)


def test_a_request_after_the_report_was_sent_opens_a_new_report_naming_it_alone() -> None:
    """The report listed A and was sent; B recorded after it opens round 2, which names B
    (Nkom's new request) and not A, and the drafts say what each round answered."""
    a = ask(None, "2026/A", DEC10, NOW)
    [(first, _, _)] = cd.reconcile(incident(a), [cd.Owed(KIND, DEC10)], [], CTX, NOW)
    assert "2026/A" in first.latest.fields["request"]
    done = sent(first, NOW + timedelta(days=1))
    assert cd.progress([done]).answered == {
        KIND: awareness.Answered(listed=frozenset({("2026/A", DEC10)}))
    }
    assert cd.reconcile(incident(a), [cd.Owed(KIND, DEC10)], [done], CTX, NOW) == []

    b = ask(a, "2026/B", DEC20, NOW + timedelta(days=2))
    later = NOW + timedelta(days=2)
    [(second, expected, _)] = cd.reconcile(incident(b), [cd.Owed(KIND, DEC20)], [done], CTX, later)
    assert expected is None and second.round == 2 and second.id == f"{INC}.{KIND}.2"
    text = second.latest.fields["request"]
    assert "2026/B" in text and "2026/A" not in text, text
    progress = cd.progress([done, second])
    assert progress.states == {KIND: "draft"}
    assert progress.answered[KIND].listed == frozenset({("2026/A", DEC10)})  # B still open
    again = sent(second, later + timedelta(hours=1))
    assert cd.progress([done, again]).answered[KIND].listed == frozenset(
        {("2026/A", DEC10), ("2026/B", DEC20)}
    )
    assert cd.reconcile(incident(b), [cd.Owed(KIND, DEC10)], [done, again], CTX, later) == []


def test_a_report_a_merged_in_incident_sent_answers_what_it_listed_only() -> None:
    """The site incident sent its report, listing A, then was merged into the host, whose own
    request B it never named: the host's unsent report gives way to the site's (same round,
    withdrawn), and a new round answers B, starting with what a person wrote in the host's."""
    site_record = ask(None, "2026/A", DEC10, NOW, "inc-site")
    site_doc = {**incident(site_record), "id": "inc-site"}
    [(site_draft, _, _)] = cd.reconcile(site_doc, [cd.Owed(KIND, DEC10)], [], CTX, NOW)
    site_sent = sent(site_draft, NOW + timedelta(hours=2))
    host_record = ask(None, "2026/B", DEC20, NOW + timedelta(hours=1), "inc-host")
    host_doc = {**incident(host_record), "id": "inc-host"}
    [(host_draft, _, _)] = cd.reconcile(host_doc, [cd.Owed(KIND, DEC20)], [], CTX, NOW)
    host_draft, _ = casework.edit(
        host_draft,
        1,
        {"mitigation": "Omruting kl. 10.20."},
        CTX.fields(KIND, host_doc, NOW),
        "kari",
        NOW,
        render,
    )
    assert "2026/A" not in host_draft.latest.fields["request"]

    merged = awareness.combine(host_record, [site_record])
    assert merged is not None
    both = {**incident(merged), "id": "inc-host"}
    drafts = [site_sent, host_draft]  # as the host sees them: the site's sent report first
    assert due([host_record, site_record], cd.progress(drafts).answered[KIND]) == DEC20
    writes = cd.reconcile(both, [cd.Owed(KIND, DEC20)], drafts, CTX, NOW + timedelta(hours=3))
    by_id = {d.id: (d, expected) for d, expected, _ in writes}
    withdrawn, _ = by_id[host_draft.id]
    assert withdrawn.state == casework.WITHDRAWN
    opened, expected = by_id[f"inc-host.{KIND}.2"]
    assert expected is None and opened.round == 2
    text = opened.latest.fields["request"]
    assert "2026/B" in text and "2026/A" not in text, text
    assert opened.latest.fields["mitigation"] == "Omruting kl. 10.20."
