"""Notice draft fields (bridge.core.drafts): content per kind, local times, names, references."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from corekit import PTS, at, engine, episode, live, network

from bridge.config.report_forms import builtin_forms
from bridge.core import case_drafts, casework
from bridge.core.documents import document
from bridge.core.drafts import (
    KINDS,
    Contact,
    DraftFields,
    Previous,
    RenderedDraft,
    Sender,
    draft_fields,
    local_time,
    reference_number,
)
from bridge.errors import BadInput

OPERATOR = Sender("Exempel Nät AB", "556000-0000", "NOC vakt", "+46 10 000 00 00", "noc@ex.net")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

EXPECTED_KEYS = {
    "nkom_varsel": [
        "started_at",
        "services",
        # the provider's own rating, when its alerts carry one: seed 003 makes "alvorlig eller
        # kritisk" a reason to notify, and the update reports its change
        "severity",
        "scope_geography",
        "scope_customers",
        "scope_societal",
        "scope_life_health",
        "expected_duration",
        "cause",
        "contact",
    ],
    "pts_initial": [
        "networks_services",
        "scope",
        "cause_preliminary",
        "active_connections",
        "emergency_112",
        "contact",
        "reference",
    ],
    "pts_supplementary": [
        "causes",
        "public_information",
        "effect_minimisation",
        "remedy",
        "recurrence_prevention",
        "reference",
    ],
}
# a follow-up opens with what changed since the notice it follows (docs/notices.md)
# NIS2 Art. 23(4) and cybersäkerhetslagen 2 kap. 5–8 §§ (docs/regulation.md §1b): what each
# report to the CSIRT says (the fields are data: bridge/config/forms/se-cyber.yaml)
_CYBER_HEAD = ["aware_at", "started_at", "status", "services", "scope"]
# Nkom's hendelsesrapport: every item of its template (seed 003, docs/regulation.md §3), after
# Nkom's request: the event (where, when, detected, how, cause), direct consequences, preventive
# and damage-reducing measures (with the notices sent), repair, lessons, contact.
EXPECTED_KEYS["nkom_hendelsesrapport"] = [
    "request",
    "where",
    "when",
    "detected_at",
    "detected_how",
    "cause",
    "technical_damage",
    "services",
    "geography",
    "customers",
    "societal",
    "institutions",  # Nkom's "konkret hvilke institusjoner": a person's answer
    "duration",
    "prevention",
    "prevention_effect",
    "mitigation",
    "notices_sent",
    "notices_others",  # to customers and other providers outside the bridge: a person's
    "regulated_equipment",
    "repair",
    "repair_schedule",
    "normal_at",
    "lessons_different",
    "lessons_if_failed",
    "lessons_recurrence",
    "lessons_damage",
    "contact",
]
EXPECTED_KEYS["se_cyber_early_warning"] = [
    *_CYBER_HEAD,
    "suspected_malicious",
    "cross_border",
    "contact",
    "reference",
]
EXPECTED_KEYS["se_cyber_notification"] = [
    *_CYBER_HEAD,
    "suspected_malicious",
    "cross_border",
    "severity_impact",
    "indicators",
    "contact",
    "reference",
]
EXPECTED_KEYS["se_cyber_intermediate"] = [
    "aware_at",
    "status",
    "services",
    "scope",
    "updates",
    "contact",
    "reference",
]
EXPECTED_KEYS["se_cyber_final"] = [
    "aware_at",
    "started_at",
    "handled_at",
    "description",
    "services",
    "scope",
    "severity_impact",
    "root_cause",
    "mitigation",
    "cross_border",
    "contact",
    "reference",
]
EXPECTED_KEYS["se_cyber_progress"] = [
    "aware_at",
    "started_at",
    "status",
    "expected",
    "services",
    "scope",
    "updates",
    "mitigation",
    "contact",
    "reference",
]
EXPECTED_KEYS["nkom_update"] = ["changes", *EXPECTED_KEYS["nkom_varsel"]]
EXPECTED_KEYS["nkom_normalised"] = [
    "changes",
    "normalised",
    *[k for k in EXPECTED_KEYS["nkom_varsel"] if k not in ("expected_duration", "severity")],
]
EXPECTED_KEYS["pts_supplementary"] = ["changes", *EXPECTED_KEYS["pts_supplementary"]]
# Regulation (EU) 611/2013 Annex I, sections 1 and 2, in its order (docs/regulation.md §2)
EXPECTED_KEYS["privacy_initial"] = EXPECTED_KEYS["privacy_supplementary"] = [
    "provider",
    "contact_point",
    "notification",
    "occurred_at",
    "detected_at",
    "circumstances",
    "data_concerned",
    "measures_applied",
    "other_providers",
    "summary",
    "affected",
    "consequences",
    "mitigation",
    "prevention",  # seed 001: "åtgärder … för att undvika liknande incidenter"
    "subscriber_notification",
    "cross_border",
    "reference",
]
# a follow-up says what changed since the initial report was sent (docs/regulation.md §5)
EXPECTED_KEYS["privacy_supplementary"] = [
    *EXPECTED_KEYS["privacy_initial"][:3],
    "changes",
    *EXPECTED_KEYS["privacy_initial"][3:],
]
# the subscriber notice content docs/regulation.md §2 lists: when, what and its consequences, what
# the provider does, what the user can do, contact details
EXPECTED_KEYS["subscriber_notice"] = EXPECTED_KEYS["nkom_privacy_subscriber"] = [
    "when",
    "what_happened",
    "your_data",
    "what_it_means",
    "what_we_do",
    "what_you_can_do",
    "contact_us",
    "reference",
]
EXPECTED_KEYS["privacy_subscriber_copy"] = [
    "notice_copy",
    "notice_sent_at",
    "notice_means",
    "notified_count",
    "contact_point",
    "reference",
]
# seed 003 "Hva skal varselet inneholde?" (every item), for a privacy breach
EXPECTED_KEYS["nkom_privacy_varsel"] = [
    "breach_type",
    "occurred_at",
    "detected_at",
    "services",
    "description",
    "data_concerned",
    "scope_geography",
    "scope_customers",
    "scope_societal",
    "scope_life_health",
    "expected_duration",
    "cause",
    "measures",
    "contact",
]
# seed 003 "Oppdatert varsel underveis": what changed, then the varsel's items as they stand;
# the closing one says when the case was closed instead of an expected duration
EXPECTED_KEYS["nkom_privacy_update"] = ["changes", *EXPECTED_KEYS["nkom_privacy_varsel"]]
EXPECTED_KEYS["nkom_privacy_normalised"] = [
    "changes",
    "normalised",
    *[k for k in EXPECTED_KEYS["nkom_privacy_varsel"] if k != "expected_duration"],
]


def doc(**over: Any) -> dict[str, Any]:
    """A hand-written incident document in the API shape."""
    base: dict[str, Any] = {
        "id": "inc-20261123-0a1b2c3d",
        "state": "open",
        "started_at": "2026-11-23T09:05:00Z",
        "ended_at": None,
        "remedied_at": None,
        "impact": {
            "current": 5000,
            "peak": 7000,
            "by_service": {"internet": 6000, "iptv": 1000},
            "by_region": {"SE-0180": 6500, "SE-9999": 500},
            "region_names": {"SE-0180": "Stockholm"},
            "outage": {"current": 5000, "peak": 7000},
            "degradation": {"current": 0, "peak": 0},
        },
        "assessments": [
            {
                "regulator": "pts",
                "criteria": [{"kind": "emergency_112", "met": True, "reason": "1 element"}],
            }
        ],
        "alert_details": [{"annotations": {}}],
    }
    base.update(over)
    return base


def draft(kind: str, incident: dict[str, Any] | None = None, now: datetime = NOW) -> DraftFields:
    form = builtin_forms().get(kind)
    return draft_fields(kind, incident or doc(), OPERATOR, None, now, form=form)


def value(kind: str, key: str, incident: dict[str, Any] | None = None) -> str:
    return draft(kind, incident).fields[key].value


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_exactly_the_content_regulation_md_lists(kind: str) -> None:
    """Every kind's fields are exactly docs/regulation.md's content items, in order, labelled."""
    fields = draft(kind).fields
    assert list(fields) == EXPECTED_KEYS[kind]
    assert all(f.label for f in fields.values())


def test_labels_are_bokmal_for_nkom_and_swedish_for_pts() -> None:
    """Nkom drafts speak bokmål, PTS drafts Swedish, with the regulator's own words."""
    nkom = draft("nkom_varsel").fields
    assert nkom["started_at"].label == "Når hendelsen oppsto"
    assert nkom["services"].label == "Ekomtjenester som er rammet"
    assert nkom["contact"].label == "Kontaktperson hos tilbyder (telefon og e-post)"
    pts = draft("pts_initial").fields
    assert pts["emergency_112"].label == "Begränsningar i möjligheten att ringa nödsamtal (112)"
    assert pts["reference"].label == "Referensnummer"


def test_nkom_times_are_oslo_local_in_winter_and_in_summer() -> None:
    """Start times show in Oslo time, +1 h in winter and +2 h in summer."""
    assert value("nkom_varsel", "started_at") == "23.11.2026 kl. 10.05 norsk tid"
    summer = doc(started_at="2026-07-01T08:05:00Z")
    assert value("nkom_varsel", "started_at", summer) == "01.07.2026 kl. 10.05 norsk tid"


def test_pts_times_are_stockholm_local_across_the_spring_dst_change() -> None:
    """On the DST change day 01:30 UTC is 03:30 in Stockholm; the draft time uses ``now``."""
    changed = doc(started_at="2026-03-29T01:30:00Z")
    d = draft("pts_initial", changed, now=datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    assert d.fields["scope"].value.startswith("Från 2026-03-29 kl. 03.30 svensk tid, pågår.")
    assert d.drafted_at == "2026-03-29 kl. 01.30 svensk tid"


@pytest.mark.parametrize(
    ("utc", "nkom", "sv"),
    [
        (
            "2026-11-23T09:05:00Z",
            "23.11.2026 kl. 10.05 norsk tid",
            "2026-11-23 kl. 10.05 svensk tid",
        ),
        (
            "2026-10-25T00:30:00Z",
            "25.10.2026 kl. 02.30 norsk sommertid (UTC+2)",
            "2026-10-25 kl. 02.30 svensk sommartid (UTC+2)",
        ),
        (
            "2026-10-25T01:30:00Z",
            "25.10.2026 kl. 02.30 norsk vintertid (UTC+1)",
            "2026-10-25 kl. 02.30 svensk vintertid (UTC+1)",
        ),
        (
            "2026-10-25T02:30:00Z",
            "25.10.2026 kl. 03.30 norsk tid",
            "2026-10-25 kl. 03.30 svensk tid",
        ),
    ],
)
def test_every_time_names_its_zone_and_the_repeated_autumn_hour_says_which(
    utc: str, nkom: str, sv: str
) -> None:
    """Every time names its zone as the notice's language does ("norsk tid", "svensk tid");
    the two 02.30 of the night summer time ends differ: summer or winter time, with the offset."""
    at = datetime.fromisoformat(utc)
    assert local_time(at, "nkom") == nkom
    assert local_time(at, "pts") == local_time(at, "csirt") == sv


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00+00:00", "9999-12-31T23:30:00-01:00"]
)
def test_a_time_the_zone_cannot_hold_is_shown_as_it_is(text: str) -> None:
    """A time too near year 1 or 9999 for Oslo or Stockholm time (only a store written before
    the API checked the times people give holds one) is shown in ISO 8601, never an error."""
    at = datetime.fromisoformat(text)
    assert local_time(at, "nkom") == local_time(at, "pts") == text[:16] + text[19:]


def test_scope_names_regions_without_their_inventory_key() -> None:
    """Regions show their inventory name only, never the inventory key beside it; a region the
    inventory gives no name shows its key (the one thing known about it)."""
    geography = value("nkom_varsel", "scope_geography")
    assert geography.splitlines() == [
        "Stockholm: inntil 6 500 berørte kunder",
        "SE-9999: inntil 500 berørte kunder",
    ]
    assert "Stockholm: högst 6 500 aktiva anslutningar" in value("pts_initial", "scope")
    assert "SE-0180" not in value("pts_initial", "scope")


def test_services_and_connections_come_from_the_impact_by_service() -> None:
    """Services show their display names; connections are counted per service, never summed."""
    assert value("pts_initial", "networks_services") == "Bredband, IP-TV"
    connections = value("pts_initial", "active_connections")
    assert connections.splitlines() == [
        "Bredband: högst 6 000 aktiva anslutningar",
        "IP-TV: högst 1 000 aktiva anslutningar",
        "Avbrott: tjänsterna har inte varit tillgängliga.",
        "Fortfarande delvis påverkade.",
    ]
    assert "7 000" not in connections
    nkom = value("nkom_varsel", "scope_customers")
    assert nkom.splitlines()[0] == "Bredbånd: inntil 6 000 berørte kunder"
    assert "tilknytninger" not in nkom


def test_zero_parts_are_left_out() -> None:
    """A kind of impact, a service or a region with no affected connections is not mentioned."""
    impact = {
        **doc()["impact"],
        "by_service": {"internet": 4000, "tv": 0},
        "outage": {"current": 0, "peak": 0},
        "degradation": {"current": 4000, "peak": 4000},
        "current": 4000,
        "peak": 4000,
    }
    text = value("pts_initial", "active_connections", doc(impact=impact))
    assert "TV" not in text and " 0 " not in text and "högst 0" not in text
    assert "Störning: tjänsterna har varit tillgängliga men med bristande funktion." in text
    nb = value("nkom_varsel", "scope_customers", doc(impact=impact))
    assert "inntil 0" not in nb and "utfall" not in nb.lower()


def test_services_take_their_configured_display_names_per_language() -> None:
    """A configured name beats the default; an unknown key is made readable, never raw."""
    names = {"internet": {"sv": "Fiberbredband", "nb": "Fiberbredbånd"}}
    impact = {**doc()["impact"], "by_service": {"internet": 10, "m2m_data": 5}}
    sv = draft_fields("pts_initial", doc(impact=impact), OPERATOR, None, NOW, names)
    assert sv.fields["networks_services"].value == "Fiberbredband, M2m data"
    nb = draft_fields("nkom_varsel", doc(impact=impact), OPERATOR, None, NOW, names)
    assert nb.fields["services"].value == "Fiberbredbånd, M2m data"


def test_reference_number_is_stable_per_incident_and_differs_between_incidents() -> None:
    """The same incident id gives the same reference every time; another id another one."""
    first = draft("pts_initial").reference
    later = draft("pts_supplementary", doc(state="closed"), now=NOW + timedelta(days=9)).reference
    assert first == later == reference_number("556000-0000", "inc-20261123-0a1b2c3d")
    assert re.fullmatch(r"5560000000-20261123-[0-9A-F]{8}", first)
    assert draft("nkom_varsel").reference == first
    assert reference_number("556000-0000", "inc-20261123-ffffffff") != first
    assert draft("pts_initial").fields["reference"].value == first


def test_cause_comes_from_the_first_cause_like_annotation_of_each_alert() -> None:
    """``cause`` beats ``årsak`` beats ``summary``; distinct causes of several alerts are kept."""
    alerts = [
        {"annotations": {"summary": "OLT down", "cause": "Fiber cut"}},
        {"annotations": {"årsak": "Strømbrudd"}},
        {"annotations": {"cause": "Fiber cut"}},
    ]
    d = draft("nkom_varsel", doc(alert_details=alerts))
    assert d.fields["cause"].value == "Fiber cut\nStrømbrudd"
    assert "annotation" in d.fields["cause"].source
    assert value("pts_initial", "cause_preliminary", doc(alert_details=alerts[:1])) == "Fiber cut"


def test_a_stated_cause_beats_every_alert_s_summary() -> None:
    """In a storm every alert has a summary ("OLT … down", 221 distinct ones were seen): once
    any alert states a cause, summaries are symptoms, not the cause, and a new alert's summary
    neither lengthens Årsak nor changes the notice (an approved varsel was held again by every
    new alert)."""
    alerts = [{"annotations": {"summary": f"OLT {n} down"}} for n in range(40)]
    alerts.insert(7, {"annotations": {"summary": "Site down", "cause": "Strømbrudd i Heimdal"}})
    d = draft("nkom_varsel", doc(alert_details=alerts))
    assert d.fields["cause"].value == "Strømbrudd i Heimdal"
    more = [*alerts, {"annotations": {"summary": "OLT 99 down"}}]
    assert draft("nkom_varsel", doc(alert_details=more)).fields["cause"].value == (
        "Strømbrudd i Heimdal"
    )


def test_many_summaries_and_no_stated_cause_leave_the_cause_to_a_person() -> None:
    """Without a stated cause, a few summaries are a starting point; many are a list of
    symptoms, not a cause: the element is left to complete."""
    few = [{"annotations": {"summary": s}} for s in ("OLT 1 down", "OLT 2 down")]
    assert value("nkom_varsel", "cause", doc(alert_details=few)) == "OLT 1 down\nOLT 2 down"
    many = [{"annotations": {"summary": f"OLT {n} down"}} for n in range(12)]
    field = draft("nkom_varsel", doc(alert_details=many)).fields["cause"]
    assert field.value == ""
    assert field.to_complete


def test_expected_duration_is_a_duration_with_its_local_end_and_free_text_kept() -> None:
    """Nkom asks for the duration until normalised: an ISO ``expected_resolution`` gives the
    span from the start and the expected time in local time; free text is shown as written."""
    timed = doc(alert_details=[{"annotations": {"expected_resolution": "2026-11-23T14:00:00Z"}}])
    assert value("nkom_varsel", "expected_duration", timed) == (
        "4 timer og 55 minutter fra hendelsen oppsto "
        "(forventet normalisert 23.11.2026 kl. 15.00 norsk tid)."
    )
    text = doc(alert_details=[{"annotations": {"expected_resolution": "ca. 2 timer"}}])
    assert value("nkom_update", "expected_duration", text) == "ca. 2 timer"


def test_an_expected_normalisation_before_the_start_is_left_for_a_person() -> None:
    """An ``expected_resolution`` earlier than the incident's start is a wrong annotation (a
    date typed a month off, a template's stale value): it is not sent as Nkom's forecast, the
    element stays to complete."""
    stale = doc(alert_details=[{"annotations": {"expected_resolution": "2026-10-26T12:00:00Z"}}])
    field = draft("nkom_varsel", stale).fields["expected_duration"]
    assert field.value == ""
    assert field.to_complete
    assert "26.10.2026" not in draft("nkom_update", stale).fields["expected_duration"].value


def test_normalised_notice_states_restoration_total_duration_and_peak() -> None:
    """The normalised varsel says when service was restored, how long it lasted, and the peak."""
    impact = {**doc()["impact"], "peak_at": "2026-11-23T09:35:00Z"}
    done = doc(remedied_at="2026-11-23T11:30:00Z", state="closed", impact=impact)
    assert value("nkom_normalised", "normalised", done) == (
        "Tjenestene var normalisert 23.11.2026 kl. 12.30 norsk tid. "
        "Samlet varighet: 2 timer og 25 minutter (fra 23.11.2026 kl. 10.05 norsk tid). "
        "Høyeste antall berørte kunder: 6 000 (Bredbånd), 23.11.2026 kl. 10.35 norsk tid."
    )


def _flags(**by_country: dict[str, Any]) -> dict[str, Any]:
    """``impact.flags`` as :func:`bridge.core.documents.flag_impact` writes it."""
    return {**doc()["impact"], "flags": by_country}


_E112_OUT = {
    "inventory": 3,
    "peak": 1,
    "from": "2026-11-23T09:05:00Z",
    "until": "2026-11-23T09:25:00Z",
    "seconds": 1200,
}


def test_112_effect_comes_from_the_impact_on_112_elements_or_is_left_to_complete() -> None:
    """The answer is the impact itself (``impact.flags``), never whether a criterion was met:
    an element carrying 112 that was out says yes, with when and how long; none out while the
    inventory flags some says no; not known (no flags in the document, an inventory that
    flags none, alerts not placed) is left to a person."""
    met_but_untouched = doc(impact=_flags(SE={"emergency_112": {"inventory": 3, "peak": 0}}))
    assert value("pts_initial", "emergency_112", met_but_untouched) == (
        "Nej: inga nätelement som förmedlar nödsamtal (112) har berörts."
    )
    unmet = doc(
        impact=_flags(SE={"emergency_112": _E112_OUT}),
        assessments=[{"regulator": "pts", "criteria": [{"kind": "emergency_112", "met": False}]}],
    )
    assert value("pts_initial", "emergency_112", unmet) == (
        "Ja: ett nätelement som förmedlar nödsamtal (112) berördes från 2026-11-23 kl. 10.05 "
        "svensk tid till 2026-11-23 kl. 10.25 svensk tid (20 minuter)."
    )
    ongoing = {**_E112_OUT, "peak": 2, "until": None}
    assert value(
        "pts_initial", "emergency_112", doc(impact=_flags(SE={"emergency_112": ongoing}))
    ) == (
        "Ja: upp till 2 nätelement samtidigt som förmedlar nödsamtal (112) berörs sedan "
        "2026-11-23 kl. 10.05 svensk tid."
    )
    on_and_off = {**_E112_OUT, "until": "2026-11-23T10:05:00Z"}
    assert "mellan 2026-11-23 kl. 10.05 svensk tid och 2026-11-23 kl. 11.05 svensk tid, " in (
        value("pts_initial", "emergency_112", doc(impact=_flags(SE={"emergency_112": on_and_off})))
    )
    for unknown in (
        doc(),  # a document from before impact.flags: the met criterion says nothing
        doc(impact=_flags(SE={})),  # the inventory flags no element carrying 112
        doc(impact=_flags(SE={"emergency_112": {"inventory": 3, "peak": 0}}), impact_known=False),
    ):
        d = draft("pts_initial", unknown)
        assert d.fields["emergency_112"].to_complete, unknown
        assert "112" in d.fields["emergency_112"].source


def test_nkom_societal_functions_and_112_come_from_the_impact_not_a_criterion() -> None:
    """Nkom's "samfunnsviktige funksjoner" says which flagged elements were affected, when,
    whatever the criteria said; "not affected" only when the impact says so."""
    impact = _flags(
        NO={
            "societal": {**_E112_OUT, "until": None},
            "emergency_112": {**_E112_OUT, "inventory": 5},
        }
    )
    unmet = [
        {
            "regulator": "nkom",
            "criteria": [
                {"kind": "societal", "met": False},
                {"kind": "emergency_112", "met": False},
            ],
        }
    ]
    assert value("nkom_varsel", "scope_societal", doc(impact=impact, assessments=unmet)) == (
        "Samfunnsviktige funksjoner er berørt (siden 23.11.2026 kl. 10.05 norsk tid). "
        "Nett som bærer nødanrop (112) var berørt fra 23.11.2026 kl. 10.05 norsk tid til "
        "23.11.2026 kl. 10.25 norsk tid (20 minutter)."
    )
    untouched = _flags(NO={"emergency_112": {"inventory": 5, "peak": 0}})
    met = [{"regulator": "nkom", "criteria": [{"kind": "emergency_112", "met": True}]}]
    assert value("nkom_varsel", "scope_societal", doc(impact=untouched, assessments=met)) == (
        "Nett som bærer nødanrop (112) har ikke vært berørt så langt vi kjenner til."
    )
    assert draft("nkom_varsel", doc(assessments=met)).fields["scope_societal"].to_complete


def test_an_element_carrying_112_out_for_less_than_the_criterion_is_still_stated() -> None:
    """A real engine document: the 112 element is out 20 min, under the 30 min the criterion
    asks, so the criterion is not met, yet PTS reads that 112 was affected and for how long
    (before, it read "Nej: inga nätelement … har berörts")."""
    rule_set = replace(
        PTS,
        criteria=(
            *PTS.criteria[:1],
            replace(
                next(c for c in PTS.criteria if c.kind == "emergency_112"),
                min_duration=timedelta(minutes=30),
            ),
        ),
    )
    eng = engine(rule_sets=(rule_set,))
    eps = [
        episode("a", at(0), end=at(20), element="olt-a1"),  # carries 112 (and 6 000 internet)
        episode("b", at(0), end=at(180), element="olt-a2"),
    ]
    eng.apply(eps, at(200), {})
    (inc,) = live(eng).values()
    real = document(inc, {(e.fingerprint, e.starts_at): e for e in eps}, network(), at(200))
    (criterion,) = [c for c in real["assessments"][0]["criteria"] if c["kind"] == "emergency_112"]
    assert criterion["met"] is False
    answer = draft_fields("pts_initial", real, OPERATOR, None, at(200)).fields["emergency_112"]
    assert answer.value == (
        "Ja: ett nätelement som förmedlar nödsamtal (112) berördes från 2026-11-23 kl. 11.00 "
        "svensk tid till 2026-11-23 kl. 11.20 svensk tid (20 minuter)."
    )


def test_the_csirt_reads_whose_word_the_start_is() -> None:
    """The start of an incident seen by monitoring says so; one opened by hand says it is
    what was registered by hand (the label said "enligt vår övervakning" for both)."""
    declared = {"aware_at": "2026-11-23T10:00:00Z", "by": "anna", "significant": True}
    seen = draft("se_cyber_early_warning", doc(declaration=declared)).fields["started_at"]
    assert seen.label == "Tidpunkt då incidenten började"
    assert seen.value == "2026-11-23 kl. 10.05 svensk tid (enligt vår övervakning)"
    by_hand = [{"labels": {"alertname": "ReportedByHand"}, "annotations": {}}]
    told = draft("se_cyber_early_warning", doc(declaration=declared, alert_details=by_hand))
    assert told.fields["started_at"].value == (
        "2026-11-23 kl. 10.05 svensk tid (enligt den manuella registreringen av incidenten)"
    )


def test_fields_only_a_person_can_answer_are_present_empty_and_marked() -> None:
    """Measures, public information and the risk to life are empty and listed to complete."""
    d = draft("pts_supplementary")
    assert d.to_complete() == [
        "causes",
        "public_information",
        "effect_minimisation",
        "remedy",
        "recurrence_prevention",
    ]
    assert all(d.fields[k].value == "" and d.fields[k].source for k in d.to_complete())
    assert d.placeholder == "Ännu inte känt"
    # no initial report was sent: the supplementary report says so instead of listing changes
    assert (
        d.fields["changes"].value == "Ingen inledande rapport om störningen har skickats tidigare."
    )
    assert "scope_life_health" in draft("nkom_varsel").to_complete()


def test_contact_and_recipient_come_from_the_operator_and_the_regulator() -> None:
    """The contact names person, operator, phone, e-mail; the recipient defaults per regulator."""
    assert value("nkom_varsel", "contact") == (
        "NOC vakt, Exempel Nät AB, tlf. +46 10 000 00 00, e-post noc@ex.net"
    )
    assert draft("nkom_varsel").recipient == "ekomvarsling@nkom.no"
    assert draft("pts_initial").recipient == "incidentrapport@pts.se"
    chosen = draft_fields("pts_initial", doc(), OPERATOR, "test@pts.example", NOW)
    assert chosen.recipient == "test@pts.example"


def test_an_unknown_kind_is_bad_input() -> None:
    """A kind no regulator asks for is refused, naming the kinds that exist."""
    with pytest.raises(BadInput, match="nkom_varsel"):
        draft("pts_privacy")


def test_a_real_engine_document_drafts_with_region_names_and_112() -> None:
    """A document from the engine (not hand-written) fills services, named regions and 112."""
    eng = engine(rule_sets=(PTS,))
    eng.apply([episode("a", at(0), element="olt-a1")], at(2), {"": 1})
    eng.tick(at(90))
    (inc,) = live(eng).values()
    real = document(inc, eng.episodes, network(), at(90))
    d = draft_fields("pts_initial", real, OPERATOR, None, at(90))
    assert d.fields["networks_services"].value == "Bredband, IP-TV"
    # PTS counts active connections, each service's: 6 000 broadband + 1 000 IPTV
    assert "Stockholm: högst 7 000 aktiva anslutningar" in d.fields["scope"].value
    assert d.fields["emergency_112"].value.startswith("Ja:")
    assert d.incident_id == inc.id


def test_each_kind_is_signed_by_the_contact_of_its_track() -> None:
    """Outage notices carry the outage duty, privacy reports the privacy contact point, and
    subscriber notices the subscriber channel with how it verifies who is asking (seed 004)."""
    who = Sender(
        "Exempel Nät AB",
        "556000-0000",
        "NOC vakt",
        "+46 10 000 00 00",
        "noc@ex.net",
        contacts={
            "privacy": Contact("Dataskyddsombud", "+46 10 000 00 10", "dpo@ex.net"),
            "subscriber": Contact("Kundtjänst", "0771-00 00 00", web="https://ex.net/integritet"),
        },
    )

    def field(kind: str, key: str) -> str:
        return draft_fields(kind, doc(), who, None, NOW).fields[key].value

    assert field("nkom_varsel", "contact").startswith("NOC vakt, Exempel Nät AB")
    assert field("pts_initial", "contact").startswith("NOC vakt")
    assert field("privacy_initial", "contact_point").startswith("Dataskyddsombud")
    assert field("nkom_privacy_varsel", "contact").startswith("Dataskyddsombud")
    us = field("subscriber_notice", "contact_us")
    assert us.splitlines() == [
        "Kundtjänst, tel. 0771-00 00 00, webbplats https://ex.net/integritet",
        "Innan vi lämnar ut eller pratar om uppgifter om dig kontrollerar vi att det är du.",
    ]
    assert "NOC" not in us and "Dataskydd" not in us
    assert "kontrollerer vi at det er deg" in field("nkom_privacy_subscriber", "contact_us")


def test_a_contact_s_name_and_phone_follow_the_notice_s_language() -> None:
    """A contact's names and phones per language replace its name and phone in that language's
    notices: a Norwegian notice names the personvernombud and the Norwegian number, never the
    Swedish title or a Swedish domestic number."""
    who = Sender(
        "Exempel Nät AB",
        "556000-0000",
        "NOC vakt",
        "+46 10 000 00 00",
        "noc@ex.net",
        contacts={
            "privacy": Contact(
                "Dataskyddsombud",
                "+46 10 000 00 10",
                "dpo@ex.net",
                names={"sv": "Dataskyddsombud", "nb": "Personvernombud"},
            ),
            "subscriber": Contact(
                "Kundtjänst",
                "0771-00 00 00",
                names={"nb": "Kundeservice"},
                phones={"sv": "0771-00 00 00", "nb": "815 00 000"},
            ),
        },
    )

    def field(kind: str, key: str) -> str:
        return draft_fields(kind, doc(), who, None, NOW).fields[key].value

    assert field("nkom_privacy_varsel", "contact").startswith("Personvernombud, Exempel Nät AB")
    assert field("privacy_initial", "contact_point").startswith("Dataskyddsombud, Exempel Nät AB")
    nb = field("nkom_privacy_subscriber", "contact_us")
    assert nb.startswith("Kundeservice, tlf. 815 00 000")
    assert "0771" not in nb
    assert field("subscriber_notice", "contact_us").startswith("Kundtjänst, tel. 0771-00 00 00")


def test_a_case_s_text_per_language_goes_to_that_language_s_notices() -> None:
    """Where a case holds a text per language, the Swedish notices take the Swedish one and the
    Norwegian ones the bokmål one; a field without one takes the case's own text."""
    case = {
        "id": "priv-20261123-0a1b2c3d",
        "detected_at": "2026-11-23T09:30:00Z",
        "jurisdictions": ["SE", "NO"],
        "description": "Case text",
        "causes": "Felkonfiguration",
        "recurrence_prevention": "Fyraögonsprincip vid ändringar",
        "texts": {
            "sv": {"description": "En bärbar dator med samtalsuppgifter stals."},
            "nb": {
                "description": "En bærbar PC med samtaleopplysninger ble stjålet.",
                "causes": "Feilkonfigurasjon",
            },
        },
    }
    sv = draft_fields("privacy_initial", case, OPERATOR, None, NOW).fields
    nb = draft_fields("nkom_privacy_varsel", case, OPERATOR, None, NOW).fields
    sub = draft_fields("nkom_privacy_subscriber", case, OPERATOR, None, NOW).fields
    assert sv["summary"].value.startswith("En bärbar dator med samtalsuppgifter stals.")
    assert sv["prevention"].value == "Fyraögonsprincip vid ändringar"
    assert nb["description"].value == "En bærbar PC med samtaleopplysninger ble stjålet."
    assert nb["cause"].value == "Feilkonfigurasjon"
    assert sub["what_happened"].value == "En bærbar PC med samtaleopplysninger ble stjålet."
    assert "Case text" not in sv["summary"].value + nb["description"].value


def _breach(**over: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "id": "priv-20261123-aa",
        "detected_at": "2026-11-23T07:42:00+00:00",
        "jurisdictions": ["SE"],
        "description": "En bärbar dator stals.",
        "affected": 900,
    }
    case.update(over)
    return case


def test_a_supplementary_privacy_report_says_when_the_initial_was_sent_and_what_changed() -> None:
    """Against the initial report as sent: a changed answer (the earlier one repeated), one
    sent as not yet known and now known; a person's own answer is carried, not compared."""
    initial = draft_fields("privacy_initial", _breach(), OPERATOR, None, NOW)
    sent = {k: f.value for k, f in initial.fields.items()}
    sent["summary"] = "Som personen skrev det."
    previous = Previous("privacy_initial", NOW, {}, {}, sent, ("summary",))
    later = _breach(affected=1200, consequences="Obehöriga kan se samtalsuppgifter.")
    fields = draft_fields("privacy_supplementary", later, OPERATOR, None, NOW, previous=previous)
    assert fields.fields["changes"].label == "Ändringar sedan den inledande rapporten"
    assert fields.fields["changes"].value == (
        "Den inledande rapporten skickades 2026-11-23 kl. 13.00 svensk tid. Sedan dess:\n"
        "- Antal berörda abonnenter eller användare: ändrad "
        "(tidigare: 900 abonnenter eller användare).\n"
        "- Möjliga konsekvenser och negativa effekter för abonnenter/användare: ny uppgift "
        "(var ännu inte känd)."
    )
    same = draft_fields("privacy_supplementary", _breach(), OPERATOR, None, NOW, previous=previous)
    assert same.fields["changes"].value == (
        "Den inledande rapporten skickades 2026-11-23 kl. 13.00 svensk tid. Inga uppgifter har "
        "ändrats eller tillkommit sedan dess."
    )


def test_a_supplementary_privacy_report_follows_the_sent_initial_report() -> None:
    """Drafting starts the supplementary report from the initial report that was sent."""

    def render(fields: DraftFields) -> RenderedDraft:
        return RenderedDraft("s", "t", "<p>t</p>")

    initial = draft_fields("privacy_initial", _breach(), OPERATOR, None, NOW)
    opened, _ = casework.open_draft(initial, 1, NOW, render)
    sent = replace(opened, state=casework.SENT, sent_at=NOW)
    ctx = case_drafts.Context(OPERATOR, {}, render)
    fields = ctx.fields_of("privacy_supplementary", _breach(affected=1200), [sent], NOW)
    assert fields.fields["changes"].value.startswith(
        "Den inledande rapporten skickades 2026-11-23 kl. 13.00 svensk tid. Sedan dess:\n"
        "- Antal berörda abonnenter eller användare: ändrad"
    )


def test_a_normalised_notice_does_not_report_the_severity_as_gone() -> None:
    """Severity is read from firing alerts; once every alert is resolved none fires, and the
    normalised notice must not say "Alvorlighetsgrad: kritisk → ikke oppgitt"."""
    alert = {"status": "firing", "labels": {"severity": "critical"}, "annotations": {}}
    incident = {
        "id": "inc-20261123-aa",
        "started_at": "2026-11-23T07:42:00+00:00",
        "impact": {"current": 900, "peak": 900, "by_service": {"internet": 900}},
        "alert_details": [alert],
    }
    done = {
        **incident,
        "state": "closed",
        "remedied_at": "2026-11-23T10:00:00+00:00",
        "impact": {"current": 0, "peak": 900, "by_service": {"internet": 900}},
        "alert_details": [{**alert, "status": "resolved"}],
    }
    previous = Previous(
        "nkom_update",
        NOW,
        case_drafts.snapshot(incident, "severity"),
        case_drafts.snapshot(done, "severity"),
    )
    fields = draft_fields("nkom_normalised", done, OPERATOR, None, NOW, previous=previous)
    assert "Alvorlighetsgrad" not in fields.fields["changes"].value
    assert fields.fields["changes"].value.startswith("Forrige varsel ble sendt")


def test_a_notice_after_the_end_names_only_what_it_compares() -> None:
    """Once it is over, what cleared and the expected end are the normalised notice's own
    story, not compared: "no change" must not read "Ingen endring i omfang" beside a scope
    that fell to zero; it says that, besides the normalisation, no service, area or cause came
    in. Something new is still listed. The PTS supplementary report alike."""
    ongoing = doc(alert_details=[{"annotations": {"expected_resolution": "2026-11-23T14:00:00Z"}}])
    done = doc(
        state="closed",
        remedied_at="2026-11-23T11:30:00Z",
        impact={**doc()["impact"], "current": 0},
        alert_details=[{"annotations": {"expected_resolution": "2026-11-23T15:00:00Z"}}],
    )
    before = case_drafts.snapshot(ongoing, "severity")

    def changes(kind: str, incident: dict[str, Any], prior: str = "nkom_update") -> str:
        previous = Previous(prior, NOW, before, case_drafts.snapshot(incident, "severity"))
        fields = draft_fields(kind, incident, OPERATOR, None, NOW, previous=previous)
        return fields.fields["changes"].value

    assert changes("nkom_normalised", done) == (
        "Forrige varsel ble sendt 23.11.2026 kl. 13.00 norsk tid. Utover normaliseringen: "
        "ingen nye tjenester, områder eller årsaker siden da."
    )
    assert changes("pts_supplementary", done, "pts_initial") == (
        "Den inledande rapporten skickades 2026-11-23 kl. 13.00 svensk tid. Utöver att "
        "störningen har avhjälpts: inga nya tjänster, områden eller orsaker sedan dess."
    )
    grown = {**done["impact"], "by_service": {**done["impact"]["by_service"], "voip": 300}}
    assert changes("nkom_normalised", {**done, "impact": grown}) == (
        "Forrige varsel ble sendt 23.11.2026 kl. 13.00 norsk tid. Utover normaliseringen, "
        "siden da:\n- Nye tjenester rammet: IP-telefoni"
    )
    # while it goes on, every comparison stands and "no change" is the whole claim
    assert changes("nkom_update", ongoing) == (
        "Forrige varsel ble sendt 23.11.2026 kl. 13.00 norsk tid. Ingen endring i omfang, "
        "tjenester, områder, årsak eller alvorlighetsgrad siden da."
    )


def test_an_update_says_when_112_or_a_societal_function_is_no_longer_affected() -> None:
    """The update that the end of a flagged element's outage opens says so in Nkom's words."""
    entry = {"inventory": 2, "peak": 1, "from": "2026-11-23T09:05:00Z", "seconds": 7200}

    def flagged(until: str | None) -> dict[str, Any]:
        flags = {"NO": {f: {**entry, "until": until} for f in ("emergency_112", "societal")}}
        return doc(impact={**doc()["impact"], "flags": flags})

    before = case_drafts.snapshot(flagged(None), "severity")
    back = flagged("2026-11-23T11:05:00Z")
    previous = Previous("nkom_varsel", NOW, before, case_drafts.snapshot(back, "severity"))
    text = draft_fields("nkom_update", back, OPERATOR, None, NOW, previous=previous)
    changes = text.fields["changes"].value
    assert "- Nett som bærer nødanrop (112): ikke lenger berørt" in changes
    assert "- Samfunnsviktige funksjoner: ikke lenger berørt" in changes


def nkom_doc(*severities: str) -> dict[str, Any]:
    """A Norwegian incident whose firing alerts carry ``severities`` (the country's own)."""
    return doc(
        impact={
            "current": 900,
            "peak": 900,
            "by_service": {"internet": 900},
            "by_region": {"NO-5001": 900},
            "region_names": {"NO-5001": "Trondheim"},
            "severities": list(severities),
        }
    )


def test_the_varsel_states_the_provider_s_own_severity_when_its_alerts_carry_one() -> None:
    """Seed 003: every incident the provider itself rates alvorlig or kritisk is notified; the
    varsel says which (the highest), so the update's "alvorlig → kritisk" changes what Nkom
    read. Without a rating in Nkom's words the element is left out, never to complete."""
    varsel = draft("nkom_varsel", nkom_doc("major"))
    assert varsel.fields["severity"].label == "Alvorlighetsgrad (tilbyders egen kategorisering)"
    assert varsel.fields["severity"].value == "Alvorlig."
    assert draft("nkom_update", nkom_doc("major", "critical")).fields["severity"].value == (
        "Kritisk."
    )
    for unrated in (nkom_doc(), nkom_doc("warning")):
        fields = draft("nkom_varsel", unrated)
        assert fields.fields["severity"].value == ""
        assert "severity" not in fields.to_complete()


def test_the_csirt_final_report_s_description_is_a_person_s_with_the_times_as_a_hint() -> None:
    """NIS2 art. 23(4)(d) asks for a detailed description: the final report never answers it
    with the times stated above it; a person writes it, prompted by the hint."""
    over = doc(remedied_at="2026-11-23T12:00:00Z", state="closed")
    final = draft("se_cyber_final", over).fields["description"]
    assert final.value == "" and final.to_complete
    assert "detailed" in final.source and "times" in final.source


def _stated_none() -> dict[str, Any]:
    """A person overrode the impact to 0 connections: no impact at all, stated."""
    none = {"current": 0, "peak": 0, "by_service": {}, "by_region": {}, "region_names": {}}
    return doc(impact={**none, "outage": {"current": 0, "peak": 0}}, impact_overridden=True)


@pytest.mark.parametrize(
    ("kind", "key", "said"),
    [
        ("nkom_varsel", "services", "Ingen ekomtjenester er rammet."),
        ("nkom_varsel", "scope_geography", "Ingen områder er berørt."),
        ("nkom_varsel", "scope_customers", "Ingen kunder er eller har vært berørt."),
        ("pts_initial", "networks_services", "Inga tjänster har berörts."),
        ("pts_initial", "active_connections", "Inga aktiva anslutningar har påverkats."),
        ("se_cyber_notification", "services", "Inga tjänster har berörts."),
        ("se_cyber_notification", "scope", "Inga aktiva anslutningar har påverkats."),
    ],
)
def test_a_stated_zero_is_none_never_not_yet_known(kind: str, key: str, said: str) -> None:
    """``connections: 0`` in an override states none: the notice says so (Nkom, PTS and the
    CSIRT alike), and the field is not left for the approver to send as not yet known."""
    fields = draft(kind, _stated_none())
    assert fields.fields[key].value.startswith(said)
    assert key not in fields.to_complete()
    # the same figures from an inventory that could not say (no override) stay to complete
    assert key in draft(kind, {**_stated_none(), "impact_overridden": False}).to_complete()


def test_many_or_overlong_stated_causes_leave_the_cause_to_a_person() -> None:
    """A storm whose alerts each state their own cause is no cause a regulator can read (a pen
    test sent 700 alerts, each a different 10 kB ``cause``: 7 MB of Årsak, twice, in one
    varsel): like many summaries, more than three distinct stated causes, or one longer than
    a person's reason may be (1 000 characters), leave the element to a person. The update's
    "new cause" lines compare the same list, so they name none of them either."""
    few = [{"annotations": {"cause": f"Fiber cut {n}"}} for n in range(3)]
    assert value("nkom_varsel", "cause", doc(alert_details=few)) == (
        "Fiber cut 0\nFiber cut 1\nFiber cut 2"
    )
    storm = [{"annotations": {"cause": f"{n:04d} " + "d" * 10_000}} for n in range(700)]
    four = [{"annotations": {"cause": f"Fiber cut {n}"}} for n in range(4)]
    one_long = [{"annotations": {"årsak": "x" * 1001}}]
    for alerts in (storm, four, one_long):
        for kind, key in (
            ("nkom_varsel", "cause"),
            ("pts_initial", "cause_preliminary"),
            ("pts_supplementary", "causes"),
        ):
            field = draft(kind, doc(alert_details=alerts)).fields[key]
            assert (field.value, field.to_complete) == ("", True), (kind, len(alerts))
        assert case_drafts.snapshot(doc(alert_details=alerts), "severity")["causes"] == []
    at_limit = [{"annotations": {"årsak": "x" * 1000}}]
    assert value("nkom_varsel", "cause", doc(alert_details=at_limit)) == "x" * 1000
    before = case_drafts.snapshot(doc(alert_details=few), "severity")
    stormy = doc(alert_details=storm)
    previous = Previous("nkom_varsel", NOW, before, case_drafts.snapshot(stormy, "severity"))
    changes = draft_fields("nkom_update", stormy, OPERATOR, None, NOW, previous=previous)
    assert "d" * 100 not in changes.fields["changes"].value
    assert len(changes.fields["changes"].value) < 1000
    # the expected normalisation an alert states alike
    forecast = [{"annotations": {"expected_resolution": "y" * 1001}}]
    assert value("nkom_varsel", "expected_duration", doc(alert_details=forecast)) == ""


def test_an_update_names_at_most_ten_new_areas_and_counts_the_rest() -> None:
    """A storm can add hundreds of areas (or services) at once: the changes line names the
    first ten and counts the rest in the notice's language ("og 290 til" / "och 290 till"),
    never a list as long as the inventory."""
    areas = {f"NO-{n:04d}": 10 for n in range(300)}
    names = {f"NO-{n:04d}": f"Kommune {n:03d}" for n in range(300)}
    before = case_drafts.snapshot(doc(), "severity")
    grown = doc(impact={**doc()["impact"], "by_region": areas, "region_names": names})
    previous = Previous("nkom_varsel", NOW, before, case_drafts.snapshot(grown, "severity"))
    nb = draft_fields("nkom_update", grown, OPERATOR, None, NOW, previous=previous)
    line = next(x for x in nb.fields["changes"].value.splitlines() if "Nye områder" in x)
    shown = ", ".join(f"Kommune {n:03d}" for n in range(10))
    assert line == f"- Nye områder berørt: {shown} og 290 til"
    sv_previous = replace(previous, kind="pts_initial")
    sv = draft_fields("pts_supplementary", grown, OPERATOR, None, NOW, previous=sv_previous)
    line = next(x for x in sv.fields["changes"].value.splitlines() if "Nya berörda" in x)
    assert line == f"- Nya berörda områden: {shown} och 290 till"
    few = doc(impact={**doc()["impact"], "by_region": {"NO-0001": 5, "NO-0002": 5}})
    previous = Previous("nkom_varsel", NOW, before, case_drafts.snapshot(few, "severity"))
    text = draft_fields("nkom_update", few, OPERATOR, None, NOW, previous=previous)
    assert "- Nye områder berørt: NO-0001, NO-0002\n" in text.fields["changes"].value + "\n"


def test_an_alert_s_control_bidi_and_zero_width_characters_never_enter_a_draft() -> None:
    """What an alert brings into a notice (cause, årsak, summary, expected normalisation) is
    cleaned where it enters: lines and tabs stay, nothing else a person's text may not hold;
    two causes differing only by such a character are one."""
    alerts = [
        {"annotations": {"cause": "Fiber\x00brudd\x1b[2J\n\tved \u2066Heimdal\u202e"}},
        {"annotations": {"cause": "Fiberbrudd[2J\n\tved Heimdal\u200b"}},
        {"annotations": {"expected_resolution": "\x07om 2 timer\u200b"}},
    ]
    for kind, key in (
        ("nkom_varsel", "cause"),
        ("pts_initial", "cause_preliminary"),
        ("nkom_hendelsesrapport", "cause"),
    ):
        assert value(kind, key, doc(alert_details=alerts)) == "Fiberbrudd[2J\n\tved Heimdal"
    assert value("nkom_varsel", "expected_duration", doc(alert_details=alerts)) == "om 2 timer"
    summary = [{"annotations": {"summary": "\u200b\x00"}}]
    assert value("nkom_varsel", "cause", doc(alert_details=summary)) == ""
