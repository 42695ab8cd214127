"""Regulators' criteria on impact timelines (bridge.core.rules)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from corekit import NKOM, PTS, at, described, el, network, rule_set

from bridge.core import rules
from bridge.core.impact import Interval, Point, build_timeline
from bridge.core.mapping import DEGRADATION
from bridge.core.rules import (
    CRITERION_KINDS,
    Criterion,
    CriterionResult,
    Measures,
    RuleSet,
    evaluate,
    evaluate_criterion,
    reevaluate,
    sustained,
)

TOPO = network()
H = timedelta(hours=1)
M = timedelta(minutes=1)


def timeline(*intervals: Interval) -> list[Point]:
    return build_timeline(TOPO, list(intervals))


def judge(
    c: Criterion, tl: list[Point], now: datetime, rs: RuleSet | None = None
) -> CriterionResult:
    rs = rs or rule_set(c)
    return evaluate_criterion(c, tl, rs, TOPO, now)


def stamp(minutes: float) -> str:
    return at(minutes).strftime("%Y-%m-%d %H:%M UTC")


# ---- sustained ---------------------------------------------------------------------------


def test_sustained_is_met_at_run_start_plus_duration() -> None:
    """A measure at or above the threshold from s on is met at s + D, not when observed."""
    run = sustained([(at(0), 5.0)], 5, H, at(300))
    assert run.met_at == at(60)
    assert run.run_start == at(0)
    assert run.forecast_at is None
    assert run.peak == 5.0


def test_sustained_with_zero_duration_is_met_at_the_first_instant() -> None:
    """D = 0 is met at the first instant the threshold is reached."""
    run = sustained([(at(0), 1.0), (at(10), 9.0)], 5, timedelta(0), at(300))
    assert run.met_at == at(10)


def test_sustained_resets_on_a_dip_below_the_threshold() -> None:
    """A dip below the threshold restarts the clock: the run counts from the recovery."""
    series = [(at(0), 5.0), (at(50), 4.0), (at(55), 5.0)]
    run = sustained(series, 5, H, at(300))
    assert run.met_at == at(115)
    assert run.run_start == at(55)


def test_sustained_counts_across_steps_that_stay_above_threshold() -> None:
    """Steps that change the value but stay above the threshold do not restart the run."""
    series = [(at(0), 5.0), (at(20), 8.0), (at(40), 6.0), (at(70), 0.0)]
    run = sustained(series, 5, H, at(300))
    assert run.met_at == at(60)
    assert run.peak == 8.0


def test_sustained_forecasts_when_ongoing_and_short_of_the_duration() -> None:
    """An ongoing run shorter than D is unmet with forecast_at = start + D."""
    run = sustained([(at(0), 1.0), (at(10), 6.0)], 5, H, at(40))
    assert run.met_at is None
    assert run.forecast_at == at(70)
    assert run.run_start == at(10)


def test_sustained_has_no_forecast_once_the_measure_fell_below() -> None:
    """A run that ended short of D is neither met nor forecast."""
    run = sustained([(at(0), 6.0), (at(30), 0.0)], 5, H, at(300))
    assert (run.met_at, run.forecast_at, run.peak) == (None, None, 6.0)


def test_sustained_forecasts_a_step_after_now_not_meeting_it_before_it_happens() -> None:
    """A step after ``now`` (an alert starting ahead of the bridge's clock) is not met before
    it happens, but is forecast: at it (D = 0), or at it + D."""
    series = [(at(0), 1.0), (at(100), 9.0)]
    run = sustained(series, 5, timedelta(0), at(50))
    assert (run.met_at, run.forecast_at, run.run_start) == (None, at(100), at(100))
    assert sustained(series, 5, H, at(50)).forecast_at == at(160)
    assert sustained(series, 5, H, at(160)).met_at == at(160)


def test_sustained_has_no_forecast_when_a_point_after_now_ends_the_run_short() -> None:
    """A run going on now that the timeline already ends short of D (a resolve whose end lies
    ahead) has no forecast; a later run after now is forecast instead."""
    run = sustained([(at(0), 6.0), (at(30), 0.0)], 5, H, at(10))
    assert (run.met_at, run.forecast_at, run.peak) == (None, None, 6.0)
    later = sustained([(at(0), 6.0), (at(30), 0.0), (at(40), 7.0)], 5, H, at(10))
    assert (later.met_at, later.forecast_at) == (None, at(100))


def test_sustained_is_met_exactly_at_the_boundary() -> None:
    """At now == s + D the criterion is met (the threshold and duration are inclusive)."""
    assert sustained([(at(0), 5.0)], 5, H, at(60)).met_at == at(60)
    assert sustained([(at(0), 5.0)], 5, H, at(59.99)).met_at is None


def test_a_timeline_starting_after_now_is_forecast_and_met_on_time_by_reevaluation() -> None:
    """An alert whose start lies ahead of ``now`` (clock skew: Prometheus ahead of the
    bridge): evaluated at ``now`` each criterion is forecast at start + D; re-evaluated at
    the nearest forecast (the next due time) it is met there, and the rest at start + D.
    Re-evaluating equals evaluating afresh at each of those instants."""
    tl = timeline((at(10), None, el("olt-a1")))  # 6 000 internet, a 112 element, from 10
    measures = Measures(tl)
    first = evaluate(measures, PTS, TOPO, at(0))
    assert (first.reportable, first.forecast_at) == (False, at(10))
    by_id = {c.id: c for c in first.criteria}
    assert by_id["e112"].forecast_at == at(10)
    assert by_id["conn-5k-1h"].forecast_at == at(70)
    assert reevaluate(first, measures, PTS, TOPO, at(9)) == first  # nothing due yet
    second = reevaluate(first, measures, PTS, TOPO, at(10))
    assert (second.reportable, second.since) == (True, at(10))
    assert second == evaluate(Measures(tl), PTS, TOPO, at(10))
    third = reevaluate(second, measures, PTS, TOPO, at(70))
    assert {c.id: c.since for c in third.criteria} == {"e112": at(10), "conn-5k-1h": at(70)}
    assert third == evaluate(Measures(tl), PTS, TOPO, at(70))


# ---- connections ---------------------------------------------------------------------------


CONN = Criterion("conn-5k-1h", "connections", min_duration=H, min_connections=5000)


def test_connections_met_with_figures_in_the_reason() -> None:
    """6 000 internet connections for over an hour meet 5 000 for 1 h at start + 1 h."""
    result = judge(CONN, timeline((at(0), None, el("olt-a1"))), at(120))
    assert result.met
    assert result.since == at(60)
    assert "internet in SE" in result.reason
    assert "6 000 active connections" in result.reason
    assert "5 000" in result.reason
    assert "1h" in result.reason
    assert stamp(60) in result.reason


def test_a_late_alert_rescans_from_the_last_mark_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long timeline scanned once keeps marks; an alert that starts inside it keeps the
    points before its start, and the scan goes on from the last mark before those (not from
    the first point), finding what a scan of the whole new timeline finds."""
    internet = Criterion("i-5k-1h", "connections", H, min_connections=5000, service="internet")
    flaps = [(at(2 * k), at(2 * k + 1), el("olt-a2")) for k in range(300)]  # 4 000, off and on
    before = build_timeline(TOPO, flaps)
    measures = Measures(before)
    rs = rule_set(internet)
    assert not evaluate_criterion(internet, measures, rs, TOPO, at(700)).met  # scanned: marks
    late = (at(500.5), at(570.5), el("olt-a1"))  # 6 000 for 70 minutes
    after = build_timeline(TOPO, [*flaps, late])
    kept = next(i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b)
    extended = Measures.extended(measures, after, kept)
    firsts: list[int] = []
    scan = rules._scan_from

    def spy(times: Any, values: Any, first: int, *rest: Any) -> Any:
        firsts.append(first)
        return scan(times, values, first, *rest)

    monkeypatch.setattr(rules, "_scan_from", spy)
    result = evaluate_criterion(internet, extended, rs, TOPO, at(700))
    assert len(firsts) == 1 and 0 < firsts[0] < kept <= firsts[0] + rules.SCAN_MARKS_EVERY
    assert result.met and result.since == at(560.5)
    assert result == evaluate_criterion(internet, Measures(after), rs, TOPO, at(700))


def test_connections_unmet_below_the_count_shows_the_peak() -> None:
    """4 000 connections never meet 5 000; the reason gives the peak and the threshold."""
    result = judge(CONN, timeline((at(0), None, el("olt-a2"))), at(600))
    assert not result.met
    assert result.since is None and result.forecast_at is None
    assert "peak 4 000 active connections" in result.reason
    assert "5 000" in result.reason


def test_connections_unmet_while_short_carries_a_forecast() -> None:
    """Half an hour into 6 000 connections, the 1 h criterion is forecast at start + 1 h."""
    result = judge(CONN, timeline((at(0), None, el("olt-a1"))), at(30))
    assert not result.met
    assert result.forecast_at == at(60)
    assert "if it lasts" in result.reason
    assert stamp(60) in result.reason


def test_a_forecast_whose_run_starts_ahead_of_now_reads_from_not_since() -> None:
    """An alert starting ahead of the bridge's clock (skew) is forecast, and the reason reads
    "from" its start, not "since" (at 10:00 nothing has been above the threshold since 10:10).
    The words do not depend on ``now``: a pending result is kept as it is until its forecast."""
    ahead = judge(CONN, timeline((at(10), None, el("olt-a1"))), at(0))
    assert not ahead.met and ahead.forecast_at == at(70)
    assert f"at or above threshold from {stamp(10)}; met at {stamp(70)} if it lasts" in (
        ahead.reason
    )
    assert "since" not in ahead.reason
    assert judge(CONN, timeline((at(10), None, el("olt-a1"))), at(20)).reason == ahead.reason


def test_connections_count_each_service_on_its_own() -> None:
    """Services are not added together: 6 000 internet + 1 000 iptv is not 7 000."""
    c = Criterion("conn-7k", "connections", min_connections=7000)
    assert not judge(c, timeline((at(0), None, el("olt-a1"))), at(60)).met


def test_connections_for_a_named_service_ignore_other_services() -> None:
    """A criterion for service iptv measures only iptv."""
    c = Criterion("iptv-5k", "connections", min_connections=5000, service="iptv")
    result = judge(c, timeline((at(0), None, el("olt-a1"))), at(60))
    assert not result.met
    assert "iptv in SE: peak 1 000" in result.reason


def test_connections_outage_only_ignores_degradation() -> None:
    """impact=outage leaves degradation out; impact=any counts both."""
    tl = timeline((at(0), None, el("olt-b1", DEGRADATION)))
    any_kind = Criterion("any", "connections", min_connections=5000)
    outage = Criterion("out", "connections", min_connections=5000, impact="outage")
    assert judge(any_kind, tl, at(10)).met
    assert not judge(outage, tl, at(10)).met


def test_connections_with_nothing_measured_says_so() -> None:
    """With no impact at all, the reason says nothing was measured."""
    result = judge(CONN, [], at(10))
    assert not result.met
    assert "nothing measured" in result.reason


# ---- share --------------------------------------------------------------------------------


def test_share_of_the_jurisdiction_met_and_unmet() -> None:
    """6 000 of 20 000 SE internet connections is 30 %: meets 25 %, not 50 %."""
    tl = timeline((at(0), None, el("olt-a1")))
    met = judge(Criterion("s25", "share", min_share=0.25, service="internet"), tl, at(5))
    assert met.met and met.since == at(0)
    assert "30.0 %" in met.reason and "of 20 000" in met.reason and "25.0 %" in met.reason
    unmet = judge(Criterion("s50", "share", min_share=0.5, service="internet"), tl, at(5))
    assert not unmet.met
    assert "peak 30.0 %" in unmet.reason and "50.0 %" in unmet.reason


def test_share_by_region_uses_the_regions_total() -> None:
    """By region, 6 000 of SE-0180's 10 000 is 60 % (meets 50 %); 4 000 is 40 % (does not)."""
    c = Criterion("half-region", "share", min_share=0.5, scope="region", service="internet")
    met = judge(c, timeline((at(0), None, el("olt-a1"))), at(5))
    assert met.met
    assert "internet in SE-0180" in met.reason and "60.0 %" in met.reason
    assert "of 10 000" in met.reason
    unmet = judge(c, timeline((at(0), None, el("olt-a2"))), at(5))
    assert not unmet.met
    assert "peak 40.0 %" in unmet.reason


def test_share_by_region_is_stricter_by_jurisdiction() -> None:
    """The same 60 % regional outage is only 30 % of the jurisdiction."""
    c = Criterion("half", "share", min_share=0.5, service="internet")
    assert not judge(c, timeline((at(0), None, el("olt-a1"))), at(5)).met


def test_share_uses_configured_service_totals() -> None:
    """A configured total (partial inventory) is the denominator of the jurisdiction share."""
    from bridge.core.topology import Topology

    topo = Topology(TOPO.elements.values(), service_totals={"SE": {"internet": 100_000}})
    c = Criterion("s25", "share", min_share=0.25, service="internet")
    tl = build_timeline(topo, [(at(0), None, el("olt-a1"))])
    result = evaluate_criterion(c, tl, rule_set(c), topo, at(5))
    assert not result.met
    assert "6.0 %" in result.reason and "of 100 000" in result.reason


def test_share_of_a_service_without_inventory_total_is_never_met() -> None:
    """A self-described service the inventory has no total for cannot give a share."""
    tl = timeline((at(0), None, described("fp:x", 500, service="voice")))
    result = judge(Criterion("s", "share", min_share=0.01), tl, at(10))
    assert not result.met
    assert "no total in inventory" in result.reason


# ---- area, capacity, flags --------------------------------------------------------------


def test_area_met_and_unmet() -> None:
    """500 km² meets 400 km² and not 1 000 km²; both OLTs together (1 300 km²) meet 1 000."""
    one = timeline((at(0), None, el("olt-a1")))
    met = judge(Criterion("a", "area", min_area_km2=400), one, at(1))
    assert met.met and "500 km²" in met.reason and "400 km²" in met.reason
    unmet = judge(Criterion("a", "area", min_area_km2=1000), one, at(1))
    assert not unmet.met and "peak 500 km²" in unmet.reason
    both = timeline((at(0), None, el("olt-a1")), (at(0), None, el("olt-b1")))
    assert judge(Criterion("a", "area", min_area_km2=1000), both, at(1)).met


def test_capacity_met_and_unmet() -> None:
    """A 2 % capacity share meets 1 % and not 5 %."""
    tl = timeline((at(0), None, el("olt-a1")))
    met = judge(Criterion("c", "capacity", min_capacity_share=0.01), tl, at(1))
    assert met.met and "2.0 %" in met.reason and "1.0 %" in met.reason
    unmet = judge(Criterion("c", "capacity", min_capacity_share=0.05), tl, at(1))
    assert not unmet.met and "peak 2.0 %" in unmet.reason


@pytest.mark.parametrize(
    ("kind", "flagged", "plain", "noun"),
    [
        ("emergency_112", "olt-a1", "olt-a2", "112-critical element(s)"),
        ("societal", "olt-a2", "olt-b1", "societally important element(s)"),
        ("wholesale", "olt-b1", "olt-a1", "wholesale element(s)"),
    ],
)
def test_flag_criteria_met_by_a_flagged_element_only(
    kind: str, flagged: str, plain: str, noun: str
) -> None:
    """A flag criterion is met when a flagged element is affected, and not by others."""
    c = Criterion(kind, kind)
    met = judge(c, timeline((at(0), None, el(flagged))), at(1))
    assert met.met and met.since == at(0)
    assert f"1 {noun}" in met.reason and f"{kind} in SE" in met.reason
    unmet = judge(c, timeline((at(0), None, el(plain))), at(1))
    assert not unmet.met
    assert f"peak 0 {noun}" in unmet.reason


def test_flag_criterion_is_met_through_an_ancestor() -> None:
    """A down site affects the 112-critical OLT below it."""
    result = judge(Criterion("e", "emergency_112"), timeline((at(0), None, el("site-a"))), at(1))
    assert result.met


# ---- severity ------------------------------------------------------------------------------

SEV = Criterion("sev", "severity", levels=("alvorlig", "kritisk"))
SEV_NO = rule_set(
    SEV,
    jurisdiction="NO",
    regulator="nkom",
    severity_map={"critical": "kritisk", "major": "alvorlig", "minor": "lav"},
)


def test_severity_met_through_the_severity_map() -> None:
    """An alert rated critical maps to kritisk and meets a kritisk/alvorlig criterion."""
    tl = timeline((at(0), None, el("olt-n1", jurisdiction="NO", severity="critical")))
    result = judge(SEV, tl, at(1), SEV_NO)
    assert result.met
    assert "alvorlig/kritisk" in result.reason and "1 alert(s)" in result.reason


def test_severity_met_by_the_level_itself() -> None:
    """A label that already carries the level (kritisk) qualifies without a map entry."""
    tl = timeline((at(0), None, el("olt-n1", jurisdiction="NO", severity="kritisk")))
    assert judge(SEV, tl, at(1), SEV_NO).met


def test_severity_unmet_for_a_lower_level() -> None:
    """An alert rated minor (→ lav) does not meet alvorlig/kritisk."""
    tl = timeline((at(0), None, el("olt-n1", jurisdiction="NO", severity="minor")))
    result = judge(SEV, tl, at(1), SEV_NO)
    assert not result.met
    assert "peak 0 alert(s)" in result.reason


def test_severity_counts_only_the_rule_sets_jurisdiction() -> None:
    """A critical alert in SE does not meet a Norwegian severity criterion."""
    tl = timeline((at(0), None, el("olt-a1", severity="critical")))
    assert not judge(SEV, tl, at(1), SEV_NO).met


def test_every_criterion_kind_is_evaluated() -> None:
    """Each declared kind gives a verdict; an unknown kind is an error."""
    tl = timeline((at(0), None, el("olt-a1")))
    for kind in CRITERION_KINDS:
        assert isinstance(judge(Criterion(kind, kind, levels=("x",)), tl, at(1)).reason, str)
    with pytest.raises(ValueError, match="unknown criterion kind"):
        judge(Criterion("bad", "vibes"), tl, at(1))


# ---- evaluate -----------------------------------------------------------------------------


def test_assessment_since_is_the_earliest_met_criterion() -> None:
    """A rule set is reportable from its earliest met criterion (112 at once, before 1 h)."""
    a = evaluate(timeline((at(0), None, el("olt-a1"))), PTS, TOPO, at(120))
    assert a.reportable
    assert a.since == at(0)
    assert [c.met for c in a.criteria] == [True, True]
    assert a.forecast_at is None
    assert a.seconds_to_reportable(at(120)) is None
    assert (a.regulator, a.rule_set, a.verified) == ("pts", "pts-test", True)


def test_assessment_forecast_and_seconds_to_reportable_while_pending() -> None:
    """Unmet with a criterion on its way, the assessment carries the nearest forecast."""
    a = evaluate(timeline((at(0), None, el("olt-b1"))), PTS, TOPO, at(20))
    assert not a.reportable
    assert a.since is None
    assert a.forecast_at == at(60)
    assert a.seconds_to_reportable(at(20)) == 40 * 60
    assert a.seconds_to_reportable(at(90)) == 0.0


def test_assessment_stays_reportable_after_the_impact_ended() -> None:
    """Reportability is about what happened: met criteria stay met after all alerts resolved."""
    tl = timeline((at(0), at(75), el("olt-b1")))
    a = evaluate(tl, PTS, TOPO, at(24 * 60))
    assert a.reportable
    assert a.since == at(60)
    assert a.forecast_at is None


def test_assessment_of_a_short_outage_is_not_reportable_and_has_no_forecast() -> None:
    """An outage that ended before its duration was reached is not reportable, and not due."""
    a = evaluate(timeline((at(0), at(45), el("olt-b1"))), PTS, TOPO, at(24 * 60))
    assert not a.reportable
    assert a.forecast_at is None


def test_an_se_only_impact_never_makes_a_norwegian_rule_set_reportable() -> None:
    """Every kind of Norwegian criterion stays unmet for an outage of all of Sweden."""
    no_everything = rule_set(
        Criterion("conn", "connections", min_connections=1),
        Criterion("share", "share", min_share=0.0001),
        Criterion("region", "share", min_share=0.0001, scope="region"),
        Criterion("area", "area", min_area_km2=1),
        Criterion("cap", "capacity", min_capacity_share=0.0001),
        Criterion("e112", "emergency_112"),
        Criterion("soc", "societal"),
        Criterion("whs", "wholesale"),
        Criterion("sev", "severity", levels=("kritisk",)),
        jurisdiction="NO",
        regulator="nkom",
        severity_map={"critical": "kritisk"},
    )
    tl = timeline(
        (at(0), None, el("core-se", severity="critical")),
        (at(0), None, described("fp:x", 50_000, region="SE-0180")),
    )
    a = evaluate(tl, no_everything, TOPO, at(24 * 60))
    assert not a.reportable
    assert a.forecast_at is None
    assert all(not c.met for c in a.criteria)
    assert evaluate(tl, rule_set(Criterion("e112", "emergency_112")), TOPO, at(1)).reportable


def test_a_norwegian_impact_makes_the_norwegian_rule_set_reportable_not_the_swedish() -> None:
    """A societal Norwegian OLT is reportable to Nkom; PTS's rule set stays unmet."""
    tl = timeline((at(0), None, el("olt-n1", jurisdiction="NO")))
    assert evaluate(tl, NKOM, TOPO, at(1)).reportable
    assert not evaluate(tl, PTS, TOPO, at(600)).reportable


def test_share_without_a_service_takes_each_service_on_its_own() -> None:
    """With no service named, any one service over the share meets it (iptv: 1 000 of 1 000)."""
    result = judge(
        Criterion("s50", "share", min_share=0.5), timeline((at(0), None, el("olt-a1"))), at(5)
    )
    assert result.met
    assert "iptv in SE (of 1 000): 100.0 %" in result.reason


def test_measure_keys_memos_stay_bounded_and_answer_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Services, regions and severities an alert names itself, far more than the memos hold:
    they stay within their bound, and the measures equal those built with fresh memos."""
    monkeypatch.setattr(rules.MeasureKeys, "HELD", 16, raising=False)
    families = frozenset({("any", "conn", "SE", 4), ("any", "conn", "SE", 5), ("sev", "SE")})
    keys = rules.MeasureKeys(families)
    timeline = [
        Point(
            at(n),
            {("conn", "SE", f"svc-{n % 7}", f"SE-{n}"): 10.0},
            {},
            {("sev", "SE", f"level-{n}"): 1.0},
        )
        for n in range(200)
    ]
    bounded = Measures(timeline, keys)
    assert len(keys._expanded) <= 16 and len(keys.signals) <= 16
    again = Measures(timeline, keys)  # with what the memos kept
    fresh = Measures(timeline, rules.MeasureKeys(families))
    assert bounded._series == again._series == fresh._series
    assert ("any", "conn", "SE", "svc-3", "SE-10") in fresh._series
    assert ("sev", "SE", "level-5") in fresh._series
