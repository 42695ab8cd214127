"""The evaluator's state machine: episodes → incidents over time (bridge.core.engine)."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from builders import alert, rfc3339, webhook
from corekit import NKOM, PTS, at, deliver, engine, episode, live
from msgspec import structs

from bridge.core import incident_state
from bridge.core.alerts import AlertEpisode
from bridge.core.engine import Engine
from bridge.core.incident_state import CLOSED, OPEN, Incident, compute
from bridge.core.incidents import incident_id
from bridge.core.seen_again import still_as_left


def only(eng: Engine) -> Incident:
    incidents = list(live(eng).values())
    assert len(incidents) == 1, incidents
    return incidents[0]


def assessment(inc: Incident, regulator: str) -> tuple[bool, object]:
    (a,) = [a for a in inc.assessments if a.regulator == regulator]
    return a.reportable, a.since


def outcome(eng: Engine) -> dict[str, tuple[object, ...]]:
    return {i: inc.verdict() for i, inc in eng.incidents.items()}


# ---- grouping ------------------------------------------------------------------------------


def test_explicit_incident_label_groups_alerts_across_sites() -> None:
    """Alerts labelled with one incident id form one incident even on different sites."""
    eng = engine()
    eng.apply(
        [
            episode("a", at(0), element="olt-a1", incident="INC-1"),
            episode("b", at(3), element="olt-b1", incident="INC-1"),
        ],
        at(5),
    )
    inc = only(eng)
    assert inc.key == "label:INC-1"
    assert inc.fingerprints() == ["a", "b"]
    assert inc.impact.current == 16000  # the largest service's count (services not summed)


def test_alerts_under_one_site_form_one_incident() -> None:
    """Two OLTs of one site correlate by the site; another site's OLT is a separate incident."""
    eng = engine()
    eng.apply(
        [
            episode("a", at(0), element="olt-a1"),
            episode("b", at(2), element="olt-a2"),
            episode("c", at(1), element="olt-b1"),
        ],
        at(5),
    )
    by_key = {inc.key: inc for inc in live(eng).values()}
    assert set(by_key) == {"topo:site-a", "topo:site-b"}
    assert by_key["topo:site-a"].fingerprints() == ["a", "b"]
    assert by_key["topo:site-a"].impact.current == 10000
    assert by_key["topo:site-b"].fingerprints() == ["c"]


def test_key_labels_group_alerts_within_the_window() -> None:
    """Alerts sharing alertname and cluster join within the window; later ones do not."""
    eng = engine(quiet_period=timedelta(0))
    eng.apply(
        [
            episode("a", at(0), end=at(1), cluster="c1"),
            episode("b", at(8), end=at(9), cluster="c1"),  # reach now at(18)
            episode("c", at(25), end=at(26), cluster="c1"),
            episode("d", at(1), end=at(2), cluster="c2"),
        ],
        at(60),
    )
    groups = sorted(inc.fingerprints() for inc in live(eng).values())
    assert groups == [["a", "b"], ["c"], ["d"]]
    assert all(inc.key.startswith("keys:alertname=Down,cluster=") for inc in live(eng).values())


def test_an_unmapped_alert_is_kept_and_listed_with_its_reason() -> None:
    """An alert naming an element not in the inventory stays in its incident, with a reason."""
    eng = engine()
    eng.apply(
        [
            episode("ok", at(0), element="olt-a1", incident="INC-2"),
            episode("lost", at(1), element="olt-ghost", incident="INC-2"),
        ],
        at(5),
    )
    inc = only(eng)
    assert inc.fingerprints() == ["lost", "ok"]
    assert set(inc.unmapped) == {"lost"}
    assert "olt-ghost" in inc.unmapped["lost"]
    assert inc.impact.current == 6000


def test_an_unmapped_alert_alone_still_makes_an_incident() -> None:
    """A lone unmapped alert is an incident with no impact, not a dropped alert."""
    eng = engine()
    changed = eng.apply([episode("lost", at(0), element="olt-ghost")], at(1))
    inc = only(eng)
    assert changed == {inc.id}
    assert inc.key == "alert:lost"
    assert inc.impact.peak == 0
    assert "not in the inventory" in inc.unmapped["lost"]


# ---- ids over time ----------------------------------------------------------------------------


def test_incident_id_stays_stable_when_more_alerts_join() -> None:
    """Later alerts, even one that started earlier but arrived late, join under the first id."""
    eng = engine()
    first = eng.apply([episode("a", at(0), element="olt-a1")], at(1))
    (inc_id,) = first
    assert inc_id == incident_id("topo:site-a", ("a", at(0)))
    assert eng.apply([episode("b", at(10), element="olt-a2")], at(11)) == {inc_id}
    assert eng.apply([episode("c", at(-5), element="site-a")], at(12)) == {inc_id}
    assert set(live(eng)) == {inc_id}
    assert only(eng).started_at == at(-5)
    assert {eng.incident_of(k) for k in eng.episodes} == {inc_id}


def test_a_refire_within_the_quiet_period_continues_the_incident() -> None:
    """A re-fire of a resolved alert inside the quiet period keeps the same incident id."""
    eng = engine()
    (inc_id,) = eng.apply([episode("a", at(0), element="olt-a1")], at(1))
    eng.apply([episode("a", at(0), end=at(5), element="olt-a1")], at(5))
    assert only(eng).closes_at == at(35)
    assert eng.apply([episode("a", at(20), element="olt-a1")], at(20)) == {inc_id}
    inc = only(eng)
    assert inc.id == inc_id
    assert inc.state == OPEN
    assert inc.closes_at is None
    assert len(inc.episodes) == 2


def test_a_refire_after_the_quiet_period_starts_a_new_incident() -> None:
    """A re-fire after last end + quiet period is a new incident; the old one is closed."""
    eng = engine()
    (old_id,) = eng.apply([episode("a", at(0), end=at(5), element="olt-a1")], at(5))
    changed = eng.apply([episode("a", at(60), element="olt-a1")], at(60))
    assert old_id in changed
    new_ids = changed - {old_id}
    assert len(new_ids) == 1
    old, new = eng.incidents[old_id], eng.incidents[new_ids.pop()]
    assert (old.state, old.ended_at) == (CLOSED, at(5))
    assert (new.state, new.started_at) == (OPEN, at(60))


def test_an_incident_closes_only_after_every_alert_resolved_and_the_quiet_period() -> None:
    """tick() closes the incident exactly at last resolve + quiet period, not before."""
    eng = engine()
    (inc_id,) = eng.apply(
        [episode("a", at(0), element="olt-a1"), episode("b", at(1), element="olt-a2")], at(2)
    )
    eng.apply([episode("a", at(0), end=at(10), element="olt-a1")], at(10))
    assert eng.tick(at(100)) == set()
    assert eng.incidents[inc_id].state == OPEN  # b still firing
    eng.apply([episode("b", at(1), end=at(120), element="olt-a2")], at(120))
    inc = eng.incidents[inc_id]
    assert (inc.state, inc.closes_at, inc.ended_at) == (OPEN, at(150), None)
    assert eng.tick(at(149)) == set()
    assert eng.incidents[inc_id].state == OPEN
    assert eng.tick(at(150)) == {inc_id}
    inc = eng.incidents[inc_id]
    assert (inc.state, inc.ended_at, inc.closes_at) == (CLOSED, at(120), None)
    assert eng.open_incidents() == []
    assert eng.tick(at(500)) == set()


def test_merging_two_incidents_keeps_the_earliest_id_and_marks_the_other() -> None:
    """A late alert bridging two incidents merges them under the earlier id."""
    eng = engine()
    (first,) = eng.apply([episode("a", at(0), end=at(5), cluster="c1")], at(5))
    (second,) = eng.apply([episode("b", at(60), cluster="c1")], at(60)) - {first}
    assert first != second
    changed = eng.apply([episode("c", at(30), end=at(55), cluster="c1")], at(61))
    assert changed == {first, second}
    assert set(live(eng)) == {first}
    assert eng.incidents[second].merged_into == first
    assert eng.incidents[second].state == CLOSED
    merged = eng.incidents[first]
    assert merged.fingerprints() == ["a", "b", "c"]
    assert merged.state == OPEN
    assert eng.incident_of(("b", at(60))) == first


def test_admit_answers_the_merged_id_for_a_batch_whose_late_alert_bridges_two_incidents() -> None:
    """admit() answers the surviving id for every alert of a batch whose late alert merges."""
    eng = engine()
    eng.apply(
        [
            episode("a", at(0), end=at(1), incident="INC-1"),
            episode("b", at(31), incident="INC-1"),  # after a's reach (1 + 30): a new incident
        ],
        at(31),
    )
    first, second = eng.incident_of(("a", at(0))), eng.incident_of(("b", at(31)))
    assert first != second
    # b delivered again, with c: a new alert that started at 0, still firing, bridges both
    placed = eng.admit(
        [episode("b", at(31), incident="INC-1"), episode("c", at(0), incident="INC-1")]
    )
    eng.evaluate_pending(at(32))
    assert placed == {("b", at(31)): first, ("c", at(0)): first}
    assert {eng.incident_of(ek) for ek in placed} == {first}
    assert eng.incidents[second].merged_into == first


def test_admit_answers_the_merged_id_while_an_earlier_bridging_admit_awaits_evaluation() -> None:
    """An alert joining after a pending merge, before any evaluation, gets the surviving id."""
    eng = engine()
    eng.apply(
        [episode("a", at(0), end=at(1), incident="INC-1"), episode("b", at(31), incident="INC-1")],
        at(31),
    )
    first = eng.incident_of(("a", at(0)))
    assert eng.admit([episode("c", at(0), incident="INC-1")]) == {("c", at(0)): first}
    assert eng.admit([episode("d", at(40), incident="INC-1")]) == {("d", at(40)): first}
    eng.evaluate_pending(at(41))
    assert {eng.incident_of(ek) for ek in eng.episodes} == {first}


def test_admit_answers_the_ongoing_incident_for_an_alert_joining_it_without_correlating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The common case, an alert starting inside an ongoing incident, is answered cheaply."""
    eng = engine()
    eng.apply([episode("a", at(0), incident="INC-1")], at(1))
    inc_id = eng.incident_of(("a", at(0)))
    with monkeypatch.context() as patched:
        patched.setattr(eng, "_correlate", lambda key: pytest.fail(f"{key} correlated"))
        assert eng.admit([episode("b", at(10), incident="INC-1")]) == {("b", at(10)): inc_id}
    assert eng.evaluate_pending(at(11)) == {inc_id}
    assert eng.incident_of(("b", at(10))) == inc_id


def test_admit_answers_the_ongoing_incident_for_a_going_alert_sent_late_without_correlating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An alert still going that started before the ongoing incident, after the reach of the
    earlier one (Alertmanager sent it late), joins the ongoing incident: answered without
    correlating the key, and the incident starts earlier; so does one that already ended
    whose reach (end plus the quiet period) passes the incident's start. One starting inside
    the earlier incident's reach bridges the two (the earlier id stands): correlated. Each
    answer is what evaluating gives."""
    eng = engine()  # quiet period 30 minutes
    eng.apply(
        [
            episode("old", at(0), end=at(5), element="olt-a1"),  # reach: minute 35
            episode("going", at(60), element="olt-a1"),
        ],
        at(61),
    )
    old, going = eng.incident_of(("old", at(0))), eng.incident_of(("going", at(60)))
    assert old != going
    with monkeypatch.context() as patched:
        patched.setattr(eng, "_correlate", lambda key: pytest.fail(f"{key} correlated"))
        assert eng.admit([episode("late", at(50), element="olt-a2")]) == {("late", at(50)): going}
    eng.evaluate_pending(at(62))
    assert eng.incident_of(("late", at(50))) == going
    assert eng.incidents[going].started_at == at(50)
    ended = episode("ended", at(38), end=at(40), element="olt-a2")  # reaches minute 70
    with monkeypatch.context() as patched:
        patched.setattr(eng, "_correlate", lambda key: pytest.fail(f"{key} correlated"))
        assert eng.admit([ended]) == {ended.key: going}
    eng.evaluate_pending(at(63))
    assert eng.incident_of(ended.key) == going and eng.incidents[going].started_at == at(38)
    assert eng.admit([episode("bridge", at(20), element="olt-a2")]) == {("bridge", at(20)): old}
    eng.evaluate_pending(at(64))
    assert {eng.incident_of(ek) for ek in eng.episodes} == {old}


def test_an_ended_alert_sent_late_joins_only_when_its_reach_passes_the_incidents_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Partitioning joins an alert starting strictly inside the reach of those before it. An
    ended alert sent late whose reach is exactly the ongoing incident's start is an incident
    of its own (answered by correlating, a new id); one whose reach is a minute later joins
    the ongoing incident, answered without correlating. Each answer is what evaluating gives."""
    for end, joins in ((at(70), False), (at(71), True)):  # reach: minute 100, minute 101
        eng = engine()  # quiet period 30 minutes
        eng.apply([episode("going", at(100), element="olt-a1")], at(101))
        going = eng.incident_of(("going", at(100)))
        late = episode("late", at(40), end=end, element="olt-a2")
        with monkeypatch.context() as patched:
            if joins:
                patched.setattr(eng, "_correlate", lambda key: pytest.fail(f"{key} correlated"))
            (answered,) = eng.admit([late]).values()
        assert (answered == going) is joins
        eng.evaluate_pending(at(102))
        assert eng.incident_of(late.key) == answered
        assert eng.incident_of(("going", at(100))) == going
        assert eng.incidents[going].started_at == (at(40) if joins else at(100))


# ---- time-driven changes ----------------------------------------------------------------------


def test_tick_makes_an_incident_reportable_when_a_duration_threshold_is_crossed() -> None:
    """With no new alert, tick() at start + 1 h turns a 10 000-connection outage reportable."""
    eng = engine()
    (inc_id,) = eng.apply([episode("a", at(0), element="olt-b1")], at(0))
    inc = eng.incidents[inc_id]
    assert assessment(inc, "pts") == (False, None)
    assert inc.next_check_at == at(60)
    assert inc.assessments[0].seconds_to_reportable(at(0)) == 3600
    assert eng.tick(at(59)) == set()
    assert eng.tick(at(60)) == {inc_id}
    assert assessment(eng.incidents[inc_id], "pts") == (True, at(60))
    assert eng.tick(at(61)) == set()


def test_tick_turns_further_criteria_met_after_the_rule_set_is_already_reportable() -> None:
    """A criterion crossing its duration is re-evaluated on time even when another already met."""
    eng = engine()
    (inc_id,) = eng.apply([episode("a", at(0), element="olt-a1")], at(0))  # 112 met at once
    criteria = {c.id: c for c in eng.incidents[inc_id].assessments[0].criteria}
    assert criteria["e112"].met
    assert (criteria["conn-5k-1h"].met, criteria["conn-5k-1h"].forecast_at) == (False, at(60))
    assert eng.tick(at(60)) == {inc_id}
    criteria = {c.id: c for c in eng.incidents[inc_id].assessments[0].criteria}
    assert (criteria["conn-5k-1h"].met, criteria["conn-5k-1h"].since) == (True, at(60))
    assert assessment(eng.incidents[inc_id], "pts") == (True, at(0))


def test_an_alert_starting_after_it_was_received_turns_reportable_at_start_plus_duration() -> None:
    """startsAt ahead of the bridge's clock (received at 0, starting at 10): the incident is
    due at the start, turns reportable there (112 at once), and the 1 h criterion at 70."""
    eng = engine()
    (inc_id,) = eng.apply([episode("a", at(10), seen=at(0), element="olt-a1")], at(0))
    inc = eng.incidents[inc_id]
    assert assessment(inc, "pts") == (False, None)
    assert inc.next_check_at == at(10)
    assert inc.assessments[0].seconds_to_reportable(at(0)) == 600
    assert eng.tick(at(9)) == set()
    assert eng.tick(at(10)) == {inc_id}
    assert assessment(eng.incidents[inc_id], "pts") == (True, at(10))
    assert eng.incidents[inc_id].next_check_at == at(70)
    assert eng.tick(at(70)) == {inc_id}
    criteria = {c.id: c for c in eng.incidents[inc_id].assessments[0].criteria}
    assert (criteria["conn-5k-1h"].met, criteria["conn-5k-1h"].since) == (True, at(70))


def test_tick_flags_a_firing_alert_not_heard_of_within_stale_after() -> None:
    """A firing alert silent for stale_after is flagged stale; hearing it again clears that."""
    eng = engine(stale_after=timedelta(hours=2))
    (inc_id,) = eng.apply([episode("a", at(0), element="olt-a2")], at(0))
    assert eng.tick(at(119)) == set()
    assert eng.incidents[inc_id].stale == []
    assert eng.tick(at(120)) == {inc_id}
    assert eng.incidents[inc_id].stale == ["a"]
    assert eng.incidents[inc_id].state == OPEN  # surfaced, not silently dropped
    eng.apply([episode("a", at(0), seen=at(130), element="olt-a2")], at(130))
    assert eng.incidents[inc_id].stale == []


def test_a_resolved_alert_is_never_stale() -> None:
    """Only firing alerts can go stale."""
    eng = engine(stale_after=timedelta(minutes=1))
    (inc_id,) = eng.apply([episode("a", at(0), end=at(1), element="olt-a2")], at(1))
    eng.tick(at(600))
    assert eng.incidents[inc_id].stale == []


# ---- deliveries ---------------------------------------------------------------------------


def test_a_duplicate_delivery_changes_nothing() -> None:
    """The same webhook delivered twice (HA Alertmanager) reports no change the second time."""
    eng = engine()
    body = webhook(alert("a", at(0), element="olt-a1"), alert("b", at(1), element="olt-a2"))
    first = deliver(eng, at(2), body)
    assert len(first) == 1
    assert deliver(eng, at(2), body) == set()


def test_truncated_alerts_are_recorded_on_the_incident() -> None:
    """truncatedAlerts of a delivery's group shows on the incidents of that group."""
    eng = engine()
    deliver(eng, at(1), webhook(alert("a", at(0), element="olt-a1"), truncated=4))
    assert only(eng).truncated_alerts == 4


def test_a_late_firing_after_the_resolve_does_not_reopen_the_episode() -> None:
    """A firing observation delivered after the resolve of the same episode is absorbed."""
    eng = engine()
    deliver(
        eng, at(10), webhook(alert("a", at(0), status="resolved", ends_at=at(10), element="olt-a1"))
    )
    assert deliver(eng, at(11), webhook(alert("a", at(0), element="olt-a1"))) == set()
    assert eng.episodes[("a", at(0))].status == "resolved"


def test_an_alert_whose_element_annotation_changes_moves_between_incidents() -> None:
    """When a newer delivery maps an episode to another site, the old incident lets it go."""
    eng = engine()
    (old_id,) = eng.apply([episode("a", at(0), annotations={"element": "olt-a1"})], at(1))
    eng.apply([episode("a", at(0), seen=at(2), annotations={"element": "olt-b1"})], at(2))
    holding = [inc for inc in live(eng).values() if ("a", at(0)) in inc.episodes]
    assert len(holding) == 1
    assert holding[0].key == "topo:site-b"
    assert holding[0].impact.current == 10000
    assert holding[0].id != old_id  # ids stay with their correlation key
    assert eng.incidents[old_id].merged_into == holding[0].id
    assert sum(inc.impact.current for inc in live(eng).values()) == 10000


def test_an_alert_moving_away_leaves_the_other_alerts_of_its_incident_in_place() -> None:
    """When one of two alerts of a site moves to another site, both stay in live incidents."""
    eng = engine()
    (old_id,) = eng.apply(
        [
            episode("a", at(0), annotations={"element": "olt-a1"}),
            episode("b", at(1), element="olt-a2"),
        ],
        at(1),
    )
    eng.apply([episode("a", at(0), seen=at(2), annotations={"element": "olt-b1"})], at(2))
    where = {
        ek: [inc.key for inc in live(eng).values() if ek in inc.episodes] for ek in eng.episodes
    }
    assert where == {("a", at(0)): ["topo:site-b"], ("b", at(1)): ["topo:site-a"]}
    assert eng.incidents[old_id].key == "topo:site-a"  # the id stays with what it was
    assert sorted(inc.impact.current for inc in live(eng).values()) == [4000, 10000]
    assert {eng.incident_of(ek) for ek in eng.episodes} == set(live(eng))


# ---- restore ------------------------------------------------------------------------------


def _history() -> Engine:
    eng = engine()
    eng.apply([episode("a", at(0), element="olt-a1")], at(0))
    eng.apply([episode("b", at(-5), element="olt-a2")], at(1))  # late, earlier start
    eng.apply([episode("x", at(0), end=at(5), cluster="c1")], at(5))
    eng.apply([episode("y", at(60), cluster="c1")], at(60))
    eng.apply([episode("z", at(30), end=at(55), cluster="c1")], at(61))  # merges x and y
    eng.apply([episode("n", at(50), element="olt-n1", severity="critical")], at(62))
    eng.apply([episode("g", at(55), element="ghost")], at(63), {"grp": 2})
    eng.tick(at(90))
    return eng


def test_restore_reproduces_ids_merges_and_assessments() -> None:
    """A fresh engine restored from stored episodes and incidents has the same incidents."""
    before = _history()
    assert any(inc.merged_into for inc in before.incidents.values())
    site_a = next(i for i in live(before).values() if i.key == "topo:site-a")
    assert site_a.id != incident_id("topo:site-a", site_a.episodes[0])  # not re-derivable
    after = engine()
    after.restore(
        before.episodes.values(),
        [before.stored_form(i) for i in before.incidents],
        before.truncation,
        at(90),
    )
    assert outcome(after) == outcome(before)
    assert {k: after.incident_of(k) for k in after.episodes} == {
        k: before.incident_of(k) for k in before.episodes
    }


def test_restore_then_tick_behaves_like_the_original() -> None:
    """After a restore, the timer-driven changes happen at the same instants as before."""
    before = _history()
    after = engine()
    after.restore(
        before.episodes.values(),
        [before.stored_form(i) for i in before.incidents],
        before.truncation,
        at(90),
    )
    for minutes in (100, 120, 200, 400):
        assert after.tick(at(minutes)) == before.tick(at(minutes))
        assert outcome(after) == outcome(before)


def test_restore_under_new_correlation_settings_keeps_every_alert_in_an_incident() -> None:
    """If the correlation settings changed across a restart, no alert drops out of incidents."""
    before = engine(ancestor_kind=None)  # by (alertname, cluster): one incident
    (old_id,) = before.apply(
        [
            episode("a", at(0), element="olt-a1", cluster="c1"),
            episode("b", at(1), element="olt-b1", cluster="c1"),
        ],
        at(2),
    )
    after = engine()  # now by site: two incidents
    after.restore(
        before.episodes.values(), [before.stored_form(i) for i in before.incidents], {}, at(3)
    )
    incidents = live(after)
    assert sorted(inc.key for inc in incidents.values()) == ["topo:site-a", "topo:site-b"]
    assert old_id in incidents  # the stored id survives on one of them
    for ek in after.episodes:
        holder = after.incident_of(ek)
        assert holder in incidents and ek in incidents[holder].episodes


def test_assessments_cover_every_rule_set_with_the_right_jurisdiction() -> None:
    """A Norwegian societal OLT is reportable to Nkom at once and never to PTS."""
    eng = engine(rule_sets=(PTS, NKOM))
    (inc_id,) = eng.apply([episode("n", at(0), element="olt-n1")], at(0))
    inc = eng.incidents[inc_id]
    assert inc.jurisdictions == ["NO"]
    assert assessment(inc, "nkom") == (True, at(0))
    eng.tick(at(600))
    assert assessment(eng.incidents[inc_id], "pts") == (False, None)


# ---- one event, one incident (bridge.core.covering) -------------------------------------------


def _internet(inc: Incident) -> int:
    return sum(
        n
        for (service, _), n in inc.impact.current_by_service_region.items()
        if service == "internet"
    )


def test_an_alert_above_the_sites_covers_the_incidents_under_it() -> None:
    """A core router's alert and the site alerts under it are one incident, with each
    connection once (SE internet 20 000, not 20 000 + 6 000 + 4 000), and one report owed."""
    eng = engine()
    eng.apply(
        [
            episode("core", at(0), element="core-se"),
            episode("a", at(1), element="olt-a1"),
            episode("b", at(2), element="olt-b1"),
        ],
        at(3),
    )
    inc = only(eng)
    assert inc.key == "topo:core-se"
    assert inc.fingerprints() == ["a", "b", "core"]
    assert _internet(inc) == 20_000
    assert eng.affected_now()[("internet", "SE-0180")] == 10_000


def test_a_site_incident_opened_first_is_merged_into_the_covering_one() -> None:
    """The site incident already on the board when the core router's alert comes is merged
    into the one that covers both (its id then points there); a later site alert under the
    router joins it too, and the figures count each connection once."""
    eng = engine()
    (site_id,) = eng.apply([episode("a", at(0), element="olt-a1")], at(1))
    changed = eng.apply([episode("core", at(5), element="core-se")], at(5))
    cover = only(eng)
    assert cover.key == "topo:core-se"
    assert site_id in changed and eng.incidents[site_id].merged_into == cover.id
    assert cover.started_at == at(0)  # the event began with the site's alert
    eng.apply([episode("b", at(8), element="olt-b1")], at(8))
    assert only(eng).fingerprints() == ["a", "b", "core"]
    assert _internet(only(eng)) == 20_000


def test_the_order_alerts_arrive_in_does_not_change_what_covers_what() -> None:
    """Router first, sites first, all at once: the same single incident."""
    alerts = [
        episode("core", at(3), element="core-se"),
        episode("a", at(0), element="olt-a1"),
        episode("b", at(4), element="olt-b1", end=at(6)),
    ]
    outcomes = []
    for order in (alerts, alerts[::-1], [alerts[1], alerts[0], alerts[2]]):
        eng = engine()
        for ep in order:
            eng.apply([ep], at(10))
        inc = only(eng)
        outcomes.append((inc.fingerprints(), inc.started_at, _internet(inc)))
    assert outcomes[0] == outcomes[1] == outcomes[2]


def test_site_alerts_outside_the_routers_time_or_tree_stay_apart() -> None:
    """A site alert long after the router's incident ended, and one under another core,
    are incidents of their own: covering joins what happened together under the router."""
    eng = engine()
    eng.apply(
        [
            episode("core", at(0), end=at(5), element="core-se"),
            episode("late", at(120), element="olt-a1"),
            episode("norway", at(1), element="olt-n1"),
        ],
        at(121),
    )
    keys = sorted((inc.key, inc.fingerprints()) for inc in live(eng).values())
    assert keys == [
        ("topo:core-se", ["core"]),
        ("topo:site-a", ["late"]),
        ("topo:site-n", ["norway"]),
    ]


def test_a_site_alert_bridging_to_the_router_through_another_site_alert_joins() -> None:
    """Covering follows the incident, not the single alert: a site alert that started before
    the router's, inside the reach of a site incident the router covers, is taken in too."""
    eng = engine()
    eng.apply(
        [
            episode("a1", at(0), end=at(10), element="olt-a1"),  # reaches at(40)
            episode("a2", at(35), element="olt-a2"),  # same site, inside that reach
            episode("core", at(50), element="core-se"),  # overlaps a2 only
        ],
        at(51),
    )
    assert only(eng).fingerprints() == ["a1", "a2", "core"]


def test_covering_survives_a_restart() -> None:
    """Restored from the store, the covering incident and the merged site incident are as
    they were, with the same ids."""
    before = engine()
    before.apply([episode("a", at(0), element="olt-a1")], at(1))
    before.apply([episode("core", at(5), element="core-se")], at(5))
    before.apply([episode("b", at(8), element="olt-b1")], at(8))
    after = engine()
    after.restore(
        before.episodes.values(),
        [before.stored_form(i) for i in before.incidents],
        before.truncation,
        at(9),
    )
    before.tick(at(9))
    assert outcome(after) == outcome(before)
    assert {k: after.incident_of(k) for k in after.episodes} == {
        k: before.incident_of(k) for k in before.episodes
    }


def test_what_is_down_now_counts_each_connection_once_and_follows_resolves() -> None:
    """The figures for metrics and dashboards (affected_now) count the router's subtree
    once with the OLT inside it, and only the OLT once the router is back."""
    eng = engine()
    eng.apply(
        [episode("core", at(0), element="core-se"), episode("a", at(0), element="olt-a1")], at(1)
    )
    assert eng.affected_now()[("internet", "SE-0180")] == 10_000
    eng.apply([episode("core", at(0), end=at(5), element="core-se")], at(5))
    assert eng.affected_now()[("internet", "SE-0180")] == 6_000  # only the OLT is still down


# ---- people's merges and splits -------------------------------------------------------------


def _restored(before: Engine, now: object) -> Engine:
    after = engine()
    after.directives(before.covering.bonds, before.covering.pins)
    after.restore(
        before.episodes.values(),
        [before.stored_form(i) for i in before.incidents],
        before.truncation,
        now,  # type: ignore[arg-type]
    )
    return after


def test_a_merge_makes_two_incidents_one_and_later_alerts_join_it() -> None:
    """Two sites' incidents a person knows are one event: merged, the absorbed one points to
    the host, which holds both sites' alerts and counts each connection once; an alert that
    later joins the absorbed site's incident joins the host; a restart keeps it so."""
    eng = engine()
    (host,) = eng.apply([episode("a", at(0), element="olt-a1")], at(1))
    (absorbed,) = eng.apply([episode("b", at(2), element="olt-b1")], at(2))
    assert host != absorbed
    eng.merge(absorbed, host)
    changed = eng.evaluate_pending(at(3))
    assert absorbed in changed and eng.incidents[absorbed].merged_into == host
    assert eng.absorbed(host) == [absorbed] and eng.host(absorbed) == host
    assert only(eng).id == host and only(eng).fingerprints() == ["a", "b"]
    eng.apply([episode("b2", at(10), element="olt-b1")], at(10))
    assert only(eng).fingerprints() == ["a", "b", "b2"]
    after = _restored(eng, at(11))
    eng.tick(at(11))
    assert outcome(after) == outcome(eng)


def test_incidents_of_one_key_far_apart_in_time_merge_too() -> None:
    """One site, two incidents hours apart (a person knows the second is the first coming
    back): merged, they are one incident from the first's start."""
    eng = engine()
    (first,) = eng.apply([episode("a", at(0), end=at(5), element="olt-a1")], at(5))
    eng.apply([episode("b", at(300), element="olt-a2")], at(300))
    second = eng.incident_of(("b", at(300)))
    assert second is not None and first != second
    eng.merge(second, first)
    eng.evaluate_pending(at(301))
    inc = only(eng)
    assert inc.fingerprints() == ["a", "b"] and inc.started_at == at(0)
    assert {first, second} - {inc.id} == {eng.absorbed(inc.id)[0]}


def test_a_split_takes_alerts_out_into_an_incident_of_their_own() -> None:
    """Two OLTs of one site that were two events: split, the one taken out forms its own
    incident (its own key, never correlated back), the other stays under the old id; a
    restart keeps it so."""
    eng = engine()
    (inc_id,) = eng.apply(
        [episode("a", at(0), element="olt-a1"), episode("b", at(1), element="olt-a2")], at(2)
    )
    b = ("b", at(1))
    eng.split([b], "split:x")
    eng.evaluate_pending(at(3))
    incidents = live(eng)
    assert incidents[inc_id].fingerprints() == ["a"]
    (other,) = set(incidents) - {inc_id}
    assert incidents[other].fingerprints() == ["b"] and incidents[other].key == "split:x"
    eng.apply([episode("b", at(1), element="olt-a2", seen=at(4))], at(4))  # re-sent
    assert live(eng)[inc_id].fingerprints() == ["a"]
    after = _restored(eng, at(5))
    eng.tick(at(5))
    assert outcome(after) == outcome(eng)


def test_merges_and_splits_are_let_go_with_their_incidents() -> None:
    """Once the incidents they concern leave memory, the engine forgets their bonds and pins
    (the casebook keeps them; a restart reads those of live incidents only)."""
    eng = engine()
    (host,) = eng.apply([episode("a", at(0), end=at(5), element="olt-a1")], at(5))
    eng.apply([episode("b", at(1), end=at(6), element="olt-b1")], at(6))
    absorbed = eng.incident_of(("b", at(1)))
    assert absorbed is not None
    eng.merge(absorbed, host)
    eng.split([("b", at(1))], "split:x")
    eng.evaluate_pending(at(7))
    assert eng.covering.bonds and eng.covering.pins
    eng.evict(list(eng.incidents))
    assert not eng.incidents and not eng.covering.bonds and not eng.covering.pins


def _sizes(eng: Engine) -> dict[str, int]:
    """The size of every map, set and list the engine and its covering hold (but the heap of
    checks to come, which lets an entry go when it comes due)."""
    return {
        f"{type(owner).__name__}.{name}": len(value)
        for owner in (eng, eng.covering)
        for name, value in vars(owner).items()
        if isinstance(value, dict | set | list) and name != "_heap"
    }


def test_incidents_that_left_memory_leave_nothing_behind() -> None:
    """Incidents opened, closed and let go (alerts of a site, alerts with labels of a key,
    alerts nothing places: each a key of its own; groups truncated or not) leave every map of
    the engine as it was, while a live incident keeps its group's truncation."""
    eng = engine()
    deliver(eng, at(0), webhook(alert("live", at(0), element="olt-a1"), group_key="g", truncated=3))
    eng.tick(at(1))
    eng.affected_now()
    before = _sizes(eng)
    now = at(1)
    for n in range(60):
        sent = [
            alert(f"s{n}", now, element=("olt-b1", "olt-c1")[n % 2]),
            alert(f"k{n}", now, cluster=f"c{n}"),
            alert(f"u{n}", now),  # placed nowhere: key alert:u{n}
        ]
        deliver(eng, now, webhook(*sent, group_key=f"g{n}", truncated=n % 3))
        eng.tick(now)
        eng.affected_now()
        now += timedelta(minutes=1)
        ended = [{**a, "status": "resolved", "endsAt": rfc3339(now)} for a in sent]
        deliver(eng, now, webhook(*ended, group_key=f"g{n}", truncated=n % 2))
        now += timedelta(hours=2)
        eng.tick(now)
        eng.affected_now()
        eng.history_before = now - timedelta(hours=1)
        went = eng.evict(
            [i for i, inc in eng.incidents.items() if inc.state == CLOSED and eng.evictable(i)]
        )
        assert len(went) == 3
    eng.admit([])  # covering looks again at what was let go
    assert _sizes(eng) == before
    assert eng.truncation == {"g": 3}
    assert only(eng).truncated_alerts == 3
    deliver(eng, now, webhook(alert("live", at(0), element="olt-a1"), group_key="g"))
    assert eng.truncation == {}  # a zero clears it
    eng.tick(now)
    assert only(eng).truncated_alerts == 0


def test_a_tick_sees_staleness_from_the_latest_hearing_without_reading_every_alert_again() -> None:
    """Re-evaluations reuse what the incident read from its alerts (AlertsView); an alert
    heard again later is not stale when its first hearing would say so, and goes stale from
    its latest hearing, and the incident is checked again by then."""
    eng = engine(stale_after=timedelta(minutes=30))
    (inc_id,) = eng.apply(
        [episode("a", at(0), element="olt-a1"), episode("b", at(0), element="olt-a2")], at(0)
    )
    eng.apply([episode("a", at(0), element="olt-a1", seen=at(20))], at(20))  # only last_seen
    eng.tick(at(31))
    assert eng.incidents[inc_id].stale == ["b"]
    assert eng.incidents[inc_id].next_check_at is not None
    assert eng.incidents[inc_id].next_check_at <= at(50)
    eng.tick(at(50))
    assert eng.incidents[inc_id].stale == ["a", "b"]


# ---- an incident that only grows ---------------------------------------------------------------


def test_new_alerts_joining_an_ongoing_incident_get_a_grown_plan_and_extend_its_timeline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A storm: alerts keep joining the site's ongoing incident, each batch starting after the
    last. Each batch is planned as the one incident grown (not the key correlated again), its
    timeline extended from the kept sweep (the earlier points are the same objects), and the
    end equals one evaluation of everything (small incidents keep their sweep here; by
    default only large ones do)."""
    monkeypatch.setattr(incident_state, "KEEP_SWEEP_FROM", 0)
    eng = engine()
    everything = [episode("first", at(0), element="olt-a1")]
    eng.apply(everything, at(0))
    for n, element in enumerate(["olt-a2", "olt-a1", "olt-a2", "site-a"], start=1):
        batch = [episode(f"s{n}", at(n), element=element, severity="critical")]
        everything += batch
        before = only(eng)
        eng.admit(batch)
        plan = eng.next_plan(at(n))
        assert plan is not None and plan.grown == (batch[0].key,)
        assert [p.episodes for p in plan.parts] == [[*before.episodes, batch[0].key]]
        changed = eng.commit(plan, compute(plan, eng.topology, eng.rule_sets))
        assert changed is not None
        after = only(eng)
        assert after.id == before.id
        # the earlier points are kept as they were, not built again
        assert all(a is b for a, b in zip(after.timeline[:-1], before.timeline[:-1], strict=False))
    whole = engine()
    whole.apply(everything, at(4))
    eng.tick(at(4))
    assert outcome(eng) == outcome(whole)
    assert only(eng).impact.current == 10000


def test_a_resolve_or_an_alert_before_the_incident_is_correlated_in_full() -> None:
    """A resolve (which may split the incident) and an alert starting before the incident
    (which may merge it with an earlier one) are not growth: the key is correlated again."""
    eng = engine()
    eng.apply([episode("first", at(10), element="olt-a1")], at(10))
    eng.admit([episode("early", at(5), element="olt-a2")])
    plan = eng.next_plan(at(11))
    assert plan is not None and plan.grown is None
    eng.commit(plan, compute(plan, eng.topology, eng.rule_sets))
    eng.admit([episode("first", at(10), end=at(12), element="olt-a1")])
    plan = eng.next_plan(at(12))
    assert plan is not None and plan.grown is None


def test_an_alert_resolving_inside_an_ongoing_incident_only_ends_it_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The site's first alert keeps going; others resolve one by one: each batch is the
    incident with that alert's end (a grown plan that changes an end, its timeline swept
    again only from before that end), and the end equals one evaluation of everything."""
    monkeypatch.setattr(incident_state, "KEEP_SWEEP_FROM", 0)
    eng = engine()
    firing = [
        episode("first", at(0), element="olt-a1"),
        episode("b", at(1), element="olt-a2"),
        episode("c", at(2), element="olt-a2", severity="critical"),
    ]
    eng.apply(firing, at(2))
    everything = list(firing)
    for n, fp in enumerate(["b", "c"], start=3):
        resolve = [episode(fp, at(n - 2), end=at(n), element="olt-a2")]
        if fp == "c":
            resolve = [episode(fp, at(n - 2), end=at(n), element="olt-a2", severity="critical")]
        everything += resolve
        before = only(eng)
        assert eng.admit(resolve) == {resolve[0].key: before.id}
        plan = eng.next_plan(at(n))
        assert plan is not None and plan.grown == (resolve[0].key,)
        assert plan.after is not None and list(plan.after[3]) == [
            before.episodes.index(resolve[0].key)
        ]
        eng.commit(plan, compute(plan, eng.topology, eng.rule_sets))
        assert only(eng).id == before.id
    whole = engine()
    whole.apply(everything, at(5))
    eng.tick(at(5))
    assert outcome(eng) == outcome(whole)


def test_a_grown_plan_gone_stale_while_only_new_alerts_joined_is_committed_as_progress(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A grown plan computed while more new alerts joined the same incident (a storm's
    webhooks during the worker thread's compute) is applied instead of thrown away: the
    incident holds the plan's alerts, the key stays pending with the later ones, the next
    plan extends what was applied with those alone, and the end equals one evaluation of
    everything."""
    monkeypatch.setattr(incident_state, "KEEP_SWEEP_FROM", 0)
    eng = engine()
    held = [episode("a", at(0), element="olt-a1"), episode("b", at(1), element="olt-a2")]
    eng.apply(held, at(1))
    inc_id = only(eng).id
    first = [episode("c", at(2), element="olt-a1", severity="critical")]
    eng.admit(first)
    plan = eng.next_plan(at(3))
    assert plan is not None and plan.grown == (first[0].key,)
    computed = compute(plan, eng.topology, eng.rule_sets)
    later = [episode("d", at(3), element="olt-a2"), episode("e", at(3), element="olt-a1")]
    assert eng.admit(later) == {ep.key: inc_id for ep in later}
    assert eng.commit(plan, computed) == {inc_id}
    assert only(eng).fingerprints() == ["a", "b", "c"]
    assert eng.is_pending(plan.key)
    again = eng.next_plan(at(4))
    assert again is not None and set(again.grown or ()) == {ep.key for ep in later}
    assert again.after is not None and again.after[2] == 3  # extends the three applied
    assert eng.commit(again, compute(again, eng.topology, eng.rule_sets)) is not None
    assert not eng.has_pending
    whole = engine()
    whole.apply([*held, *first, *later], at(4))
    assert outcome(eng) == outcome(whole)


def test_a_grown_plan_is_refused_when_the_key_was_evaluated_since(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read evaluates the key in place while a grown plan is out (the plan's alert and a
    later one are applied), then the plan's alert resolves (the key grows again). The plan
    is older than what was applied: it is refused, not applied over it, and the end equals
    one evaluation of everything."""
    monkeypatch.setattr(incident_state, "KEEP_SWEEP_FROM", 0)
    eng = engine()
    held = [episode("a", at(0), element="olt-a1"), episode("b", at(1), element="olt-a2")]
    eng.apply(held, at(1))
    eng.admit([episode("c", at(2), element="olt-a1")])
    plan = eng.next_plan(at(3))
    assert plan is not None and plan.grown is not None
    computed = compute(plan, eng.topology, eng.rule_sets)
    later = episode("d", at(3), element="olt-a2")
    eng.admit([later])
    eng.evaluate_pending(at(3))  # a read settles: c and d applied
    assert only(eng).fingerprints() == ["a", "b", "c", "d"]
    resolved = episode("c", at(2), end=at(4), element="olt-a1")
    eng.admit([resolved])
    assert eng.commit(plan, computed) is None
    while (plan := eng.next_plan(at(5))) is not None:
        assert eng.commit(plan, compute(plan, eng.topology, eng.rule_sets)) is not None
    whole = engine()
    whole.apply([*held, resolved, later], at(5))
    assert outcome(eng) == outcome(whole)


def test_a_grown_plan_is_refused_when_its_key_changed_otherwise_since(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new alert that starts before the incident (sent late: the key is correlated in full)
    admitted while a grown plan is out makes the plan stale for good."""
    monkeypatch.setattr(incident_state, "KEEP_SWEEP_FROM", 0)
    eng = engine()
    eng.apply([episode("a", at(5), element="olt-a1")], at(5))
    eng.admit([episode("c", at(6), element="olt-a2")])
    plan = eng.next_plan(at(7))
    assert plan is not None and plan.grown is not None
    computed = compute(plan, eng.topology, eng.rule_sets)
    eng.admit([episode("early", at(1), element="olt-a2")])
    assert eng.commit(plan, computed) is None
    assert eng.is_pending(plan.key)


def test_a_resolve_that_would_split_the_incident_is_correlated_in_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ended long ago; the alert that bridged it to B resolves early: A and B fall apart
    (the gap is longer than the quiet period), so the key is correlated in full and the
    incidents are what one evaluation of everything gives."""
    monkeypatch.setattr(incident_state, "KEEP_SWEEP_FROM", 0)
    eng = engine()
    a = episode("a", at(0), end=at(10), element="olt-a1")
    bridge = episode("x", at(5), element="olt-a2")
    b = episode("b", at(50), element="olt-a2")
    eng.apply([a, bridge, b], at(50))
    assert len(live(eng)) == 1
    resolved = episode("x", at(5), end=at(6), element="olt-a2")
    eng.admit([resolved])
    plan = eng.next_plan(at(51))
    assert plan is not None and plan.grown is None
    eng.commit(plan, compute(plan, eng.topology, eng.rule_sets))
    whole = engine()
    whole.apply([a, resolved, b], at(51))
    assert len(live(eng)) == 2
    assert outcome(eng) == outcome(whole)


def test_a_re_send_after_an_alert_bridging_two_incidents_is_checked_again() -> None:
    """What seen_again left for a group no longer holds once an alert admitted since (not yet
    evaluated) bridges its incident with an earlier one: the key waits to be correlated in
    full, and the re-send is placed (from the key's correlation at that admission) in the
    merged incident, not where the group was left, as admitting it would; evaluation
    agrees."""
    eng = engine()
    eng.apply(
        [
            episode("a", at(0), end=at(10), element="olt-a1"),
            episode("c", at(60), seen=at(60), element="olt-a2"),
        ],
        at(61),
    )
    assert len(live(eng)) == 2
    (c,) = [ep for ep in eng.episodes.values() if ep.fingerprint == "c"]
    left = eng.seen_again([structs.replace(c, last_seen=at(62))], {})
    assert left is not None and left.standing is not None
    resent = [structs.replace(ep, last_seen=at(64)) for ep in left.held]
    assert still_as_left(left, resent, eng.episodes, eng.incidents, eng._risky)
    eng.admit([episode("b", at(35), end=at(65), element="olt-a2")])  # bridges a's and c's
    assert not still_as_left(left, resent, eng.episodes, eng.incidents, eng._risky)
    admitted = copy.deepcopy(eng)
    again = eng.seen_again(resent, {}, left)
    placed = admitted.admit(resent, {})
    assert again is not None and again.standing is None  # checked alert by alert next time
    assert again.placed == placed
    assert placed[c.key] != left.placed[c.key]
    eng.evaluate_pending(at(66))
    assert len(live(eng)) == 1 and eng.incident_of(c.key) == placed[c.key]


def _moved_batch_by_batch(*batches: list[AlertEpisode]) -> dict[str, str]:
    """Where covering puts each alert (fingerprint → key) once ``batches`` are admitted one
    after another, checked against admitting every episode at once."""
    eng = engine()
    for batch in batches:
        eng.admit(batch)
    once = engine()
    once.admit(list(eng.episodes.values()))
    assert eng.covering.moved == once.covering.moved
    return {ek[0]: key for ek, key in eng.covering.moved.items()}


def test_a_new_alert_under_a_cover_still_going_joins_it() -> None:
    """The storm: a new site alert under the core router that is down moves into its key."""
    first = [episode("core", at(0), element="core-se"), episode("a", at(5), element="olt-a1")]
    assert _moved_batch_by_batch(first, [episode("b", at(9), element="olt-b1")]) == {
        "a": "topo:core-se",
        "b": "topo:core-se",
    }


def test_a_new_alert_bridging_an_ended_cover_to_a_later_site_alert_takes_that_one_in() -> None:
    """The core's alert ended (its incident reaches at(40)); a site alert at(60) stayed apart.
    A new alert from at(5), still going, joins the core's and stretches it to the later one,
    which then moves in too."""
    first = [
        episode("core", at(0), end=at(10), element="core-se"),
        episode("late", at(60), element="olt-b1"),
    ]
    assert _moved_batch_by_batch(first, [episode("bridge", at(5), element="olt-a1")]) == {
        "bridge": "topo:core-se",
        "late": "topo:core-se",
    }


def test_a_new_alert_starting_before_the_cover_takes_in_a_site_alert_only_it_overlaps() -> None:
    """The core's alert from at(50) covers nothing yet (a site alert at(0)-at(10) reached only
    at(40)). A new alert from at(5), still going, joins the core's and starts it at(5): the
    earlier site alert now overlaps it and moves in too."""
    first = [
        episode("core", at(50), element="core-se"),
        episode("early", at(0), end=at(10), element="olt-b1"),
    ]
    assert _moved_batch_by_batch(first, [episode("bridge", at(5), element="olt-a1")]) == {
        "bridge": "topo:core-se",
        "early": "topo:core-se",
    }


def test_a_new_start_that_ends_the_alert_keeping_a_cover_going_lets_a_later_one_go() -> None:
    """The core's alert ended; a site alert still going kept the core's incident going, so a
    site alert at(70) joined it. That alert fires again at(30) and resolves at(35): its first
    episode ends at(30), the incident reaches at(65), and the one at(70) leaves it."""
    first = [
        episode("core", at(0), end=at(5), element="core-se"),
        episode("x", at(2), element="olt-a1"),
        episode("late", at(70), element="olt-b1"),
    ]
    assert _moved_batch_by_batch(first) == {
        "x": "topo:core-se",
        "late": "topo:core-se",
    }
    moved = _moved_batch_by_batch(first, [episode("x", at(30), end=at(35), element="olt-a1")])
    assert moved == {"x": "topo:core-se"}  # both episodes of x; "late" stays in its own key


def test_a_resolve_under_a_cover_still_going_leaves_the_alert_in_it() -> None:
    """The storm's resolves: the core router is still down, a site alert under it resolves;
    it stays in the core's incident, as does the one still going."""
    first = [
        episode("core", at(0), element="core-se"),
        episode("a", at(5), element="olt-a1"),
        episode("b", at(6), element="olt-b1"),
    ]
    resolved = [episode("a", at(5), end=at(20), element="olt-a1")]
    assert _moved_batch_by_batch(first, resolved) == {"a": "topo:core-se", "b": "topo:core-se"}


def test_a_resolve_that_ends_the_alert_an_earlier_one_joined_through_lets_both_go() -> None:
    """The core's alert from at(50) took in a site alert going since at(0), and through it
    one at(10)-at(20) (reaching at(50)) that never overlapped the core's. The first resolves
    at(5): neither overlaps the core's alert any more, and both leave its incident."""
    first = [
        episode("core", at(50), element="core-se"),
        episode("x", at(0), element="olt-a1"),
        episode("y", at(10), end=at(20), element="olt-b1"),
    ]
    assert _moved_batch_by_batch(first) == {"x": "topo:core-se", "y": "topo:core-se"}
    resolved = [episode("x", at(0), end=at(5), element="olt-a1")]
    assert _moved_batch_by_batch(first, resolved) == {}
