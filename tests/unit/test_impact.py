"""Affected connections over time without double counting (bridge.core.impact)."""

from __future__ import annotations

import pytest
from corekit import at, described, el, network

from bridge.core.impact import CoverSet, Point, build_timeline, summarise, value_at
from bridge.core.mapping import DEGRADATION, Target
from bridge.core.topology import Topology, Vector, add_into

TOPO = network()


def conn(vec: Vector) -> int:
    return int(sum(v for k, v in vec.items() if k[0] == "conn"))


def sub(element: str) -> Vector:
    return TOPO.subtree_vector(element)


def minus(a: Vector, b: Vector) -> Vector:
    out = dict(a)
    add_into(out, b, -1)
    return out


def point(timeline: list[Point], minutes: float) -> Point:
    found = value_at(timeline, at(minutes))
    assert found is not None
    return found


def test_a_childs_alert_under_a_down_ancestor_adds_nothing() -> None:
    """An OLT going down inside an already-down site changes neither vector nor timeline."""
    timeline = build_timeline(TOPO, [(at(0), None, el("site-a")), (at(10), None, el("olt-a1"))])
    assert len(timeline) == 1
    assert point(timeline, 20).outage == sub("site-a")
    assert conn(point(timeline, 20).outage) == 11000


def test_an_ancestor_going_down_absorbs_its_already_down_child() -> None:
    """When the site follows its OLT down, the site's subtree counts once, not site + OLT."""
    timeline = build_timeline(TOPO, [(at(0), None, el("olt-a1")), (at(10), None, el("site-a"))])
    assert point(timeline, 5).outage == sub("olt-a1")
    assert point(timeline, 15).outage == sub("site-a")


def test_two_alerts_on_one_element_count_once() -> None:
    """Two overlapping alerts on the same element count its connections once."""
    timeline = build_timeline(TOPO, [(at(0), at(30), el("olt-a1")), (at(10), None, el("olt-a1"))])
    assert conn(point(timeline, 15).outage) == 7000
    assert conn(point(timeline, 40).outage) == 7000  # the second alert still holds it down


def test_degradation_under_an_outage_counts_only_as_outage() -> None:
    """A degraded OLT inside a down site adds no degradation: it is already out."""
    timeline = build_timeline(
        TOPO, [(at(0), None, el("site-a")), (at(0), None, el("olt-a1", DEGRADATION))]
    )
    now = point(timeline, 5)
    assert now.outage == sub("site-a")
    assert now.degradation == {}


def test_a_degraded_site_with_a_down_olt_counts_the_rest_as_degradation() -> None:
    """A degraded site minus its down OLT is degradation; the OLT is outage; no overlap."""
    timeline = build_timeline(
        TOPO, [(at(0), None, el("site-a", DEGRADATION)), (at(10), None, el("olt-a1"))]
    )
    assert point(timeline, 5).degradation == sub("site-a")
    assert point(timeline, 5).outage == {}
    later = point(timeline, 15)
    assert later.outage == sub("olt-a1")
    assert later.degradation == minus(sub("site-a"), sub("olt-a1"))
    assert conn(later.outage) + conn(later.degradation) == 11000


def test_removing_the_ancestor_re_exposes_the_still_down_child() -> None:
    """When the site's alert resolves, the still-firing OLT below it counts on its own."""
    timeline = build_timeline(TOPO, [(at(0), at(20), el("site-a")), (at(10), None, el("olt-a2"))])
    assert point(timeline, 15).outage == sub("site-a")
    assert point(timeline, 25).outage == sub("olt-a2")
    assert conn(point(timeline, 25).outage) == 4000


def test_removing_the_ancestor_re_exposes_several_children_but_not_grandchildren_twice() -> None:
    """All maximal still-down descendants come back, each once."""
    timeline = build_timeline(
        TOPO,
        [
            (at(0), at(20), el("core-se")),
            (at(1), None, el("site-a")),
            (at(2), None, el("olt-a1")),
            (at(3), None, el("olt-b1")),
        ],
    )
    expected = dict(sub("site-a"))
    add_into(expected, sub("olt-b1"))
    assert point(timeline, 25).outage == expected


def test_self_described_alerts_sharing_a_key_count_once_at_the_largest() -> None:
    """Two self-described alerts with one key count as the larger; when it ends, the smaller."""
    timeline = build_timeline(
        TOPO,
        [
            (at(0), None, described("self:x", 100)),
            (at(5), at(10), described("self:x", 300)),
        ],
    )
    assert conn(point(timeline, 1).outage) == 100
    assert conn(point(timeline, 6).outage) == 300
    assert conn(point(timeline, 11).outage) == 100


def test_self_described_alerts_with_different_keys_add_up() -> None:
    """Self-described alerts with different keys are different outages."""
    timeline = build_timeline(
        TOPO, [(at(0), None, described("fp:a", 100)), (at(0), None, described("fp:b", 300))]
    )
    assert conn(point(timeline, 1).outage) == 400


def test_unmapped_targets_add_no_impact() -> None:
    """An unmapped target has no vector and leaves the timeline empty of connections."""
    ghost = Target(key="fp:g", impact_kind="outage", jurisdiction="SE", unmapped_reason="x")
    timeline = build_timeline(TOPO, [(at(0), None, ghost)])
    assert all(conn(p.combined()) == 0 for p in timeline)


def test_affected_never_exceeds_inventory_totals_when_everything_is_down_many_times() -> None:
    """Every element down, some twice and in both kinds, still sums to at most the totals."""
    intervals = []
    for n, element in enumerate(TOPO.elements):
        intervals.append((at(n), None, el(element)))
        intervals.append((at(n + 0.5), None, el(element, DEGRADATION)))
        intervals.append((at(n + 0.25), at(n + 3), el(element)))
    for p in build_timeline(TOPO, intervals):
        for key, value in p.combined().items():
            assert value <= TOPO.totals[key] + 1e-9
    assert point(build_timeline(TOPO, intervals), 100).outage == pytest.approx(TOPO.totals)


def test_zero_length_and_inverted_intervals_leave_no_trace() -> None:
    """An interval ending when (or before) it starts changes nothing."""
    assert build_timeline(TOPO, [(at(5), at(5), el("olt-a1"))]) == []
    assert build_timeline(TOPO, [(at(5), at(4), el("olt-a1"))]) == []


def test_timeline_is_in_time_order_and_returns_to_zero_after_all_ends() -> None:
    """Points are ordered by time and the last one is empty once everything ended."""
    timeline = build_timeline(TOPO, [(at(10), at(30), el("olt-a1")), (at(0), at(20), el("olt-b1"))])
    assert [p.at for p in timeline] == [at(0), at(10), at(20), at(30)]
    assert [conn(p.outage) for p in timeline] == [10000, 17000, 7000, 0]


def test_simultaneous_end_and_start_on_one_element_leave_no_gap() -> None:
    """A resolve and a re-fire at the same instant give no zero step between them."""
    timeline = build_timeline(TOPO, [(at(0), at(10), el("olt-a1")), (at(10), None, el("olt-a1"))])
    assert len(timeline) == 1
    assert conn(timeline[0].outage) == 7000


def test_value_at_finds_the_point_in_force() -> None:
    """value_at is None before the first point, then the latest point at or before the instant."""
    timeline = build_timeline(TOPO, [(at(10), at(20), el("olt-a1"))])
    assert value_at(timeline, at(9)) is None
    assert value_at(timeline, at(10)) is timeline[0]
    assert value_at(timeline, at(19)) is timeline[0]
    assert value_at(timeline, at(20)) is timeline[1]


def test_severity_signals_count_active_alerts_by_jurisdiction_and_value() -> None:
    """Each active alert's severity is counted under (sev, jurisdiction, value)."""
    timeline = build_timeline(
        TOPO,
        [
            (at(0), at(10), el("olt-n1", jurisdiction="NO", severity="critical")),
            (at(5), None, el("olt-n1", jurisdiction="NO", severity="critical")),
        ],
    )
    assert point(timeline, 6).signals == {("sev", "NO", "critical"): 2}
    assert point(timeline, 11).signals == {("sev", "NO", "critical"): 1}


def test_summarise_reports_current_peak_and_splits_outage_from_degradation() -> None:
    """summarise gives current (last point), peak with its instant, and per-kind figures; each
    headline is the largest per-service count (internet and IP-TV are never added)."""
    timeline = build_timeline(
        TOPO,
        [
            (at(0), at(30), el("olt-b1")),
            (at(10), None, el("olt-a1", DEGRADATION)),
            (at(20), None, el("olt-a2")),
        ],
    )
    s = summarise(timeline)
    assert s.peak == 20000
    assert s.peak_at == at(20)
    assert s.current == 10000
    assert s.outage_current == 4000
    assert s.degradation_current == 6000
    assert s.outage_peak == 14000
    assert s.degradation_peak == 6000
    assert s.by_service == {"internet": 20000, "iptv": 1000}
    assert s.by_region == {"SE-1480": 10000, "SE-0180": 10000}
    assert s.current_by_service_region == {
        ("internet", "SE-0180"): 10000,
        ("iptv", "SE-0180"): 1000,
    }


def test_summarise_of_nothing_is_zero() -> None:
    """An empty timeline summarises to zeros."""
    s = summarise([])
    assert (s.current, s.peak, s.peak_at, s.by_service) == (0, 0, None, {})


def test_cover_set_reference_counts_and_promotes_children() -> None:
    """CoverSet keeps maximal active elements as roots, counting repeated adds."""
    topo: Topology = TOPO
    cover = CoverSet(topo)
    cover.add("olt-a1")
    cover.add("olt-a1")
    cover.add("site-a")
    assert cover.covering_root("olt-a1") == "site-a"
    assert cover.roots_within("core-se") == ["site-a"]
    cover.remove("site-a")
    assert cover.roots_within("core-se") == ["olt-a1"]
    cover.remove("olt-a1")
    assert cover.vector == sub("olt-a1")
    cover.remove("olt-a1")
    assert cover.vector == {}
    assert cover.roots == []
