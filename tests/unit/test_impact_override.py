"""A person's override of an incident's impact (bridge.core.impact_override), and the engine
evaluating incidents with it: plain values, time as an input."""

from __future__ import annotations

from typing import Any

import pytest
from corekit import at, el, engine, episode, live

from bridge.core import documents, impact_override
from bridge.core.engine import Engine
from bridge.core.impact import build_timeline
from bridge.core.impact_override import ImpactOverride, OverrideRequest
from bridge.core.incident_state import Incident, compute
from bridge.errors import BadInput

SERVICES = {"internet", "iptv"}


def body(**more: Any) -> dict[str, Any]:
    return {
        "impacts": [{"service": "internet", "region": "SE-0180", "connections": 6000}],
        "reason": "field team: the whole town is dark, inventory lacks the new cabinet",
        **more,
    }


def stated(**more: Any) -> OverrideRequest:
    return impact_override.parse_override(body(**more), at(200), SERVICES)


def standing_override(**more: Any) -> ImpactOverride:
    doc, _ = impact_override.override({}, "i1", stated(**more), "ana", at(10))
    made = impact_override.from_document(doc, "SE")
    assert made is not None
    return made


def only(eng: Engine) -> Incident:
    (inc,) = live(eng).values()
    return inc


def pts(inc: Incident) -> str:
    (a,) = [a for a in inc.assessments if a.regulator == "pts"]
    return documents.verdict(a, inc)


# ---- what a person enters --------------------------------------------------------------------


def test_a_good_body_is_read_with_its_flags_jurisdiction_and_from() -> None:
    request = stated(
        impacts=[
            {"service": "internet", "region": "SE-0180", "connections": 6000, "societal": True},
            {"service": "iptv", "region": "SE-0180", "connections": 0},
        ],
        jurisdiction="se",
        **{"from": "2026-11-23T10:30:00+00:00"},
    )
    assert [(i.service, i.connections, i.flags) for i in request.impacts] == [
        ("internet", 6000, ("societal",)),
        ("iptv", 0, ()),
    ]
    assert request.jurisdiction == "SE"
    assert request.from_at == at(30)
    assert request.reason.startswith("field team")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"impacts": None}, "impacts"),
        ({"impacts": []}, "impacts"),
        ({"impacts": "6000"}, "impacts"),
        ({"impacts": [{"service": "internet", "region": "SE-0180"}]}, "impacts[0].connections"),
        (
            {"impacts": [{"service": "internet", "region": "SE-0180", "connections": -1}]},
            "impacts[0].connections",
        ),
        (  # more than any network has (2**64 broke the casebook's JSON)
            {"impacts": [{"service": "internet", "region": "SE-0180", "connections": 2**64}]},
            "impacts[0].connections",
        ),
        (
            {"impacts": [{"service": "internet", "region": "SE-0180", "connections": 10**9 + 1}]},
            "impacts[0].connections",
        ),
        (
            {"impacts": [{"service": "radio", "region": "SE-0180", "connections": 1}]},
            "impacts[0].service",
        ),
        (
            {
                "impacts": [
                    {"service": "internet", "region": "SE-0180", "connections": 1},
                    {"service": "internet", "region": "SE-0180", "connections": 2},
                ]
            },
            "impacts[1]",
        ),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": 12}, "reason"),
        ({"reason": "x" * (impact_override.MAX_REASON + 1)}, "reason"),
        ({"reason": "bell\x07"}, "reason"),
        ({"reason": "txt\u202egnp.exe"}, "reason"),  # a right-to-left override
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-11-23T15:00:00Z"}, "from"),  # after now (at(200)) + slack
        ({"from": "1999-12-31T23:59:59Z"}, "from"),  # before 2000: a typo
        ({"jurisdiction": 7}, "jurisdiction"),
        ({"connections": 7}, "connections"),
    ],
)
def test_a_bad_body_names_its_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(BadInput) as caught:
        impact_override.parse_override(body(**change), at(200), SERVICES)
    assert caught.value.field == field


def test_a_jurisdiction_no_rule_set_or_element_has_is_refused() -> None:
    known = {"SE", "NO"}
    typo = {"service": "internet", "region": "SW-0180", "connections": 1}
    for change, field in (
        ({"jurisdiction": "DK"}, "jurisdiction"),
        ({"impacts": [typo]}, "impacts[0].region"),
    ):
        with pytest.raises(BadInput) as caught:
            impact_override.parse_override(body(**change), at(200), SERVICES, known, "SE")
        assert caught.value.field == field
    # a region without a country prefix is the default's; an explicit one stands for all
    town = {"service": "internet", "region": "town", "connections": 1}
    assert impact_override.parse_override(body(impacts=[town]), at(200), SERVICES, known, "SE")
    stated = impact_override.parse_override(
        body(impacts=[typo], jurisdiction="no"), at(200), SERVICES, known, "SE"
    )
    assert stated.jurisdiction == "NO"


def test_lifting_needs_a_reason_and_nothing_else() -> None:
    assert impact_override.parse_lift({"reason": " inventory fixed "}) == "inventory fixed"
    for bad, field in (({}, "reason"), ({"reason": ""}, "reason"), ({"reason": "x", "a": 1}, "a")):
        with pytest.raises(BadInput) as caught:
            impact_override.parse_lift(bad)
        assert caught.value.field == field


# ---- the casebook document and its audit -----------------------------------------------------


def test_overriding_keeps_who_when_why_and_audits_before_and_after() -> None:
    doc, events = impact_override.override({"notes": []}, "i1", stated(), "ana", at(10))
    kept = doc["impact_override"]
    assert kept["by"] == "ana" and kept["at"] == "2026-11-23T10:10:00Z"
    assert kept["impacts"] == [{"service": "internet", "region": "SE-0180", "connections": 6000}]
    assert doc["notes"] == []
    (event,) = events
    assert (event.action, event.actor, event.target) == (
        "incident.impact_overridden",
        "ana",
        "incident:i1",
    )
    assert event.detail["before"] is None and event.detail["reason"] == kept["reason"]

    again, none = impact_override.override(doc, "i1", stated(), "bo", at(20))
    assert none == [] and again is doc  # the same override again writes nothing

    smaller = stated(impacts=[{"service": "internet", "region": "SE-0180", "connections": 10}])
    doc2, (replaced,) = impact_override.override(doc, "i1", smaller, "bo", at(20))
    assert replaced.detail["before"] == kept
    assert doc2["impact_override"]["impacts"][0]["connections"] == 10

    lifted, (event3,) = impact_override.lift(doc2, "i1", "inventory fixed", "cy", at(30))
    assert "impact_override" not in lifted
    assert event3.action == "incident.impact_override_lifted"
    assert event3.detail["before"] == doc2["impact_override"]
    assert event3.detail["reason"] == "inventory fixed"
    assert impact_override.lift(lifted, "i1", "again", "cy", at(40)) == (lifted, [])


def test_a_correction_is_kept_once_with_when_it_was_first_stated() -> None:
    """A correction for the regulator is kept with the override and audited; restating the
    override with the same correction (another reason) keeps when it was first stated, so
    the regulator is not told it again; dropping it, or another text, is a change."""
    fixed = "Feil kommune: OLT-en betjener Bærum."
    doc, (event,) = impact_override.override({}, "i1", stated(correction=fixed), "ana", at(10))
    kept = doc["impact_override"]
    assert kept["correction"] == fixed and kept["correction_at"] == kept["at"]
    assert event.detail["correction"] == fixed
    made = impact_override.from_document(doc, "SE")
    assert made is not None and made.correction is not None
    assert (made.correction.text, made.correction.at, made.correction.by) == (fixed, at(10), "ana")

    again, _ = impact_override.override(
        doc, "i1", stated(correction=fixed, reason="field team confirmed"), "bo", at(20)
    )
    assert again["impact_override"]["correction_at"] == kept["at"]  # the same correction
    assert again["impact_override"]["at"] != kept["at"]

    other, _ = impact_override.override(doc, "i1", stated(correction="Annet."), "bo", at(30))
    assert other["impact_override"]["correction_at"] == other["impact_override"]["at"]
    dropped, events = impact_override.override(doc, "i1", stated(), "bo", at(40))
    assert events and "correction" not in dropped["impact_override"]
    assert impact_override.from_document(dropped, "SE").correction is None  # type: ignore[union-attr]
    assert stated(correction="  ").correction == ""  # blank: none


@pytest.mark.parametrize("bad", [42, ["x"], "x" * 1001, "a\u202eb"])
def test_a_bad_correction_names_its_field(bad: object) -> None:
    with pytest.raises(BadInput, match="correction"):
        stated(correction=bad)


def test_the_stored_override_becomes_targets_in_its_jurisdiction() -> None:
    made = standing_override(
        impacts=[
            {"service": "internet", "region": "NO-0301", "connections": 300, "emergency_112": True},
            {"service": "internet", "region": "town", "connections": 5},
            {"service": "iptv", "region": "town", "connections": 0},
        ]
    )
    assert [t.vector for t in made.targets] == [
        {("conn", "NO", "internet", "NO-0301"): 300, ("flag", "NO", "emergency_112"): 1},
        {("conn", "SE", "internet", "town"): 5},  # no prefix: the default
        {},
    ]
    explicit = standing_override(jurisdiction="NO")
    assert explicit.targets[0].jurisdiction == "NO"
    assert impact_override.from_document({}, "SE") is None


# ---- the intervals an override gives -------------------------------------------------------


def test_intervals_replace_the_inventory_from_the_override_on_and_keep_severity() -> None:
    network_eng = engine()
    topo = network_eng.topology
    inventory = [(at(0), None, el("olt-a2", severity="critical"))]  # 4000 internet
    made = standing_override(**{"from": "2026-11-23T10:30:00Z"})
    intervals = made.intervals(inventory, at(0), None)
    timeline = build_timeline(topo, intervals)
    assert [(p.at, p.outage.get(("conn", "SE", "internet", "SE-0180"))) for p in timeline] == [
        (at(0), 4000),
        (at(30), 6000),
    ]
    assert all(p.signals == {("sev", "SE", "critical"): 1} for p in timeline)  # kept throughout

    ended = build_timeline(topo, made.intervals([(at(0), at(90), el("olt-a2"))], at(0), at(90)))
    assert [(p.at, p.outage) for p in ended][-1] == (at(90), {})  # nothing after the end
    # an override from before the start begins at the start; one after the end changes nothing
    early = ImpactOverride(made.targets, at(-60)).intervals(inventory, at(0), None)
    assert min(s for s, _, _ in early) == at(0)
    late = ImpactOverride(made.targets, at(120)).intervals(inventory, at(0), at(90))
    assert late == tuple(inventory)


# ---- the engine ------------------------------------------------------------------------------


def unknown_element(eng: Engine) -> Incident:
    eng.apply([episode("x", at(0), element="cabinet-9")], at(5))
    inc = only(eng)
    assert inc.unmapped and pts(inc) == documents.IMPACT_UNKNOWN
    return inc


def test_an_override_makes_an_unknown_impact_known_and_reportable() -> None:
    eng = engine()
    inc = unknown_element(eng)
    assert eng.set_override(inc.id, standing_override())
    assert eng.evaluate_pending(at(5)) == {inc.id}
    now = only(eng)
    assert now.overridden and now.impact.current == 6000
    assert now.derived is not None and now.derived.inventory is not None
    assert now.derived.inventory.current == 0  # the inventory's own figure, kept beside it
    assert pts(now) == documents.NOT_REPORTABLE  # 5000 for an hour: not yet
    assert now.next_check_at == at(60)
    assert eng.tick(at(61)) == {inc.id}
    after = only(eng)
    assert pts(after) == documents.REPORTABLE
    (a,) = [a for a in after.assessments if a.regulator == "pts"]
    assert a.since == at(60)
    doc = documents.stored_document(after, eng.topology, at(61))
    assert doc["impact_overridden"] is True and doc["impact_known"] is True
    assert doc["impact"]["overridden"] is True
    assert doc["impact"]["inventory"]["current"] == 0
    assert doc["impact"]["inventory"]["known"] is False


def test_a_zero_override_says_not_reportable_instead_of_unknown() -> None:
    eng = engine()
    inc = unknown_element(eng)
    zero = [{"service": "internet", "region": "SE-0180", "connections": 0}]
    eng.set_override(inc.id, standing_override(impacts=zero))
    eng.evaluate_pending(at(5))
    assert pts(only(eng)) == documents.NOT_REPORTABLE
    assert documents.summary(only(eng), at(5))["impact_known"] is True


def test_an_override_from_a_time_and_its_lifting() -> None:
    eng = engine()
    eng.apply([episode("a", at(0), element="olt-a2")], at(5))  # 4000: never reportable
    inc = only(eng)
    eng.set_override(inc.id, standing_override(**{"from": "2026-11-23T10:30:00Z"}))
    eng.evaluate_pending(at(31))
    assert [p.at for p in only(eng).timeline] == [at(0), at(30)]
    eng.tick(at(89))
    assert pts(only(eng)) == documents.NOT_REPORTABLE
    eng.tick(at(91))
    assert pts(only(eng)) == documents.REPORTABLE  # an hour at 6000 from at(30)
    assert eng.set_override(inc.id, None)
    assert not eng.set_override(inc.id, None)  # lifting again changes nothing
    eng.evaluate_pending(at(92))
    back = only(eng)
    assert not back.overridden and back.impact.current == 4000
    assert pts(back) == documents.NOT_REPORTABLE


def test_an_override_from_a_time_after_now_is_forecast_and_met_on_time() -> None:
    """An override whose ``from`` lies ahead of the evaluation (a person stating when the
    impact will be in force): the 1 h criterion is forecast at from + 1 h and met there."""
    eng = engine()
    eng.apply([episode("a", at(0), element="olt-a2")], at(5))  # 4000: never reportable
    inc = only(eng)
    eng.set_override(inc.id, standing_override(**{"from": "2026-11-23T10:30:00Z"}))
    eng.evaluate_pending(at(20))
    assert [p.at for p in only(eng).timeline] == [at(0), at(30)]
    assert pts(only(eng)) == documents.NOT_REPORTABLE
    assert only(eng).next_check_at == at(90)
    assert eng.tick(at(90)) == {inc.id}
    (a,) = [a for a in only(eng).assessments if a.regulator == "pts"]
    assert (a.reportable, a.since) == (True, at(90))


def test_the_override_ends_with_the_incident() -> None:
    eng = engine()
    inc = unknown_element(eng)
    eng.set_override(inc.id, standing_override())
    eng.apply([episode("x", at(0), end=at(20), element="cabinet-9")], at(21))
    ended = only(eng)
    assert ended.remedied_at == at(20)
    assert [(p.at, p.outage) for p in ended.timeline][-1] == (at(20), {})
    assert ended.impact.peak == 6000 and ended.impact.current == 0


def test_evaluation_in_steps_and_a_restart_give_the_same_incident() -> None:
    episodes = [episode("x", at(0), element="cabinet-9"), episode("y", at(2), element="olt-a1")]
    made = standing_override()

    whole = engine()
    whole.apply(episodes, at(5))
    inc_id = next(iter(live(whole)))
    whole.set_override(inc_id, made)
    whole.evaluate_pending(at(70))

    stepped = engine()
    stepped.apply(episodes, at(5))
    stepped.set_override(inc_id, made)
    plan = stepped.next_plan(at(70))
    assert plan is not None and plan.overrides == (made,)
    stepped.commit(plan, compute(plan, stepped.topology, stepped.rule_sets))

    restarted = engine()
    restarted.restore(episodes, [whole.stored_form(inc_id)], {}, at(70))
    restarted.set_override(inc_id, made)
    restarted.evaluate_pending(at(70))

    expected = whole.incidents[inc_id].verdict()
    assert stepped.incidents[inc_id].verdict() == expected
    assert restarted.incidents[inc_id].verdict() == expected
    assert pts(whole.incidents[inc_id]) == documents.REPORTABLE


def test_the_overall_figure_counts_the_override_in_place_of_the_alerts() -> None:
    eng = engine()
    eng.apply([episode("a", at(0), element="olt-a2")], at(5))
    inc = only(eng)
    assert eng.affected_now() == {("internet", "SE-0180"): 4000}
    eng.set_override(inc.id, standing_override())
    eng.evaluate_pending(at(6))
    assert eng.affected_now() == {("internet", "SE-0180"): 6000}


def test_an_override_of_an_incident_not_held_changes_nothing() -> None:
    eng = engine()
    assert not eng.set_override("nobody", standing_override())
    assert not eng.has_pending
    assert eng.override_of("nobody") is None
