"""Alert → target mapping (bridge.core.mapping)."""

from __future__ import annotations

import pytest
from corekit import T0, episode, network

from bridge.core.mapping import DEGRADATION, MAX_CONNECTIONS, OUTAGE, MappingRules, map_alert

RULES = MappingRules()


def test_an_alert_naming_a_known_element_maps_to_it() -> None:
    """The element label picks the inventory element, whose jurisdiction the target takes."""
    target = map_alert(episode("fp", T0, element="olt-n1"), network(), RULES)
    assert target.element == "olt-n1"
    assert target.key == "el:olt-n1"
    assert target.jurisdiction == "NO"
    assert target.impact_kind == OUTAGE
    assert not target.unmapped


def test_the_first_element_label_the_inventory_knows_wins() -> None:
    """With several element labels configured, the first one whose value is known is used."""
    rules = MappingRules(element_labels=("device", "element"))
    target = map_alert(episode("fp", T0, device="nope", element="olt-a2"), network(), rules)
    assert target.element == "olt-a2"


def test_element_may_come_from_an_annotation() -> None:
    """A value missing from labels is read from annotations."""
    ep = episode("fp", T0, annotations={"element": "olt-a1"})
    assert map_alert(ep, network(), RULES).element == "olt-a1"


def test_degradation_values_mark_a_degradation() -> None:
    """impact=störning (any case) makes the target a degradation."""
    ep = episode("fp", T0, element="olt-a1", impact="Störning")
    assert map_alert(ep, network(), RULES).impact_kind == DEGRADATION


def test_severity_is_read_lowercased() -> None:
    """The operator's severity label is kept in lower case."""
    ep = episode("fp", T0, element="olt-a1", severity="Critical")
    assert map_alert(ep, network(), RULES).severity == "critical"


def test_a_self_described_alert_carries_its_own_vector() -> None:
    """service, region and affected_connections make a self-described target."""
    ep = episode(
        "fp",
        T0,
        service="internet",
        region="NO-0301",
        affected_connections="1500",
        area_km2="12.5",
        societal="yes",
    )
    target = map_alert(ep, network(), RULES)
    assert target.element is None
    assert not target.unmapped
    assert target.jurisdiction == "NO"  # from the region's prefix
    assert target.key == "fp:fp"
    assert target.vector == {
        ("conn", "NO", "internet", "NO-0301"): 1500,
        ("area", "NO"): 12.5,
        ("flag", "NO", "societal"): 1,
    }


def test_an_unknown_element_with_self_description_still_counts_and_says_why() -> None:
    """An inventory gap never hides an outage: the self-description counts, flagged unmapped."""
    ep = episode(
        "fp",
        T0,
        element="olt-new",
        service="internet",
        region="SE-0180",
        affected_connections="300",
    )
    target = map_alert(ep, network(), RULES)
    assert target.unmapped
    assert "olt-new" in (target.unmapped_reason or "")
    assert target.key == "self:olt-new"
    assert target.vector == {("conn", "SE", "internet", "SE-0180"): 300}


def test_an_unknown_element_without_description_is_unmapped_with_a_reason() -> None:
    """An alert naming an element the inventory lacks is kept, with no impact and a reason."""
    target = map_alert(episode("fp", T0, element="ghost"), network(), RULES)
    assert target.unmapped
    assert target.vector == {}
    assert "ghost" in (target.unmapped_reason or "")
    assert "not in the inventory" in (target.unmapped_reason or "")


def test_bad_self_descriptions_are_unmapped_with_the_reason() -> None:
    """A non-numeric, negative or incomplete self-description is unmapped and says why."""
    topo = network()
    cases = {
        "not a number": {"service": "internet", "region": "SE-01", "affected_connections": "x"},
        "negative": {"service": "internet", "region": "SE-01", "affected_connections": "-3"},
        "without": {"affected_connections": "10"},
        "no inventory element": {},
    }
    for expected, labels in cases.items():
        target = map_alert(episode("fp", T0, **labels), topo, RULES)
        assert target.unmapped
        assert expected in (target.unmapped_reason or ""), (expected, target.unmapped_reason)


@pytest.mark.parametrize(
    "raw",
    ["inf", "-inf", "Infinity", "nan", "1e20", "18446744073709551616", "1000000001", "2.5"],
)
def test_a_count_that_is_no_finite_whole_number_up_to_the_cap_is_unmapped(raw: str) -> None:
    """affected_connections of "inf" (OverflowError) or "1e20" (more than the store's JSON
    takes), above MAX_CONNECTIONS or not whole: the alert is kept unmapped, adding nothing,
    with a reason naming the label and the value."""
    ep = episode("fp", T0, service="internet", region="SE-2380", affected_connections=raw)
    target = map_alert(ep, network(), RULES)
    assert target.unmapped
    assert target.vector == {}
    assert f"affected_connections={raw!r}" in (target.unmapped_reason or "")


@pytest.mark.parametrize(
    ("raw", "count"), [("0", 0), ("1e3", 1000), ("1500.0", 1500), (str(MAX_CONNECTIONS), 10**9)]
)
def test_a_whole_count_up_to_the_cap_counts_in_any_spelling(raw: str, count: int) -> None:
    ep = episode("fp", T0, service="internet", region="SE-2380", affected_connections=raw)
    target = map_alert(ep, network(), RULES)
    assert not target.unmapped
    assert target.vector == ({("conn", "SE", "internet", "SE-2380"): count} if count else {})
    assert all(type(v) is int for v in target.vector.values())


@pytest.mark.parametrize("area", ["inf", "nan", "-inf"])
def test_an_area_that_is_not_finite_is_left_out(area: str) -> None:
    """area_km2 of "nan" or "inf" would poison every sum: left out, as a non-number is."""
    ep = episode(
        "fp",
        T0,
        service="internet",
        region="SE-2380",
        affected_connections="10",
        area_km2=area,
    )
    assert map_alert(ep, network(), RULES).vector == {("conn", "SE", "internet", "SE-2380"): 10}


def test_jurisdiction_label_and_default_jurisdiction() -> None:
    """An explicit jurisdiction label wins; without one the configured default applies."""
    topo = network()
    explicit = episode(
        "fp", T0, jurisdiction="no", service="internet", region="0301", affected_connections="1"
    )
    assert map_alert(explicit, topo, RULES).jurisdiction == "NO"
    plain = episode("fp", T0, service="internet", region="0301", affected_connections="1")
    assert map_alert(plain, topo, MappingRules(default_jurisdiction="NO")).jurisdiction == "NO"
