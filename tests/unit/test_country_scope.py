"""Each regulator's notices count that country's customers only, and their figures add up
(bridge.core.impact.reach, bridge.core.country_view, bridge.core.drafts, case_drafts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from corekit import NKOM, PTS, at, engine, episode, live

from bridge.config.report_forms import builtin_forms
from bridge.core import case_drafts
from bridge.core.documents import document
from bridge.core.drafts import Previous, Sender, draft_fields
from bridge.core.engine import Engine
from bridge.core.impact import reach
from bridge.core.topology import Element, Topology

OPERATOR = Sender("Exempel Nät AB", "556000-0000", "NOC vakt", "+46 10 000 00 00", "noc@ex.net")


def nordic() -> Topology:
    """Oslo: a mobile cell (5 000) and an OLT (broadband 8 000); Bærum: an OLT (broadband
    7 000); Östersund: a cell (mobile 4 000) and a site with four services."""
    return Topology(
        [
            Element("no-site-oslo", None, "NO", "NO-0301", kind="site"),
            Element(
                "no-cell-oslo",
                "no-site-oslo",
                "NO",
                "NO-0301",
                kind="cell",
                connections={"mobile": 5000},
                societal=True,
                emergency_112=True,
            ),
            Element("no-olt-oslo", "no-site-oslo", "NO", "NO-0301", connections={"internet": 8000}),
            Element("no-site-baerum", None, "NO", "NO-3201", kind="site"),
            Element(
                "no-olt-baerum",
                "no-site-baerum",
                "NO",
                "NO-3201",
                kind="olt",
                connections={"internet": 7000},
            ),
            Element("se-site", None, "SE", "SE-2380", kind="site"),
            Element(
                "se-cell",
                "se-site",
                "SE",
                "SE-2380",
                kind="cell",
                connections={"mobile": 4000},
                emergency_112=True,
            ),
            Element("se-site-2", None, "SE", "SE-2380", kind="site"),
            Element(
                "se-olt",
                "se-site-2",
                "SE",
                "SE-2380",
                kind="olt",
                connections={"internet": 6000, "mobile": 3000, "tv": 2500, "telephony": 1500},
            ),
        ],
        region_names={"NO-0301": "Oslo", "NO-3201": "Bærum", "SE-2380": "Östersund"},
    )


LATER = at(40)


def incident_of(
    *elements: str, now: datetime = LATER, critical: tuple[str, ...] = ()
) -> tuple[Engine, dict[str, Any]]:
    """One incident of alerts on ``elements`` (merged by a person where the correlation would
    keep them apart), as the engine documents it at ``now``; the alerts on ``critical`` are
    rated critical, the others major."""
    eng = engine(nordic(), rule_sets=(PTS, NKOM))
    eps = [
        episode(
            f"a{n}",
            at(n),
            element=e,
            severity="critical" if e in critical else "major",
            annotations={"cause": "Fiberbrudd"},
        )
        for n, e in enumerate(elements)
    ]
    eng.apply(eps, at(len(elements)), {"": len(eps)})
    eng.tick(at(len(elements) + 1))
    ids = sorted(live(eng))
    for other in ids[1:]:
        eng.merge(other, ids[0])
    eng.tick(now)
    (inc,) = live(eng).values()
    return eng, document(inc, eng.episodes, nordic(), now)


def field(kind: str, doc: dict[str, Any], key: str) -> str:
    form = builtin_forms().get(kind)
    return draft_fields(kind, doc, OPERATOR, None, at(40), form=form).fields[key].value


def test_customers_of_two_regions_add_up_and_services_of_one_region_make_a_range() -> None:
    """Customers of different regions are different customers (they add up); within one
    region a customer may have several services: at least the largest, at most their sum."""
    assert reach({"NO-3201": {"internet": 7000}, "NO-0301": {"mobile": 5000}}) == (12000, 12000)
    assert reach({"NO-0301": {"internet": 8000, "mobile": 5000}}) == (8000, 13000)
    assert reach({"NO-0301": {"internet": 8000, "mobile": 0}}) == (8000, 8000)
    assert reach({}) == (0, 0)


def test_nkom_reads_only_norwegian_customers_of_a_cross_border_incident() -> None:
    """A Norwegian and a Swedish cell in one incident: Nkom's varsel names Oslo and its 5 000
    mobile customers only, saying in words that Sweden is affected too; PTS's report names
    Östersund and its 4 000 connections only, saying Norway is affected too."""
    _, doc = incident_of("no-cell-oslo", "se-cell")
    geography = field("nkom_varsel", doc, "scope_geography")
    customers = field("nkom_varsel", doc, "scope_customers")
    assert geography == (
        "Oslo: inntil 5 000 berørte kunder\n"
        "Hendelsen berører også kunder i Sverige. Tallene gjelder bare kunder i Norge."
    )
    assert customers.startswith("Mobiltelefoni og mobildata: inntil 5 000 berørte kunder\n")
    assert "Östersund" not in geography + customers and "9 000" not in customers
    scope = field("pts_initial", doc, "scope")
    connections = field("pts_initial", doc, "active_connections")
    assert "Östersund: högst 4 000 aktiva anslutningar" in scope
    assert "Incidenten berör även Norge. Siffrorna gäller endast anslutningar i Sverige." in scope
    assert "Oslo" not in scope and "5 000" not in scope + connections
    assert connections.startswith("Mobiltelefoni och mobildata: högst 4 000 aktiva anslutningar")


def test_the_csirt_and_nkom_s_hendelsesrapport_count_their_own_country_too() -> None:
    """The CSIRT's report (Swedish act) and Nkom's hendelsesrapport count their country only."""
    _, doc = incident_of("no-cell-oslo", "se-cell")
    csirt = field("se_cyber_notification", doc, "scope")
    assert "Östersund: högst 4 000 aktiva anslutningar" in csirt
    assert "Oslo" not in csirt and "5 000" not in csirt
    assert "Incidenten berör även Norge." in csirt
    assert field("se_cyber_notification", doc, "services") == "Mobiltelefoni och mobildata"
    report = field("nkom_hendelsesrapport", doc, "geography")
    assert report.startswith("Oslo: inntil 5 000 berørte kunder")
    assert "Östersund" not in report + field("nkom_hendelsesrapport", doc, "where")


def test_a_notice_names_only_its_own_country_s_services() -> None:
    """A service affected only in Sweden is not among the services Nkom reads."""
    _, doc = incident_of("no-cell-oslo", "se-olt")
    assert field("nkom_varsel", doc, "services") == "Mobiltelefoni og mobildata"
    assert field("pts_initial", doc, "networks_services") == (
        "Bredband, Fast telefoni, Mobiltelefoni och mobildata, TV"
    )


def test_customers_in_two_kommuner_add_up_to_the_total_nkom_reads() -> None:
    """Bærum's 7 000 broadband and Oslo's 5 000 mobile customers are 12 000 customers in all,
    as the notice says above the breakdown; never a total smaller than its parts."""
    _, doc = incident_of("no-cell-oslo", "no-olt-baerum")
    assert field("nkom_varsel", doc, "scope_geography") == (
        "Bærum: inntil 7 000 berørte kunder\nOslo: inntil 5 000 berørte kunder"
    )
    assert field("nkom_varsel", doc, "scope_customers").splitlines()[:3] == [
        "I alt inntil 12 000 berørte kunder (høyeste antall samtidig).",
        "Bredbånd: inntil 7 000 berørte kunder",
        "Mobiltelefoni og mobildata: inntil 5 000 berørte kunder",
    ]


def test_two_services_in_one_kommune_are_a_range_nkom_is_told_why() -> None:
    """Oslo's 8 000 broadband and 5 000 mobile customers may be the same people: between
    8 000 and 13 000 customers, in the area line and the total alike, saying why."""
    _, doc = incident_of("no-site-oslo")
    assert field("nkom_varsel", doc, "scope_geography") == (
        "Oslo: mellom 8 000 og 13 000 berørte kunder"
    )
    first = field("nkom_varsel", doc, "scope_customers").splitlines()[0]
    assert first == (
        "I alt mellom 8 000 og 13 000 berørte kunder (høyeste antall samtidig). Kunder med "
        "flere av tjenestene nedenfor telles én gang, og vi vet ikke hvor mange som har flere; "
        "derfor et spenn."
    )


def test_pts_reads_every_service_s_active_connections_added_up() -> None:
    """PTS counts active connections, one per service: Östersund's 6 000 + 3 000 + 2 500 +
    1 500 are 13 000 (not the largest service, 6 000), in the area line and in all."""
    _, doc = incident_of("se-olt")
    assert "Östersund: högst 13 000 aktiva anslutningar" in field("pts_initial", doc, "scope")
    lines = field("pts_initial", doc, "active_connections").splitlines()
    assert lines[:2] == [
        "Sammanlagt högst 13 000 aktiva anslutningar (högsta antalet samtidigt; varje tjänst "
        "räknas för sig).",
        "Bredband: högst 6 000 aktiva anslutningar",
    ]


def test_the_normalised_peak_is_the_country_s_customers_at_once() -> None:
    """The normalised notice's peak is the figure the rest of it uses, not one service."""
    eng, _ = incident_of("no-cell-oslo", "no-olt-baerum")
    (inc,) = live(eng).values()
    ends = [
        episode(f"a{n}", at(n), element=e, end=at(60), severity="major", annotations={"cause": "x"})
        for n, e in enumerate(("no-cell-oslo", "no-olt-baerum"))
    ]
    eng.apply(ends, at(61), {"": 2})
    eng.tick(at(120))
    (inc,) = live(eng).values()
    doc = document(inc, eng.episodes, nordic(), at(120))
    text = field("nkom_normalised", doc, "normalised")
    assert "Høyeste antall berørte kunder samtidig: 12 000, 23.11.2026 kl. 11.01 norsk tid." in (
        text
    )


def test_a_swedish_cell_merged_in_opens_no_nkom_update() -> None:
    """A Swedish cell joining a Norwegian incident changes nothing Nkom reads: no significant
    change for Nkom (no new region, no more customers), while PTS sees the Swedish impact."""
    _, before = incident_of("no-cell-oslo")
    _, after = incident_of("no-cell-oslo", "se-cell")
    rules = case_drafts.ChangeRules()
    nkom_before = case_drafts.snapshot_of("nkom_varsel", before, [], "severity")
    nkom_after = case_drafts.snapshot_of("nkom_update", after, [], "severity")
    assert case_drafts.significant_changes(nkom_before, nkom_after, rules) == []
    assert nkom_after["regions"] == ["NO-0301"]
    assert nkom_after["customers"] == [5000, 5000]
    pts_after = case_drafts.snapshot_of("pts_initial", after, [], "severity")
    assert pts_after["regions"] == ["SE-2380"]
    assert pts_after["customers"] == [4000, 4000]


def test_a_norwegian_kommune_joining_is_a_change_nkom_reads_with_the_total() -> None:
    """Bærum joining Oslo is a new area and 5 000 → 12 000 customers for Nkom."""
    _, before = incident_of("no-cell-oslo")
    _, after = incident_of("no-cell-oslo", "no-olt-baerum")
    was = case_drafts.snapshot_of("nkom_varsel", before, [], "severity")
    now_ = case_drafts.snapshot_of("nkom_update", after, [], "severity")
    reasons = case_drafts.significant_changes(was, now_, case_drafts.ChangeRules())
    assert any("12000" in r for r in reasons) and "new region: NO-3201" in reasons


def test_an_nkom_update_after_a_swedish_merge_says_nothing_of_sweden_s_figures() -> None:
    """The update's "what changed" compares Norway's part only: a Swedish cell merged in is
    no new area and no more customers for Nkom; Bærum joining is, with the total."""
    _, before = incident_of("no-cell-oslo")
    sent = case_drafts.snapshot_of("nkom_varsel", before, [], "severity")

    def changes(after: dict[str, Any]) -> str:
        now_ = case_drafts.snapshot_of("nkom_update", after, [], "severity")
        previous = Previous("nkom_varsel", at(10), sent, now_)
        d = draft_fields("nkom_update", after, OPERATOR, None, at(40), previous=previous)
        return d.fields["changes"].value

    swedish = changes(incident_of("no-cell-oslo", "se-cell")[1])
    assert "Östersund" not in swedish and "9 000" not in swedish
    assert "Ingen endring i omfang" in swedish
    norwegian = changes(incident_of("no-cell-oslo", "no-olt-baerum")[1])
    assert "- Berørte kunder: 5 000 → 12 000" in norwegian
    assert "- Nye områder berørt: Bærum" in norwegian


def test_a_critical_swedish_alert_is_no_change_of_severity_for_nkom() -> None:
    """The severity Nkom reads is its own country's alerts': a critical Swedish cell merged
    into a major Norwegian incident opens no Nkom update; a critical Norwegian one does."""
    _, before = incident_of("no-cell-oslo")
    sent = case_drafts.snapshot_of("nkom_varsel", before, [], "severity")
    rules = case_drafts.ChangeRules()
    _, swedish = incident_of("no-cell-oslo", "se-cell", critical=("se-cell",))
    nkom = case_drafts.snapshot_of("nkom_update", swedish, [], "severity")
    assert nkom["severities"] == ["major"]
    assert case_drafts.significant_changes(sent, nkom, rules) == []
    assert case_drafts.snapshot_of("pts_initial", swedish, [], "severity")["severities"] == [
        "critical"
    ]
    _, norwegian = incident_of("no-cell-oslo", "no-olt-baerum", critical=("no-olt-baerum",))
    now_ = case_drafts.snapshot_of("nkom_update", norwegian, [], "severity")
    assert "severity major → critical, major" in case_drafts.significant_changes(sent, now_, rules)


def test_one_service_in_two_kommuner_is_their_sum() -> None:
    """Broadband out in Oslo (8 000) and Bærum (7 000) is 15 000 broadband customers: the
    service's line is its areas added, so it needs no total above it."""
    _, doc = incident_of("no-olt-oslo", "no-olt-baerum")
    assert field("nkom_varsel", doc, "scope_geography") == (
        "Oslo: inntil 8 000 berørte kunder\nBærum: inntil 7 000 berørte kunder"
    )
    assert field("nkom_varsel", doc, "scope_customers").splitlines()[0] == (
        "Bredbånd: inntil 15 000 berørte kunder"
    )
    assert doc["impact"]["by_jurisdiction"]["NO"]["customers"]["peak"] == [15000, 15000]
