"""Correlation keys, partitioning by time and id assignment (bridge.core.incidents)."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import timedelta

from corekit import T0, at, episode, network

from bridge.core.alerts import AlertEpisode
from bridge.core.incidents import (
    CorrelationRules,
    Part,
    assign_ids,
    correlation_key,
    effective_ends,
    incident_id,
    partition,
)
from bridge.core.mapping import MappingRules, map_alert

TOPO = network()
RULES = CorrelationRules(
    ancestor_kind="site",
    key_labels=(("alertname", "cluster"), ("service",)),
    window=timedelta(minutes=10),
    quiet_period=timedelta(minutes=30),
)


def key_of(ep: AlertEpisode, rules: CorrelationRules = RULES) -> str:
    return correlation_key(ep, map_alert(ep, TOPO, MappingRules()), TOPO, rules)


def parts_of(
    *eps: AlertEpisode, key: str = "alert:x", rules: CorrelationRules = RULES
) -> list[list[tuple[str, object]]]:
    episodes = {ep.key: ep for ep in eps}
    parts = partition(key, episodes, effective_ends(episodes.values()), rules)
    return [sorted(p.episodes) for p in parts]


# ---- correlation_key -------------------------------------------------------------------------


def test_explicit_incident_label_comes_first() -> None:
    """incident=<id> wins over the topology and key labels."""
    ep = episode("fp", T0, incident="INC-7", element="olt-a1", cluster="c1")
    assert key_of(ep) == "label:INC-7"


def test_topology_ancestor_of_the_configured_kind_comes_next() -> None:
    """An element under a site correlates by that site."""
    assert key_of(episode("fp", T0, element="olt-a1", cluster="c1")) == "topo:site-a"
    assert key_of(episode("fp", T0, element="site-b")) == "topo:site-b"


def test_an_element_above_the_correlation_level_has_a_cover_key_of_its_own() -> None:
    """A core router over sites correlates by itself: its key covers the sites under it
    (bridge.core.covering), whatever labels it carries."""
    assert key_of(episode("fp", T0, element="core-se", cluster="c1")) == "topo:core-se"


def test_key_labels_apply_when_no_ancestor_of_the_kind_exists() -> None:
    """An element with no site above nor below it falls through to the key labels."""
    ep = episode("fp", T0, element="core-se", cluster="c1")
    assert key_of(ep, replace(RULES, ancestor_kind="district")) == (
        "keys:alertname=Down,cluster=c1"
    )


def test_the_first_key_label_set_carried_in_full_is_used() -> None:
    """A key-label set applies only if every label in it is present and non-empty."""
    assert key_of(episode("fp", T0, service="internet")) == "keys:service=internet"
    assert key_of(episode("fp", T0, cluster="", service="tv")) == "keys:service=tv"


def test_an_alert_with_nothing_to_correlate_on_stands_alone() -> None:
    """Without label, topology or key labels the key is the alert's fingerprint."""
    assert key_of(episode("fp-9", T0)) == "alert:fp-9"
    assert key_of(episode("fp-9", T0, element="olt-a1"), CorrelationRules()) == "alert:fp-9"


# ---- effective_ends -----------------------------------------------------------------------


def test_a_superseded_firing_episode_ends_when_the_next_one_starts() -> None:
    """A firing episode followed by a newer one of the same fingerprint lost its resolve."""
    old, new = episode("fp", at(0)), episode("fp", at(40))
    ends = effective_ends([new, old])
    assert ends[old.key] == at(40)
    assert ends[new.key] is None


def test_effective_end_is_the_earlier_of_resolve_and_next_start() -> None:
    """A resolve later than the next start is cut at the next start; an earlier one stands."""
    a = episode("fp", at(0), end=at(50))
    b = episode("fp", at(40), end=at(45))
    c = episode("fp", at(60))
    ends = effective_ends([a, b, c])
    assert ends == {a.key: at(40), b.key: at(45), c.key: None}


# ---- partition -----------------------------------------------------------------------------


def test_an_episode_starting_inside_the_quiet_period_joins() -> None:
    """A start before last end + quiet period continues the incident; at or after it does not."""
    a = episode("a", at(0), end=at(10))
    inside = episode("b", at(39))
    outside = episode("c", at(40))
    assert parts_of(a, inside) == [sorted([a.key, inside.key])]
    assert parts_of(a, outside) == [[a.key], [outside.key]]


def test_a_firing_episode_keeps_the_incident_open_for_any_later_start() -> None:
    """While an episode is firing, every later episode of the key joins."""
    a = episode("a", at(0))
    late = episode("b", at(10_000))
    assert parts_of(a, late) == [sorted([a.key, late.key])]


def test_key_label_incidents_reach_at_least_window_after_each_start() -> None:
    """For key-label correlation the reach is at least start + window, even without quiet time."""
    rules = CorrelationRules(
        key_labels=(("cluster",),), window=timedelta(minutes=10), quiet_period=timedelta(0)
    )
    a = episode("a", at(0), end=at(1))
    b = episode("b", at(9), end=at(9.5))
    c = episode("c", at(19.5))
    assert parts_of(a, b, c, key="keys:cluster=c1", rules=rules) == [
        sorted([a.key, b.key]),
        [c.key],
    ]
    near = episode("c", at(18.5))
    assert len(parts_of(a, b, near, key="keys:cluster=c1", rules=rules)) == 1
    assert len(parts_of(a, b, near, key="topo:x", rules=rules)) == 3  # window is for keys only


def test_partition_ignores_the_order_of_episodes() -> None:
    """Every insertion order of the same episodes gives the same parts."""
    eps = [
        episode("a", at(0), end=at(10)),
        episode("b", at(20), end=at(30)),
        episode("c", at(70), end=at(75)),
        episode("a", at(100)),
    ]
    outcomes = {tuple(tuple(p) for p in parts_of(*perm)) for perm in itertools.permutations(eps)}
    assert len(outcomes) == 1
    assert len(next(iter(outcomes))) == 2


def test_partition_reports_start_last_end_and_reach() -> None:
    """Each part knows its first start, its last end (None while firing) and its reach."""
    eps = {ep.key: ep for ep in [episode("a", at(0), end=at(10)), episode("b", at(5), end=at(20))]}
    (part,) = partition("topo:x", eps, effective_ends(eps.values()), RULES)
    assert (part.started_at, part.last_end, part.reach) == (at(0), at(20), at(50))
    eps[("c", at(6))] = episode("c", at(6))
    (part,) = partition("topo:x", eps, effective_ends(eps.values()), RULES)
    assert (part.last_end, part.reach) == (None, None)


# ---- ids -----------------------------------------------------------------------------------


def test_incident_id_is_deterministic_and_readable() -> None:
    """The id carries the start date and a short hash of key and first episode."""
    first = ("fp", at(0))
    assert incident_id("topo:site-a", first) == incident_id("topo:site-a", first)
    assert re.fullmatch(r"inc-20261123-[0-9a-f]{8}", incident_id("topo:site-a", first))
    assert incident_id("topo:site-a", first) != incident_id("topo:site-b", first)


def test_assign_ids_keeps_the_earliest_previous_id_and_reports_the_merged_one() -> None:
    """A part holding episodes of two former incidents keeps the earlier-started id."""
    a, b = ("a", at(0)), ("b", at(60))
    part = Part("k", [a, b], at(0))
    ids, merged = assign_ids(
        [part], {a: "inc-old", b: "inc-new"}, {"inc-old": at(0), "inc-new": at(60)}, set()
    )
    assert ids == ["inc-old"]
    assert merged == {"inc-new": "inc-old"}


def test_assign_ids_gives_a_split_off_part_a_fresh_id() -> None:
    """When one incident splits in two, the earlier part keeps the id, the later gets a new one."""
    a, b = ("a", at(0)), ("b", at(60))
    parts = [Part("k", [a], at(0)), Part("k", [b], at(60))]
    ids, merged = assign_ids(parts, {a: "inc-1", b: "inc-1"}, {"inc-1": at(0)}, set())
    assert ids[0] == "inc-1"
    assert ids[1] == incident_id("k", b)
    assert merged == {}


def test_assign_ids_never_reuses_a_taken_id() -> None:
    """An id already used by another key's incident gets a numbered variant."""
    a = ("a", at(0))
    taken = {incident_id("k", a)}
    ids, _ = assign_ids([Part("k", [a], at(0))], {}, {}, taken)
    assert ids == [f"{incident_id('k', a)}-2"]
