"""Alert → target mapping (bridge.core.mapping)."""

from __future__ import annotations

from corekit import T0, episode, network

from bridge.core.mapping import DEGRADATION, OUTAGE, MappingRules, map_alert

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


def test_jurisdiction_label_and_default_jurisdiction() -> None:
    """An explicit jurisdiction label wins; without one the configured default applies."""
    topo = network()
    explicit = episode(
        "fp", T0, jurisdiction="no", service="internet", region="0301", affected_connections="1"
    )
    assert map_alert(explicit, topo, RULES).jurisdiction == "NO"
    plain = episode("fp", T0, service="internet", region="0301", affected_connections="1")
    assert map_alert(plain, topo, MappingRules(default_jurisdiction="NO")).jurisdiction == "NO"
