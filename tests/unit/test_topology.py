"""The inventory tree (bridge.core.topology)."""

from __future__ import annotations

import random

import pytest
from corekit import network

from bridge.core.topology import Element, Topology, add_into
from bridge.errors import BadInput


def _chain_ancestors(topo: Topology, element: str) -> set[str]:
    out, node = {element}, topo.elements[element].parent
    while node is not None:
        out.add(node)
        node = topo.elements[node].parent
    return out


def test_euler_intervals_match_parent_chains_for_every_pair() -> None:
    """is_ancestor_or_self(a, b) holds exactly when a is on b's parent chain (or is b)."""
    topo = network()
    for b in topo.elements:
        chain = _chain_ancestors(topo, b)
        for a in topo.elements:
            assert topo.is_ancestor_or_self(a, b) == (a in chain), (a, b)


def test_euler_intervals_nest_and_order_lists_every_element_once() -> None:
    """Each [tin, tout] lies inside its parent's, and ``order`` is a permutation by tin."""
    topo = network()
    assert sorted(topo.order) == sorted(topo.elements)
    assert [topo.tin[e] for e in topo.order] == list(range(len(topo)))
    for element in topo.elements.values():
        assert topo.tin[element.id] <= topo.tout[element.id]
        if element.parent is not None:
            assert topo.tin[element.parent] < topo.tin[element.id]
            assert topo.tout[element.id] <= topo.tout[element.parent]


def test_topology_does_not_depend_on_element_order() -> None:
    """Children listed before their parents give the same tree and intervals."""
    ordered = network()
    shuffled = list(ordered.elements.values())
    random.Random(7).shuffle(shuffled)
    again = Topology(reversed(shuffled))
    assert again.tin == ordered.tin
    assert again.tout == ordered.tout


def test_unknown_parent_is_bad_input_naming_the_element() -> None:
    """An element whose parent is not in the inventory is rejected by name."""
    with pytest.raises(BadInput) as info:
        Topology([Element("root", None, "SE", "r"), Element("olt-9", "ghost", "SE", "r")])
    assert "olt-9" in info.value.field
    assert "ghost" in info.value.problem


def test_duplicate_element_id_is_bad_input() -> None:
    """Two elements with one id are rejected by name."""
    with pytest.raises(BadInput) as info:
        Topology([Element("x", None, "SE", "r"), Element("x", None, "SE", "r")])
    assert "x" in info.value.field


@pytest.mark.parametrize(
    "elements",
    [
        [Element("a", "b", "SE", "r"), Element("b", "a", "SE", "r")],
        [Element("self", "self", "SE", "r")],
        [
            Element("root", None, "SE", "r"),
            Element("a-below", "x", "SE", "r"),  # hangs under the cycle; sorts first
            Element("x", "y", "SE", "r"),
            Element("y", "z", "SE", "r"),
            Element("z", "x", "SE", "r"),
        ],
    ],
    ids=["two", "self-parent", "three-with-descendant"],
)
def test_cycle_is_bad_input_naming_an_element_on_the_cycle(elements: list[Element]) -> None:
    """A parent chain that loops is rejected, naming an element that is on the loop."""
    with pytest.raises(BadInput) as info:
        Topology(elements)
    cycle = {"a", "b", "self", "x", "y", "z"}
    named = info.value.field.removeprefix("element ").removesuffix(".parent")
    assert named in cycle
    assert "cycle" in info.value.problem


def test_subtree_vector_sums_connections_area_capacity_and_flags() -> None:
    """A site's subtree vector is the sum of its elements' own vectors, key by key."""
    topo = network()
    assert topo.subtree_vector("site-a") == {
        ("conn", "SE", "internet", "SE-0180"): 10000,
        ("conn", "SE", "iptv", "SE-0180"): 1000,
        ("area", "SE"): 500.0,
        ("cap", "SE"): 0.02,
        ("flag", "SE", "emergency_112"): 1,
        ("flag", "SE", "societal"): 1,
    }
    core = topo.subtree_vector("core-se")
    assert core[("conn", "SE", "internet", "SE-0180")] == 10000
    assert core[("conn", "SE", "internet", "SE-1480")] == 10000
    assert core[("area", "SE")] == pytest.approx(1300.0)
    assert core[("cap", "SE")] == pytest.approx(0.07)
    assert core[("flag", "SE", "wholesale")] == 1


def test_subtree_vector_of_a_leaf_is_its_own_vector_and_zeros_are_left_out() -> None:
    """A leaf's subtree is itself; zero counts and false flags leave no key."""
    topo = Topology(
        [
            Element("root", None, "NO", "NO-03"),
            Element("leaf", "root", "NO", "NO-03", connections={"internet": 5, "voice": 0}),
        ]
    )
    assert topo.subtree_vector("leaf") == {("conn", "NO", "internet", "NO-03"): 5}
    assert topo.subtree_vector("leaf") == topo.elements["leaf"].own_vector()
    assert topo.elements["root"].own_vector() == {}


def test_totals_equal_the_sum_of_the_roots_subtrees() -> None:
    """The inventory totals are the sum of every root's subtree vector."""
    topo = network()
    summed: dict[tuple[str, ...], float] = {}
    for element in topo.elements.values():
        if element.parent is None:
            add_into(summed, topo.subtree_vector(element.id))
    assert summed.keys() == topo.totals.keys()
    for key, value in summed.items():
        assert topo.totals[key] == pytest.approx(value)


def test_ancestor_of_kind_finds_self_then_nearest_ancestor_else_none() -> None:
    """ancestor_of_kind returns the element itself if it matches, else the nearest ancestor."""
    topo = network()
    assert topo.ancestor_of_kind("olt-a1", "site") == "site-a"
    assert topo.ancestor_of_kind("site-a", "site") == "site-a"
    assert topo.ancestor_of_kind("olt-n1", "core") == "core-no"
    assert topo.ancestor_of_kind("core-se", "site") is None
    assert topo.ancestor_of_kind("olt-a1", "pop") is None


def test_ancestors_lists_parent_first_root_last() -> None:
    """ancestors() walks up from the parent to the root."""
    assert network().ancestors("olt-b1") == ["site-b", "core-se"]
    assert network().ancestors("core-se") == []


def test_service_and_region_totals_come_from_the_inventory() -> None:
    """Totals per service, per jurisdiction and per region are sums over the inventory."""
    topo = network()
    assert topo.service_total("SE", "internet") == 20000
    assert topo.service_total("SE", "iptv") == 1000
    assert topo.service_total("NO", "internet") == 2000
    assert topo.service_total("NO", "iptv") == 0
    assert topo.region_total("SE", "internet", "SE-1480") == 10000
    assert topo.region_total("SE", "internet", "NO-0301") == 0


def test_configured_service_totals_override_the_inventory_sum() -> None:
    """service_totals configured for a partial inventory win over the inventory's own sum."""
    base = network()
    topo = Topology(base.elements.values(), service_totals={"SE": {"internet": 1_000_000}})
    assert topo.service_total("SE", "internet") == 1_000_000
    assert topo.service_total("SE", "iptv") == 1000
    assert topo.region_total("SE", "internet", "SE-0180") == 10000


def test_region_total_for_an_empty_region_name_does_not_leak_into_service_total() -> None:
    """A region literally named "" is one region, not the whole jurisdiction (cache keys differ)."""
    topo = Topology(
        [
            Element("a", None, "SE", "", connections={"internet": 10}),
            Element("b", None, "SE", "SE-01", connections={"internet": 90}),
        ]
    )
    assert topo.region_total("SE", "internet", "") == 10
    assert topo.service_total("SE", "internet") == 100
    fresh = Topology(topo.elements.values())
    assert fresh.service_total("SE", "internet") == 100
    assert fresh.region_total("SE", "internet", "") == 10


def test_add_into_adds_subtracts_and_drops_zeros() -> None:
    """add_into adds a signed delta in place and removes keys that reach zero."""
    target = {("a",): 1.0, ("b",): 2.0}
    add_into(target, {("a",): 1.0, ("c",): 3.0}, -1)
    assert target == {("b",): 2.0, ("c",): -3.0}


def test_len_and_contains_reflect_the_elements() -> None:
    """len() counts elements and ``in`` tests element ids."""
    topo = network()
    assert len(topo) == 9
    assert "olt-a1" in topo
    assert "ghost" not in topo


def test_warm_gives_the_same_subtree_vectors_as_lazy_computation() -> None:
    """Topology.warm() precomputes exactly the vectors subtree_vector computes on demand."""
    from bridge.core.topology import Element, Topology

    elements = [
        Element("root", None, "SE", "R1", connections={"internet": 5}),
        Element("a", "root", "SE", "R1", connections={"internet": 7}, area_km2=3),
        Element("b", "a", "SE", "R2", connections={"mobile": 11}, emergency_112=True),
        Element("c", "root", "NO", "R3", capacity_share=0.25, societal=True),
    ]
    lazy, warm = Topology(elements), Topology(elements)
    warm.warm()
    for element in ("root", "a", "b", "c"):
        assert warm.subtree_vector(element) == lazy.subtree_vector(element)
    assert warm.subtree_vector("root")[("conn", "SE", "internet", "R1")] == 12


def test_connection_sums_remember_only_what_the_inventory_counts() -> None:
    """Services and regions an alert names itself, any number of them, add nothing to what
    the topology remembers; every sum equals the one counted afresh."""
    topo = network()

    def counted(j: str, service: str, region: str | None) -> float:
        return sum(
            v
            for k, v in topo.totals.items()
            if k[0] == "conn" and k[1:3] == (j, service) and region in (None, k[3])
        )

    known = [("SE", "internet", "SE-0180"), ("SE", "iptv", "SE-1480"), ("NO", "internet", None)]
    asked = known + [
        (j, service, region)
        for n in range(500)
        for j, service, region in [
            ("SE", "internet", f"SE-{n}"),
            ("SE", f"svc-{n}", "SE-0180"),
            ("SE", f"svc-{n}", None),
            (f"X{n}", "internet", None),
        ]
    ]
    for j, service, region in asked:
        got = (
            topo.service_total(j, service)
            if region is None
            else topo.region_total(j, service, region)
        )
        assert got == counted(j, service, region)
    assert topo.region_total("SE", "internet", "SE-0180") == 10000
    assert len(topo._sum_cache) <= len(known)
