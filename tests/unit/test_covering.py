"""Covering: an alert above the correlation level takes in the incidents under it
(bridge.core.covering.cover), on plain spans."""

from __future__ import annotations

import itertools

from corekit import at

from bridge.core.covering import Span, cover

# core ─┬─ router ─ site-1
#       └─ site-2          other-core ─ site-3
PARENT = {"router": "core", "site-1": "router", "site-2": "core", "site-3": "other-core"}
COVERS = {"topo:core": 0, "topo:router": 1, "topo:other-core": 0}


def under(ancestor: str, element: str) -> bool:
    node: str | None = element
    while node is not None:
        if node == ancestor:
            return True
        node = PARENT.get(node)
    return False


def span(element: str, start: int, reach: int | None, name: str) -> Span:
    return Span(
        f"topo:{element}",
        element,
        at(start),
        None if reach is None else at(reach),
        ((name, at(start)),),
    )


def moves(*spans: Span) -> dict[str, str]:
    return {ek[0]: key for ek, key in cover(spans, COVERS, under).moves.items()}


def test_a_site_overlapping_the_alert_above_it_moves_into_its_key() -> None:
    assert moves(span("core", 10, None, "c"), span("site-2", 0, 20, "s")) == {"s": "topo:core"}


def test_nothing_moves_without_an_overlap_or_outside_the_tree() -> None:
    assert moves(span("core", 10, 20, "c"), span("site-2", 20, 30, "s")) == {}
    assert moves(span("core", 10, None, "c"), span("site-3", 0, None, "s")) == {}


def test_nested_covers_go_to_the_topmost() -> None:
    """The site under the router, the router under the core: all in the core's key."""
    assert moves(
        span("core", 10, None, "c"), span("router", 12, None, "r"), span("site-1", 0, 15, "s")
    ) == {"r": "topo:core", "s": "topo:core"}


def test_a_group_grows_through_what_it_took_in() -> None:
    """site-2's later span overlaps only the first site span the core took in, not the
    core's own span: it joins, as partitioning the core's key would put it in that part."""
    assert moves(
        span("core", 0, 10, "c"), span("site-2", 5, 40, "s1"), span("site-2", 30, 50, "s2")
    ) == {"s1": "topo:core", "s2": "topo:core"}


def test_the_result_does_not_depend_on_the_order_of_the_spans() -> None:
    spans = [
        span("core", 0, 10, "c"),
        span("router", 40, 60, "r"),
        span("site-1", 5, 45, "s1"),
        span("site-2", 55, 70, "s2"),
        span("site-3", 0, None, "s3"),
    ]
    results = {tuple(sorted(moves(*order).items())) for order in itertools.permutations(spans)}
    assert results == {(("r", "topo:core"), ("s1", "topo:core"), ("s2", "topo:core"))}
