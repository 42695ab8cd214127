"""Nkom's hendelsesrapport on request, with plain values: the request recorded
(bridge/core/awareness.py), the obligation it opens (bridge/core/obligations.py), the draft's
sections and prefill (bridge/core/hendelsesrapport.py via drafts.draft_fields) and the notices
sent it lists (bridge/core/case_drafts.sent_notices)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bridge.core import awareness, casework, hendelsesrapport
from bridge.core.case_drafts import sent_notices
from bridge.core.drafts import DraftFields, RenderedDraft, Sender, draft_fields
from bridge.core.obligations import DRAFTED, OPEN, OVERDUE, owed
from bridge.core.rules import Assessment, Criterion, RuleSet
from bridge.errors import BadInput, Conflict

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 23, 7, 42, tzinfo=UTC)  # 08.42 in Oslo
INC = "inc-20261123-aa"
KIND = "nkom_hendelsesrapport"
NKOM = RuleSet(
    "nkom-varsel",
    "nkom",
    "NO",
    "test",
    False,
    (Criterion("c", "societal"),),
    obligations=("nkom_varsel", "nkom_update", "nkom_normalised", KIND),
)
OPERATOR = Sender("Exempel Nett AS", "999 000 000", "NOC", "+47 22 00 00 00", "noc@example.net")


def not_reportable() -> Assessment:
    return Assessment("nkom-varsel", "nkom", True, False, None, (), None)


def reportable(since: datetime) -> Assessment:
    return Assessment("nkom-varsel", "nkom", True, True, since, (), None)


def asked(
    deadline: datetime, previous: awareness.Declaration | None = None
) -> awareness.Declaration:
    found, _ = awareness.request_report(previous, INC, KIND, NOW, deadline, "2026/1", "kari", NOW)
    return found


# ---- the request --------------------------------------------------------------------------


def test_nkom_may_ask_without_any_declaration_and_its_deadline_is_the_event() -> None:
    """No declaration of significance is needed: the record then says no one declared it."""
    deadline = NOW + timedelta(days=14)
    found, event = awareness.request_report(
        None, INC, KIND, NOW - timedelta(hours=1), deadline, " 2026/04117 ", "kari", NOW
    )
    assert found.significant is None and found.aware_at is None and found.revision == 1
    assert awareness.events(found) == {"nkom_deadline": deadline}
    assert awareness.declared(found) is None  # nothing for the console to call a declaration
    assert event.action == "incident.report_requested" and event.detail["kind"] == KIND
    assert event.detail["reference"] == "2026/04117"
    assert awareness.from_document(awareness.to_document(found)) == found
    [doc] = awareness.requests_document(found)
    assert doc["kind"] == KIND and doc["deadline"] == deadline.isoformat()


def test_a_later_request_moves_the_deadline_and_declaring_keeps_the_requests() -> None:
    first = asked(NOW + timedelta(days=14))
    second = asked(NOW + timedelta(days=7), first)
    assert awareness.events(second) == {"nkom_deadline": NOW + timedelta(days=7)}
    assert awareness.latest_request(second, KIND) == second.requests[-1]
    assert awareness.latest_request(second, "se_cyber_intermediate") is None
    declared, _ = awareness.declare(second, INC, True, None, "", "anna", NOW)
    assert declared.requests == second.requests and declared.revision == 3
    assert awareness.events(declared) == {"aware": NOW, "nkom_deadline": NOW + timedelta(days=7)}


def test_the_csirts_request_still_needs_a_declaration_and_a_bad_kind_is_named() -> None:
    with pytest.raises(Conflict):
        awareness.request_report(
            asked(NOW + timedelta(days=1)),
            INC,
            "se_cyber_intermediate",
            NOW,
            NOW + timedelta(days=1),
            "",
            "eva",
            NOW,
        )
    with pytest.raises(BadInput) as err:
        awareness.request_report(
            None, INC, "nkom_varsel", NOW, NOW + timedelta(days=1), "", "x", NOW
        )
    assert err.value.field == "kind"
    with pytest.raises(BadInput) as err:
        awareness.request_report(None, INC, KIND, NOW, NOW, "", "x", NOW)
    assert err.value.field == "deadline"


def test_a_stored_request_without_a_kind_is_the_csirts() -> None:
    """Requests stored before requests named their kind were all the CSIRT's."""
    doc = {
        "incident": INC,
        "significant": True,
        "aware_at": NOW.isoformat(),
        "by": "anna",
        "at": NOW.isoformat(),
        "revision": 2,
        "requests": [
            {
                "received_at": NOW.isoformat(),
                "deadline": (NOW + timedelta(days=1)).isoformat(),
                "by": "eva",
                "at": NOW.isoformat(),
            }
        ],
    }
    found = awareness.from_document(doc)
    assert found.requests[0].kind == "se_cyber_intermediate"
    assert "csirt_deadline" in awareness.events(found)


# ---- the obligation -----------------------------------------------------------------------


def test_not_owed_until_asked_then_owed_whether_reportable_or_not() -> None:
    events = {"started": T0, "remedied": T0 + timedelta(hours=5)}
    assert owed(NKOM, not_reportable(), events, NOW) == []
    reportable_kinds = [o.kind for o in owed(NKOM, reportable(T0), events, NOW)]
    assert KIND not in reportable_kinds and "nkom_varsel" in reportable_kinds
    deadline = NOW + timedelta(days=14)
    extra = awareness.events(asked(deadline))
    [only] = owed(NKOM, not_reportable(), events, NOW, extra)
    assert (only.kind, only.due_at, only.state, only.basis) == (KIND, deadline, OPEN, "regulator")
    both = owed(NKOM, reportable(T0), events, NOW, extra, {KIND: "draft"})
    assert [o.kind for o in both][-1] == KIND and both[-1].state == DRAFTED
    [late] = owed(NKOM, not_reportable(), events, deadline, extra)
    assert late.state == OVERDUE


# ---- the draft ----------------------------------------------------------------------------


def incident(**over: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "id": INC,
        "state": "closed",
        "started_at": T0.isoformat(),
        "remedied_at": (T0 + timedelta(hours=2, minutes=5)).isoformat(),
        "impact": {
            "by_service": {"internet": 900},
            "by_region": {"NO-5001": 700, "NO-5028": 200},
            "region_names": {"NO-5001": "Trondheim", "NO-5028": "Melhus"},
            "outage": {"current": 0, "peak": 900},
            "degradation": {"current": 0, "peak": 0},
        },
        "alert_details": [
            {"labels": {"alertname": "OltDown"}, "annotations": {"cause": "Strømbrudd."}}
        ],
        "report_requests": awareness.requests_document(asked(NOW + timedelta(days=14))),
    }
    doc.update(over)
    return doc


SENT = (
    hendelsesrapport.SentNotice(
        T0 + timedelta(minutes=30), "Nkom – første varsel", "ekomvarsling@nkom.no", "email"
    ),
)


def test_every_section_of_nkoms_template_is_there_in_order() -> None:
    fields = draft_fields(KIND, incident(), OPERATOR, None, NOW, sent=SENT)
    assert tuple(fields.fields) == hendelsesrapport.FIELD_KEYS
    assert [h for h, _ in hendelsesrapport.SECTIONS][1:] == [
        "Beskrivelse av selve hendelsen og foranledningen til den",
        "Direkte konsekvenser av hendelsen",
        "Skadeforebyggende tiltak",
        "Skadereduserende tiltak",
        "Utbedring/reparasjon",
        "Erfaringer og vurderinger",
        "Kontaktperson",
    ]
    assert fields.regulator == "nkom" and fields.language == "nb"
    assert fields.recipient == "ekomvarsling@nkom.no" and fields.title == "Hendelsesrapport"


def test_what_the_bridge_knows_is_prefilled_measures_and_lessons_are_left_to_a_person() -> None:
    fields = draft_fields(KIND, incident(), OPERATOR, None, NOW, sent=SENT).fields
    value = {k: f.value for k, f in fields.items()}
    # where the fault was is a person's: the customers' areas are no fault location
    assert value["where"] == "" and fields["where"].to_complete
    assert "Geografisk kundeområde" in fields["where"].source
    assert "Trondheim" not in fields["where"].source
    assert value["when"] == (
        "Hendelsen oppsto 23.11.2026 kl. 08.42 norsk tid og varte til "
        "23.11.2026 kl. 10.47 norsk tid."
    )
    assert value["detected_at"].startswith("23.11.2026 kl. 08.42 norsk tid")
    assert value["detected_how"] == "Detektert automatisk av driftsovervåkingen (1 alarm)."
    assert value["cause"] == "Strømbrudd."
    assert value["services"] == "Bredbånd"
    assert "Trondheim: inntil 700 berørte kunder" in value["geography"]
    assert "NO-5001" not in value["geography"]
    assert value["duration"] == (
        "2 timer og 5 minutter: fra 23.11.2026 kl. 08.42 norsk tid til "
        "23.11.2026 kl. 10.47 norsk tid."
    )
    assert value["normal_at"] == "23.11.2026 kl. 10.47 norsk tid"
    assert value["notices_sent"] == (
        "Varsler sendt til myndigheter:\n"
        "- 23.11.2026 kl. 09.12 norsk tid: Nkom – første varsel til ekomvarsling@nkom.no (e-post)."
    )
    assert value["request"] == (
        "Anmodningen ble mottatt 24.11.2026 kl. 10.00 norsk tid, med frist "
        "08.12.2026 kl. 10.00 norsk tid. "
        "Nkoms referanse: 2026/1."
    )
    assert "noc@example.net" in value["contact"]
    for key in hendelsesrapport.PERSON:
        assert fields[key].to_complete, key
        assert fields[key].source == hendelsesrapport.PERSON[key]


def test_an_ongoing_incident_opened_by_hand_with_nothing_sent_says_so() -> None:
    doc = incident(
        state="open",
        remedied_at=None,
        alert_details=[{"labels": {"alertname": "ReportedByHand"}, "annotations": {}}],
    )
    fields = draft_fields(KIND, doc, OPERATOR, None, NOW).fields
    assert fields["when"].value == "Hendelsen oppsto 23.11.2026 kl. 08.42 norsk tid og pågår."
    assert fields["detected_how"].value.startswith("Rapportert manuelt")
    assert fields["duration"].to_complete and fields["normal_at"].to_complete
    assert fields["cause"].to_complete
    assert fields["notices_sent"].value == "Det er ikke sendt varsel om hendelsen til myndigheter."


def test_an_incident_opened_by_hand_leaves_when_it_was_noticed_to_a_person() -> None:
    """Seed 003 asks when it happened and, apart, when it was noticed. An incident opened by
    hand has no alarm: its detection time is not "da den første alarmen ble utløst" (which
    contradicted "Rapportert manuelt"); only a person knows when it was noticed, and the
    bridge says when it was entered."""
    by_hand = {
        "labels": {"alertname": "ReportedByHand"},
        "annotations": {},
        "starts_at": T0.isoformat(),
        "first_seen": (T0 + timedelta(minutes=25)).isoformat(),
    }
    fields = draft_fields(KIND, incident(alert_details=[by_hand]), OPERATOR, None, NOW).fields
    assert fields["detected_at"].to_complete
    assert "opened by hand" in fields["detected_at"].source
    assert fields["detected_how"].value == (
        "Rapportert manuelt: hendelsen ble registrert av driftspersonell "
        "23.11.2026 kl. 09.07 norsk tid."
    )
    assert "alarm" not in "".join(f.value for f in fields.values())
    # an alarm came first and a person added to it later: the alarm is when it was detected
    alarm = {"labels": {"alertname": "OltDown"}, "annotations": {}, "starts_at": T0.isoformat()}
    later = {**by_hand, "starts_at": (T0 + timedelta(minutes=5)).isoformat()}
    mixed = draft_fields(KIND, incident(alert_details=[later, alarm]), OPERATOR, None, NOW)
    assert mixed.fields["detected_at"].value == (
        "23.11.2026 kl. 08.42 norsk tid, da den første alarmen ble utløst."
    )


def test_the_notices_sent_come_from_the_sent_drafts_oldest_first() -> None:
    """Sent drafts only (not a draft, not the report itself), with the approved version's
    recipient and the portal's receipt where one was recorded."""

    def render(fields: DraftFields) -> RenderedDraft:
        return RenderedDraft("s", "t", "<p>t</p>")

    varsel = draft_fields("nkom_varsel", incident(), OPERATOR, None, NOW)
    opened, _ = casework.open_draft(varsel, 1, NOW, render)
    sent_at = T0 + timedelta(minutes=20)
    sent = replace(opened, state=casework.SENT, sent_at=sent_at)
    other = replace(opened, id="d2", kind="nkom_normalised", state="draft")
    [found] = sent_notices([other, sent])
    assert found.at == sent_at and found.name == "Nkom – første varsel"
    assert found.recipient == "ekomvarsling@nkom.no" and found.channel == "email"
    assert sent_notices([sent], exclude=sent.id) == []


def _assessed(met: bool) -> list[dict[str, object]]:
    reason = "1 societally important element(s)" if met else "0 societally important element(s)"
    return [{"regulator": "nkom", "criteria": [{"kind": "societal", "met": met, "reason": reason}]}]


def _flagged(peak: int) -> dict[str, object]:
    """The impact with ``impact.flags``: a societally important element in Norway affected
    (``peak`` 1) for the incident's first 30 minutes, or none (0)."""
    entry: dict[str, object] = {"inventory": 4, "peak": peak}
    if peak:
        entry |= {
            "from": T0.isoformat(),
            "until": (T0 + timedelta(minutes=30)).isoformat(),
            "seconds": 1800,
        }
    return {**incident()["impact"], "flags": {"NO": {"societal": entry}}}  # type: ignore[dict-item]


def test_the_institutions_are_asked_of_a_person_unless_none_was_affected() -> None:
    """Nkom asks which institutions concretely: the inventory flags an element without naming
    whom it serves, so with societal users affected that answer is left to a person (flagged
    in the console, "Ikke kjent ennå" only if the approver says so), never a generic sentence;
    with none affected the bridge answers it, and when the impact does not say it cannot.
    Affected or not is the impact's, never the criterion's (one that also asks for a duration
    is unmet for an element out a short while)."""
    hit = incident(impact=_flagged(1), assessments=_assessed(False))
    met = draft_fields(KIND, hit, OPERATOR, None, NOW)
    assert met.fields["societal"].value == (
        "Samfunnsviktige funksjoner var berørt fra 23.11.2026 kl. 08.42 norsk tid til "
        "23.11.2026 kl. 09.12 norsk tid (30 minutter)."
    )
    assert met.fields["societal"].label == (
        "Samfunnsviktige brukere som ble rammet (for eksempel sykehus)"
    )
    institutions = met.fields["institutions"]
    assert institutions.label == "Konkret hvilke institusjoner dette gjelder"
    assert institutions.to_complete and "institutions" in met.to_complete()
    assert "inventory flags" in institutions.source
    untouched = incident(impact=_flagged(0), assessments=_assessed(True))
    unmet = draft_fields(KIND, untouched, OPERATOR, None, NOW)
    assert unmet.fields["institutions"].value == "Ingen, så langt vi kjenner til."
    for unknown in (incident(), incident(assessments=_assessed(False))):
        assert draft_fields(KIND, unknown, OPERATOR, None, NOW).fields["institutions"].to_complete


def test_every_notice_sent_is_listed_and_the_rest_is_asked_of_a_person() -> None:
    """The bridge's notices to authorities and, if it sent any, to customers are listed; what
    customers and other providers were told outside the bridge is a person's field."""
    sent = (
        *SENT,
        hendelsesrapport.SentNotice(
            T0 + timedelta(hours=1), "Nkom – oppdatering", "ekomvarsling@nkom.no", "email", ""
        ),
        hendelsesrapport.SentNotice(
            T0 + timedelta(hours=2),
            "Nkom – varsel til abonnenter",
            "kunder@example.net",
            "email",
            "",
            "nkom_privacy_subscriber",
        ),
    )
    fields = draft_fields(KIND, incident(), OPERATOR, None, NOW, sent=sent).fields
    assert fields["notices_sent"].value == (
        "Varsler sendt til myndigheter:\n"
        "- 23.11.2026 kl. 09.12 norsk tid: Nkom – første varsel til ekomvarsling@nkom.no "
        "(e-post).\n"
        "- 23.11.2026 kl. 09.42 norsk tid: Nkom – oppdatering til ekomvarsling@nkom.no (e-post).\n"
        "Varsler sendt til egne kunder:\n"
        "- 23.11.2026 kl. 10.42 norsk tid: Nkom – varsel til abonnenter til kunder@example.net "
        "(e-post)."
    )
    others = fields["notices_others"]
    assert others.label == "Øvrig varsling til egne kunder og andre tilbydere"
    assert others.to_complete and "other providers" in others.source


def test_sent_notices_carry_their_kind() -> None:
    """A sent draft's kind goes with it, so a subscriber notice is listed as one."""

    def render(fields: DraftFields) -> RenderedDraft:
        return RenderedDraft("s", "t", "<p>t</p>")

    update = draft_fields("nkom_update", incident(), OPERATOR, None, NOW)
    opened, _ = casework.open_draft(update, 1, NOW, render)
    sent = replace(opened, state=casework.SENT, sent_at=NOW)
    [found] = sent_notices([sent])
    assert found.kind == "nkom_update" and found.name == "Nkom – oppdatering"


def test_every_request_nkom_sent_is_answered_with_its_reference_oldest_first() -> None:
    """An incident merged with another that Nkom asked about under its own reference (or
    asked about twice) answers every request: Nkom's case handler finds the reference they
    filed it under. The same request recorded twice (carried from a merged incident) once."""
    first = awareness.requests_document(asked(NOW + timedelta(days=14)))[0]
    second = {
        **first,
        "received_at": (T0 + timedelta(days=2)).isoformat(),
        "deadline": (T0 + timedelta(days=20)).isoformat(),
        "reference": "2026/7",
    }
    doc = incident(report_requests=[second, first, dict(first)])
    value = draft_fields(KIND, doc, OPERATOR, None, NOW, sent=SENT).fields["request"].value
    assert value == (
        "Nkom har sendt 2 anmodninger: mottatt 24.11.2026 kl. 10.00 norsk tid, med frist "
        "08.12.2026 kl. 10.00 norsk tid (Nkoms referanse: 2026/1); mottatt 25.11.2026 kl. "
        "08.42 norsk tid, med frist 13.12.2026 kl. 08.42 norsk tid (Nkoms referanse: 2026/7)."
    )


def test_records_of_one_reference_are_one_request() -> None:
    """The audit's case: a request retried (recorded three times, each received at its own
    now) told Nkom it had sent two requests under one reference. Records of one reference, as
    stored before the bridge merged them (a retry, a deadline Nkom moved), are one request:
    received when first recorded, due by the latest recorded deadline."""
    first = awareness.requests_document(asked(NOW + timedelta(days=14)))[0]
    retried = {**first, "received_at": (NOW + timedelta(seconds=1)).isoformat()}
    moved = {
        **first,
        "received_at": (NOW + timedelta(days=1)).isoformat(),
        "deadline": (NOW + timedelta(days=21)).isoformat(),
    }
    doc = incident(report_requests=[first, retried, moved])
    value = draft_fields(KIND, doc, OPERATOR, None, NOW, sent=SENT).fields["request"].value
    assert value == (
        "Anmodningen ble mottatt 24.11.2026 kl. 10.00 norsk tid, med frist 15.12.2026 kl. "
        "10.00 norsk tid. Nkoms referanse: 2026/1."
    )
