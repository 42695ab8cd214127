"""Incidents opened by hand (bridge.core.manual) on plain values: what a person enters is
validated field by field, becomes self-described alerts under one incident label, and the
engine treats the incident like any other."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from corekit import at, engine, episode

from bridge.core.manual import ALERT_NAME, ended, manual_delivery, parse_manual, reference
from bridge.core.mapping import MAX_CONNECTIONS, MappingRules
from bridge.errors import BadInput

ELEMENTS = {"olt-a1", "olt-b1"}
SERVICES = {"internet", "iptv"}
RULES = MappingRules()


def body(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Fibre cut reported by phone",
        "started_at": at(0).isoformat(),
        "impacts": [{"service": "internet", "region": "SE-1480", "connections": 6000}],
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": at(60).isoformat()}, "started_at"),
        ({"ended_at": at(-5).isoformat()}, "ended_at"),
        (
            {"impacts": [{"service": "fax", "region": "SE-1480", "connections": 1}]},
            "impacts[0].service",
        ),
        (
            {"impacts": [{"service": "internet", "region": "", "connections": 1}]},
            "impacts[0].region",
        ),
        (
            {"impacts": [{"service": "internet", "region": "SE-1", "connections": -1}]},
            "impacts[0].connections",
        ),
        (
            {"impacts": [{"service": "internet", "region": "SE-1", "connections": True}]},
            "impacts[0].connections",
        ),
        (
            {
                "impacts": [
                    {"service": "internet", "region": "SE-1", "connections": 1, "societal": "yes"}
                ]
            },
            "impacts[0].societal",
        ),
        ({"impacts": [], "elements": []}, "impacts"),
        ({"elements": ["nowhere"]}, "elements[0]"),
        ({"colour": "red"}, "colour"),
        ({"started_at": "0001-01-02T00:00:00Z"}, "started_at"),  # before 2000: a typo
        # what is typed reaches notices as typed (the alerts' summary and description)
        ({"title": "Fiberbrudd\x1b[31m"}, "title"),
        ({"title": "Fiberbrudd \u202eved Heimdal"}, "title"),
        ({"description": "Gravearbeid\x00"}, "description"),
        ({"description": "Gravearbeid \x85ved Heimdal"}, "description"),
    ],
)
def test_a_bad_field_is_named(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_manual(body(**changes), at(1), ELEMENTS, SERVICES)
    assert err.value.field == field


@pytest.mark.parametrize("connections", [MAX_CONNECTIONS + 1, 2**63, 2**64, 10**30])
def test_more_connections_than_any_network_has_is_refused_naming_the_field(
    connections: int,
) -> None:
    """A count above MAX_CONNECTIONS (2**64 broke the store's JSON and the evaluator) is
    BadInput on the impact's connections; the cap itself is taken."""
    impact = {"service": "internet", "region": "SE-1480", "connections": connections}
    with pytest.raises(BadInput) as err:
        parse_manual(body(impacts=[{**impact}]), at(1), ELEMENTS, SERVICES)
    assert err.value.field == "impacts[0].connections"
    assert str(MAX_CONNECTIONS) in err.value.problem
    most = parse_manual(
        body(impacts=[{**impact, "connections": MAX_CONNECTIONS}]), at(1), ELEMENTS, SERVICES
    )
    assert most.impacts[0].connections == MAX_CONNECTIONS


def test_the_reference_is_stable_for_the_same_entry_and_differs_otherwise() -> None:
    first = parse_manual(body(), at(1), ELEMENTS, SERVICES)
    again = parse_manual(body(), at(2), ELEMENTS, SERVICES)
    assert reference(first, "alice") == reference(again, "alice")
    assert reference(first, "alice") != reference(first, "bob")
    other = parse_manual(body(title="Another"), at(1), ELEMENTS, SERVICES)
    assert reference(other, "alice") != reference(first, "alice")


def test_one_incident_with_the_entered_impact_reportable_like_any_other() -> None:
    """6 000 SE internet connections (self-described) and olt-a1 (an element) for an hour:
    one incident; PTS's conn-5k-1h is met an hour after the start."""
    manual = parse_manual(body(elements=["olt-a1"]), at(1), ELEMENTS, SERVICES)
    ref = reference(manual, "alice")
    delivery = manual_delivery(manual, ref, "alice", RULES, "incident", at(1))
    assert {ep.labels["incident"] for ep in delivery.episodes} == {ref}
    assert all(ep.labels["alertname"] == ALERT_NAME for ep in delivery.episodes)
    assert all(ep.annotations["reported_by"] == "alice" for ep in delivery.episodes)
    eng = engine()
    (inc_id,) = eng.apply(delivery.episodes, at(1))
    inc = eng.incidents[inc_id]
    assert inc.key == f"label:{ref}"
    assert inc.unmapped == {}
    assert inc.impact.by_service["internet"] == 6000 + 6000  # SE-1480 by hand, olt-a1's SE-0180
    eng.tick(at(61))
    pts = next(a for a in eng.incidents[inc_id].assessments if a.regulator == "pts")
    assert pts.reportable


def test_ending_resolves_only_the_alerts_made_by_hand() -> None:
    manual = parse_manual(body(), at(1), ELEMENTS, SERVICES)
    delivery = manual_delivery(manual, "manual-x", "alice", RULES, "incident", at(1))
    monitored = episode("m", at(0), element="olt-a1")  # an alert monitoring sent
    done = ended([*delivery.episodes, monitored], at(30))
    assert [(ep.fingerprint, ep.status, ep.ends_at) for ep in done] == [
        ("manual-x-i0", "resolved", at(30))
    ]
    closed = manual_delivery(
        parse_manual(body(ended_at=at(20).isoformat()), at(21), ELEMENTS, SERVICES),
        "manual-y",
        "alice",
        RULES,
        "incident",
        at(21),
    )
    assert {(ep.status, ep.ends_at) for ep in closed.episodes} == {("resolved", at(20))}
    assert closed.episodes[0].starts_at == at(0)
    assert at(20) - closed.episodes[0].starts_at == timedelta(minutes=20)


def test_a_description_keeps_its_lines_and_tabs() -> None:
    found = parse_manual(body(description="Gravearbeid.\r\n\tKabel kuttet."), at(1), ELEMENTS)
    assert found.description == "Gravearbeid.\r\n\tKabel kuttet."
