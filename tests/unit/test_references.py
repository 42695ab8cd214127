"""The reference a regulator was sent stays with what the incident became (docs/notices.md
"One reference per incident, as the regulator knows it"). Pure core, with the real templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from bridge.config.report_forms import builtin_forms
from bridge.core import case_drafts as cd
from bridge.core import casework as cw
from bridge.core import draft_codec as codec
from bridge.core.drafts import Sender, reference_number
from bridge.core.regrouping import split_key, split_origin
from bridge.notices.rendering import render

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
OPERATOR = Sender("Exempel Nät AB", "556000-0000", "NOC", "+46 10 000 00 00", "noc@example.net")
CTX = cd.Context(
    OPERATOR, {"pts": "incidentrapport@pts.se", "nkom": "ekomvarsling@nkom.no"}, render
)

A, H, B = "inc-20261123-aaaa0001", "inc-20261123-hhhh0002", "inc-20261123-bbbb0003"
REF_A, REF_H, REF_B = (reference_number("556000-0000", i) for i in (A, H, B))


def doc(incident: str, customers: int = 4000, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": incident,
        "state": "open",
        "started_at": "2026-11-23T09:05:00Z",
        "ended_at": None,
        "remedied_at": None,
        "impact": {
            "current": customers,
            "peak": customers,
            "by_service": {"internet": customers},
            "by_region": {"NO-0301": customers},
            "region_names": {"NO-0301": "Oslo"},
        },
        "assessments": [],
        "alert_details": [
            {"status": "firing", "labels": {"severity": "major"}, "annotations": {"cause": "x"}}
        ],
    }
    base.update(over)
    return base


def sent(
    kind: str, incident: dict[str, Any], at: datetime, drafts: Sequence[cw.Draft] = ()
) -> cw.Draft:
    """``kind`` of ``incident`` (after ``drafts``, the case's as drafting reads them) approved
    and sent at ``at``."""
    fields = CTX.fields_of(kind, incident, list(drafts), at)
    draft, _ = cw.open_draft(fields, 1, at, render)
    latest = draft.latest
    draft, _ = cw.approve(
        draft, 1, latest.facts, "kari", at, "<m@x>", send_unknown=latest.to_complete
    )
    return cw.delivered(cw.claim(draft, at)[0], at, "250")[0]


def test_the_update_after_a_merge_goes_out_under_the_reference_nkom_was_sent() -> None:
    """Incident A's varsel went to Nkom; A was merged into H (whose own varsel was never
    sent). H's update names A's reference, the one Nkom holds, and not H's."""
    varsel_a = sent("nkom_varsel", doc(A), NOW)
    assert REF_A in varsel_a.latest.subject
    host = doc(H, customers=9000)
    later = NOW + timedelta(minutes=30)
    owed = [cd.Owed("nkom_varsel", NOW), cd.Owed("nkom_update", None)]
    writes = cd.reconcile(host, owed, [varsel_a], CTX, later)
    (update,) = [w[0] for w in writes if w[0].kind == "nkom_update"]
    assert update.incident_id == H
    assert update.latest.subject == f"Oppdatert varsel – Exempel Nät AB – ref. {REF_A}"
    assert f"Referanse: {REF_A}" in update.latest.text
    assert REF_H not in update.latest.text + update.latest.html
    assert update.latest.reference == REF_A  # kept with the version, as sent


def test_two_references_sent_the_host_keeps_its_own_and_names_the_other() -> None:
    """Both had a varsel sent: the host's notices keep the host's reference and say, in
    bokmål, which other reference they now also cover."""
    varsel_b = sent("nkom_varsel", doc(B), NOW - timedelta(minutes=10))
    varsel_h = sent("nkom_varsel", doc(H), NOW)
    fields = CTX.fields_of("nkom_update", doc(H, 9000), [varsel_b, varsel_h], NOW)
    assert fields.reference == REF_H
    assert fields.reference_note == (
        f"Gjelder også hendelsen vi har varslet om under ref. {REF_B} "
        "(nå slått sammen med denne hendelsen)."
    )
    out = render(fields)
    assert out.subject == f"Oppdatert varsel – Exempel Nät AB – ref. {REF_H} (også ref. {REF_B})"
    assert f"Referanse: {REF_H}\n{fields.reference_note}\n" in out.text
    assert REF_B in out.html


def test_a_host_that_sent_nothing_keeps_the_first_reference_sent_and_names_the_later() -> None:
    first = sent("nkom_varsel", doc(A), NOW - timedelta(minutes=20))
    second = sent("nkom_varsel", doc(B), NOW - timedelta(minutes=5))
    fields = CTX.fields_of("nkom_normalised", doc(H), [second, first], NOW)
    assert fields.reference == REF_A
    assert REF_B in fields.reference_note and REF_H not in fields.reference_note


def test_the_reference_a_notice_went_under_holds_when_the_merged_in_notices_are_gone() -> None:
    """H's update went out under A's reference; what H sends next keeps it even when A's own
    drafts are no longer among H's (A split out again, a store read without them). The stored
    version keeps the reference through the store's JSON."""
    varsel_a = sent("nkom_varsel", doc(A), NOW)
    update = sent("nkom_update", doc(H, 9000), NOW + timedelta(minutes=30), [varsel_a])
    stored = codec.from_dict(orjson.loads(orjson.dumps(codec.to_dict(update))))
    assert stored == update and stored.latest.reference == REF_A
    fields = CTX.fields_of("nkom_normalised", doc(H), [stored], NOW + timedelta(hours=1))
    assert fields.reference == REF_A and fields.reference_note == ""


def test_an_incident_nothing_was_merged_into_keeps_its_own_reference_and_facts() -> None:
    """Nothing merged: the reference is the incident's own, no note, and the facts hash is the
    one the code before this change wrote (no draft is re-rendered or held by the upgrade)."""
    fields = CTX.fields("nkom_varsel", doc(A), NOW)
    assert fields.reference == REF_A and fields.reference_note == ""
    assert not fields.reference_carried
    plain = replace(fields, reference_note="x")
    assert cw.facts_of(plain) != cw.facts_of(fields)


def test_unsent_rejected_or_internal_notices_lend_no_reference() -> None:
    """Only a notice handed to the regulator counts: A's varsel still a draft does not."""
    fields = CTX.fields("nkom_varsel", doc(A), NOW)
    draft_a, _ = cw.open_draft(fields, 1, NOW, render)
    got = CTX.fields_of("nkom_update", doc(H), [draft_a], NOW)
    assert got.reference == REF_H and got.reference_note == ""


def test_pts_supplementary_after_a_merge_names_the_initial_report_s_reference() -> None:
    """A's initial report went to PTS (an incident before the repeal); A merged into H: H's
    supplementary report carries A's reference in its subject and its Referensnummer."""
    old = {"started_at": "2025-11-23T09:05:00Z"}
    initial = sent("pts_initial", doc(A, **old), NOW)
    assert initial.latest.fields["reference"] == REF_A
    fields = CTX.fields_of("pts_supplementary", doc(H, 9000, **old), [initial], NOW)
    assert fields.reference == REF_A
    assert fields.fields["reference"].value == REF_A
    assert REF_A in render(fields).subject


def test_a_regulator_s_reference_is_its_own_nkom_s_never_lends_to_pts() -> None:
    varsel_a = sent("nkom_varsel", doc(A), NOW)
    fields = CTX.fields_of("pts_supplementary", doc(H), [varsel_a], NOW)
    assert fields.reference == REF_H


def test_the_hendelsesrapport_after_a_merge_carries_the_varsel_s_reference() -> None:
    varsel_a = sent("nkom_varsel", doc(A), NOW)
    request = {
        "kind": "nkom_hendelsesrapport",
        "received_at": "2026-11-24T09:00:00Z",
        "deadline": "2026-12-04T12:00:00Z",
        "reference": "2026/04117",
    }
    host = doc(H, report_requests=[request])
    fields = CTX.fields_of("nkom_hendelsesrapport", host, [varsel_a], NOW + timedelta(days=1))
    assert fields.reference == REF_A
    assert f"Referanse: {REF_A}" in render(fields).text


def _requests(*refs: str) -> list[dict[str, Any]]:
    return [
        {
            "kind": "nkom_hendelsesrapport",
            "received_at": f"2026-11-2{4 + i}T09:00:00Z",
            "deadline": f"2026-12-0{4 + i}T12:00:00Z",
            "reference": ref,
        }
        for i, ref in enumerate(refs)
    ]


def test_the_hendelsesrapport_subject_names_nkom_s_references_first() -> None:
    """Nkom's case handler files the report by Nkom's own reference(s): the subject names
    them (each request, oldest first), then ours."""
    one = CTX.fields("nkom_hendelsesrapport", doc(A, report_requests=_requests("2026/04117")), NOW)
    assert render(one).subject == (
        f"Hendelsesrapport – Nkoms ref. 2026/04117 – Exempel Nät AB – vår ref. {REF_A}"
    )
    two = CTX.fields(
        "nkom_hendelsesrapport", doc(A, report_requests=_requests("2026/05001", "2026/05002")), NOW
    )
    assert render(two).subject == (
        "Hendelsesrapport – Nkoms ref. 2026/05001 og 2026/05002 – Exempel Nät AB – "
        f"vår ref. {REF_A}"
    )
    none = CTX.fields("nkom_hendelsesrapport", doc(A, report_requests=_requests("")), NOW)
    assert render(none).subject == f"Hendelsesrapport – Exempel Nät AB – ref. {REF_A}"


def test_the_split_off_part_starts_its_own_reference_and_says_what_it_was_part_of() -> None:
    """A person split alerts out of H, whose varsel went to Nkom: H keeps its reference; the
    split-off incident S is a new case with its own, and its notices to Nkom say, until it
    sent one, that it was part of the incident reported under H's reference."""
    varsel_h = sent("nkom_varsel", doc(H), NOW)
    assert split_origin(split_key(H, [("fp1", NOW)])) == H
    assert split_origin("olt:no-olt-b") is None
    origin = cd.split_origin_references(H, [varsel_h], OPERATOR)
    assert origin == {"incident": H, "references": {"nkom": REF_H}}
    split_off = doc(B, correlation_key=split_key(H, [("fp1", NOW)]), split_from=origin)
    fields = CTX.fields_of("nkom_varsel", split_off, [], NOW)
    assert fields.reference == REF_B
    assert fields.reference_note == (
        f"Hendelsen var tidligere en del av hendelsen vi har varslet om under ref. {REF_H}, "
        "og varsles nå som en egen hendelse."
    )
    assert fields.reference_note in render(fields).text
    # H's own next notice keeps H's reference, with no note
    assert CTX.fields_of("nkom_update", doc(H), [varsel_h], NOW).reference_note == ""
    # once S sent its first varsel, what follows names S's reference alone
    first = sent("nkom_varsel", split_off, NOW)
    later = CTX.fields_of("nkom_update", split_off, [first], NOW)
    assert later.reference == REF_B and later.reference_note == ""
    # PTS was sent nothing for H: S's PTS report says nothing of it
    assert CTX.fields_of("pts_initial", split_off, [], NOW).reference_note == ""


def test_a_merged_host_s_hendelsesrapport_names_nkom_s_references_ours_and_the_other() -> None:
    varsel_b = sent("nkom_varsel", doc(B), NOW - timedelta(minutes=10))
    varsel_h = sent("nkom_varsel", doc(H), NOW)
    host = doc(H, report_requests=_requests("2026/05001", "2026/05002", "2026/05003"))
    fields = CTX.fields_of("nkom_hendelsesrapport", host, [varsel_b, varsel_h], NOW)
    assert render(fields).subject == (
        "Hendelsesrapport – Nkoms ref. 2026/05001, 2026/05002 og 2026/05003 – Exempel Nät AB – "
        f"vår ref. {REF_H} (også ref. {REF_B})"
    )
    assert fields.reference_note in render(fields).text


def test_the_csirt_notification_after_a_merge_names_the_early_warning_s_reference() -> None:
    """A's early warning was submitted on the CSIRT's portal; A was merged into H, and H had
    submitted its own too: H's notification keeps H's reference and names A's, in Swedish,
    in its subject, after the provider and in its reference field."""
    ctx = replace(CTX, forms=builtin_forms(), channels={"se_cyber_early_warning": "portal"})
    declared = {"declaration": {"aware_at": "2026-11-23T09:10:00Z", "significant": True}}

    def submitted(incident: str, at: datetime) -> cw.Draft:
        fields = ctx.fields("se_cyber_early_warning", doc(incident, **declared), at)
        draft, _ = cw.open_draft(fields, 1, at, render, channel="portal")
        latest = draft.latest
        draft, _ = cw.approve(
            draft, 1, latest.facts, "anna", at, "<m@x>", send_unknown=latest.to_complete
        )
        return cw.record_submission(draft, at, "MCF-4711", "anna", at)[0]

    early_a, early_h = submitted(A, NOW - timedelta(hours=1)), submitted(H, NOW)
    fields = ctx.fields_of("se_cyber_notification", doc(H, **declared), [early_a, early_h], NOW)
    assert fields.reference == REF_H and fields.fields["reference"].value == REF_H
    assert fields.reference_note == (
        f"Avser även incidenten som vi har rapporterat under referensnummer {REF_A} "
        "(nu sammanslagen med denna)."
    )
    out = render(fields)
    assert out.subject.endswith(f"ref. {REF_H} (även ref. {REF_A})")
    assert fields.reference_note in out.text and fields.reference_note in out.html


def test_a_reference_a_person_wrote_in_the_sent_report_is_the_one_carried() -> None:
    """PTS's initial report names its reference in a field a person may edit: what was sent
    is what PTS holds, so the host's supplementary report carries that."""
    old = {"started_at": "2025-11-23T09:05:00Z"}
    fields = CTX.fields("pts_initial", doc(A, **old), NOW)
    draft, _ = cw.open_draft(fields, 1, NOW, render)
    draft, _ = cw.edit(draft, 1, {"reference": "PTS-2025-117"}, fields, "anna", NOW, render)
    latest = draft.latest
    draft, _ = cw.approve(
        draft, 2, latest.facts, "kari", NOW, "<m@x>", send_unknown=latest.to_complete
    )
    initial = cw.delivered(cw.claim(draft, NOW)[0], NOW, "250")[0]
    supplementary = CTX.fields_of("pts_supplementary", doc(H, **old), [initial], NOW)
    assert supplementary.reference == "PTS-2025-117"
    assert supplementary.fields["reference"].value == "PTS-2025-117"
