"""What memory holds (bridge.core.liveness, Engine.evict): settled incidents leave with their
episodes a horizon after they closed; what stays behaves as if nothing had left; history
re-delivered is left to the store, never a duplicate incident."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import timedelta

from corekit import at, engine, episode, live

from bridge.core.engine import Engine
from bridge.core.incident_state import CLOSED, Incident, StoredIncident
from bridge.core.liveness import is_history, leaves_memory, settled_at
from bridge.core.obligations import Obligation

HORIZON = timedelta(days=7)


def seen(eng: Engine, leaving: Collection[str] = ()) -> dict[str, object]:
    """What an observer sees of the live incidents (verdicts and timelines), minus ``leaving``."""
    return {i: (inc.verdict(), inc.timeline) for i, inc in live(eng).items() if i not in leaving}


def _closed_flap(eng: Engine, fp: str, start_min: float) -> str:
    """One alert on olt-b1 (small: never reportable) that fires and resolves 10 min later."""
    ep = episode(fp, at(start_min), end=at(start_min + 10), element="olt-b1")
    eng.apply([ep], at(start_min + 10))
    inc_id = eng.incident_of(ep.key)
    assert inc_id is not None
    return inc_id


def _obligation(state: str, due: bool = True) -> Obligation:
    return Obligation("nkom", "nkom_varsel", at(60) if due else None, state, None, "")


def test_a_closed_incident_that_owes_nothing_is_settled_at_its_end() -> None:
    eng = engine()
    inc_id = _closed_flap(eng, "a", 0)
    eng.tick(at(100))
    inc = eng.incidents[inc_id]
    assert inc.state == CLOSED
    assert settled_at(inc, eng.incidents) == at(10)
    assert not leaves_memory(inc, eng.incidents, at(10) + HORIZON - timedelta(seconds=1), HORIZON)
    assert leaves_memory(inc, eng.incidents, at(10) + HORIZON, HORIZON)


def test_open_owing_or_drafted_incidents_are_not_settled() -> None:
    eng = engine()
    inc_id = _closed_flap(eng, "a", 0)
    eng.tick(at(100))
    closed = eng.incidents[inc_id]
    assert settled_at(replace(closed, state="open", ended_at=None), {}) is None
    for state in ("open", "drafted", "approved", "overdue"):
        owing = replace(closed, obligations=[_obligation("sent"), _obligation(state)])
        assert settled_at(owing, {}) is None, state
    done = replace(closed, obligations=[_obligation("sent"), _obligation("rejected")])
    assert settled_at(done, {}) == at(10)
    # waiting, undrafted, for an event that never came (a supplementary after a rejected
    # initial report): settled; a draft for it in progress: not
    waiting = replace(closed, obligations=[_obligation("rejected"), _obligation("open", False)])
    assert settled_at(waiting, {}) == at(10)
    drafted = replace(waiting, obligations=[_obligation("drafted", False)])
    assert settled_at(drafted, {}) is None


def test_a_merged_away_incident_settles_with_the_incident_it_went_into() -> None:
    """B (started long before) merged into A, C into B: while A is live neither B nor C is
    settled, however old; once A settles they settle at A's settling, not at their start;
    one whose host memory no longer holds is settled at its own start."""
    host = Incident.hollow("inc-a", "k", at(0), [("a", at(0))], None)
    live_host = replace(host, state="open")
    settled_host = replace(host, ended_at=at(600))
    b = Incident.hollow("inc-b", "k", at(-600), [("b", at(-600))], "inc-a")
    c = Incident.hollow("inc-c", "k", at(-900), [("c", at(-900))], "inc-b")
    far = at(600) + 10 * HORIZON
    held = {i.id: i for i in (live_host, b, c)}
    for stub in (b, c):
        assert settled_at(stub, held) is None
        assert not leaves_memory(stub, held, far, HORIZON)
    held = {i.id: i for i in (settled_host, b, c)}
    for stub in (b, c):
        assert settled_at(stub, held) == at(600)
        assert not leaves_memory(stub, held, at(600) + HORIZON - timedelta(seconds=1), HORIZON)
        assert leaves_memory(stub, held, at(600) + HORIZON, HORIZON)
    # A owes a report again (or has a draft in progress): B is live again with it
    owing = replace(settled_host, obligations=[_obligation("overdue")])
    assert settled_at(b, {"inc-a": owing, "inc-b": b}) is None
    assert settled_at(b, {"inc-b": b}) == at(-600)
    assert settled_at(c, {"inc-b": b, "inc-c": c}) == at(-900)


def test_evicting_settled_incidents_leaves_the_live_ones_as_they_were() -> None:
    """Engine A keeps everything, engine B evicts what is settled: B's incidents are A's live
    ones, equal, and they go on alike (new alerts, ticks)."""
    full, lean = engine(), engine()
    for eng in (full, lean):
        for n in range(5):
            _closed_flap(eng, f"flap{n}", n * 60)
        eng.apply([episode("up", at(400), element="olt-a1")], at(400))
    now = at(10) + HORIZON + timedelta(days=1)
    for eng in (full, lean):
        eng.tick(now)
    going = [
        i for i, inc in lean.incidents.items() if leaves_memory(inc, lean.incidents, now, HORIZON)
    ]
    assert len(going) == 5
    assert lean.evict(going) == set(going)
    assert set(lean.incidents) == set(full.incidents) - set(going)
    assert {k for k in lean.episodes} == {k for k in full.episodes if k[0] == "up"}
    assert seen(lean) == seen(full, going)
    later = now + timedelta(minutes=5)
    for eng in (full, lean):
        eng.apply([episode("more", later, element="olt-a1")], later)
        eng.tick(later + timedelta(hours=2))
    assert seen(lean) == seen(full, going)


def test_history_redelivered_is_left_to_the_store() -> None:
    """Once evicted, a late re-delivery of a settled incident's resolved alert opens nothing;
    a new alert on the same element opens a new incident as usual."""
    eng = engine()
    inc_id = _closed_flap(eng, "a", 0)
    now = at(10) + HORIZON
    eng.tick(now)
    eng.history_before = now - HORIZON
    assert eng.evict([inc_id]) == {inc_id}
    assert eng.incidents == {} and eng.episodes == {}
    again = episode("a", at(0), end=at(10), element="olt-b1", seen=now)
    assert is_history(again, eng.history_before)
    assert eng.apply([again], now) == set()
    assert eng.incidents == {}
    (new_id,) = eng.apply([episode("a", now, element="olt-b1")], now)
    assert new_id != inc_id


def test_an_incident_with_evaluation_pending_stays() -> None:
    eng = engine()
    inc_id = _closed_flap(eng, "a", 0)
    eng.tick(at(100))
    eng.admit([episode("b", at(5), element="olt-b1")])  # same key, not yet evaluated
    assert not eng.evictable(inc_id)
    assert eng.evict([inc_id]) == set()
    assert inc_id in eng.incidents


def test_incidents_merged_into_one_that_leaves_go_with_it() -> None:
    eng = engine()
    eng.apply([episode("x", at(0), end=at(5), cluster="c1")], at(5))
    eng.apply([episode("y", at(60), end=at(70), cluster="c1")], at(70))
    eng.apply([episode("z", at(30), end=at(55), cluster="c1")], at(71))  # bridges: merges
    stubs = [i for i, inc in eng.incidents.items() if inc.merged_into]
    assert stubs
    into = eng.incidents[stubs[0]].merged_into
    assert into is not None
    eng.tick(at(500))
    assert eng.evict([into]) == {into, *stubs}
    assert eng.incidents == {}


def test_an_evicted_incident_recalled_comes_back_as_it_was_beside_the_live_ones() -> None:
    """Engine.recall brings an evicted incident back under its id with its alerts, the same
    incident as before it left (as a restart restores one), in history the engine otherwise
    leaves to the store; a live incident of the same element, later, stays as it was, and a
    new alert after the recall still opens a new incident."""
    eng = engine()
    old_id = _closed_flap(eng, "a", 0)
    now = at(10) + 3 * HORIZON
    eng.tick(now)
    was = eng.incidents[old_id]
    eng.history_before = now - HORIZON
    assert eng.evict([old_id]) == {old_id}
    (live_id,) = eng.apply([episode("b", now, element="olt-b1")], now)
    live_before = seen(eng)
    stored = StoredIncident(old_id, was.key, was.started_at, was.episodes)
    flap = episode("a", at(0), end=at(10), element="olt-b1")
    assert old_id in eng.recall([flap], [stored], now + timedelta(minutes=1))
    back = eng.incidents[old_id]
    assert (back.state, back.episodes, back.timeline) == (was.state, was.episodes, was.timeline)
    assert back.verdict() == was.verdict()
    assert seen(eng, [old_id]) == live_before
    assert eng.incident_of(("b", now)) == live_id
    later = now + timedelta(minutes=5)
    assert eng.incident_of(("a", at(0))) == old_id
    eng.apply([episode("c", later, element="olt-b1")], later)
    assert eng.incident_of(("c", later)) == live_id  # joins the live one, not the recalled


def test_a_recalled_incident_brings_back_those_merged_into_it_as_merged() -> None:
    """Engine.recall given a host and the stored incidents merged into it: the host comes back
    as it was, each merged-away one as merged into the incident it went into (a chain kept),
    listed by Engine.absorbed, so what they sent counts as the host's again."""
    eng = engine()
    eng.apply([episode("x", at(0), end=at(5), cluster="c1")], at(5))
    eng.apply([episode("y", at(60), end=at(70), cluster="c1")], at(70))
    eng.apply([episode("z", at(30), end=at(55), cluster="c1")], at(71))  # bridges: merges
    [stub] = [i for i, inc in eng.incidents.items() if inc.merged_into]
    host = eng.host(stub)
    now = at(500) + 3 * HORIZON
    eng.tick(now)
    was = {i: eng.stored_form(i) for i in eng.incidents}
    built = eng.incidents[host]
    episodes = [eng.episodes[ek] for ek in built.episodes]
    eng.history_before = now - HORIZON
    assert eng.evict([host]) == {host, stub}
    # a chain: one more incident stored as merged into the stub
    deeper = StoredIncident("inc-deeper", was[stub].key, at(1), (), stub)
    changed = eng.recall(episodes, [was[host], was[stub], deeper], now)
    assert {host, stub, "inc-deeper"} <= changed
    back = eng.incidents[host]
    assert (back.episodes, back.timeline, back.verdict()) == (
        built.episodes,
        built.timeline,
        built.verdict(),
    )
    assert eng.incidents[stub].merged_into == host
    assert eng.incidents["inc-deeper"].merged_into == stub
    assert sorted(eng.absorbed(host)) == sorted([stub, "inc-deeper"])
    assert eng.stored_form(stub) == was[stub]
    # settled again, they leave together
    assert eng.evict([host]) == {host, stub, "inc-deeper"}
