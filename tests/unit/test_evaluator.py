"""The evaluator keeping the engine current (bridge.evaluation.evaluator), on a real engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from corekit import at, engine, episode, live
from prometheus_client import CollectorRegistry

from bridge.core import incident_state
from bridge.core.incident_state import KeyPlan
from bridge.evaluation import evaluator as evaluator_module
from bridge.evaluation.evaluator import Evaluator
from bridge.evaluation.persistence import IncidentWriter
from bridge.metrics import Metrics


class _Flushes:
    def __init__(self) -> None:
        self.count = 0

    async def flush(self) -> None:
        self.count += 1


async def test_alerts_joining_while_a_plan_is_computed_extend_it_instead_of_undoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """New alerts admitted to an incident while its grown plan is computed (a storm's webhooks
    meanwhile) do not throw the computed plan away: it is applied, and the next plan, in the
    next round, holds only the alerts that came after it. The evaluator goes on until nothing
    is pending, and the incidents are what one evaluation of everything gives."""
    monkeypatch.setattr(incident_state, "KEEP_SWEEP_FROM", 0)
    eng = engine()
    held = [episode("a", at(0), element="olt-a1"), episode("b", at(1), element="olt-a2")]
    eng.apply(held, at(1))
    first = [episode("c", at(2), element="olt-a1", severity="critical")]
    later = [episode("d", at(3), element="olt-a2"), episode("e", at(3), element="olt-a1")]
    flushes = _Flushes()
    ev = Evaluator(
        eng, timedelta(0), Metrics(CollectorRegistry()), now=lambda: at(4), persist=flushes
    )
    plans: list[KeyPlan] = []
    flushed_before: list[int] = []  # rounds end with a flush
    real_compute = evaluator_module.compute

    def computing(plan: KeyPlan, *args: Any) -> Any:
        plans.append(plan)
        flushed_before.append(flushes.count)
        out = real_compute(plan, *args)
        if len(plans) == 1:
            ev.admit(later, {})  # arrives while the first plan is being computed
        return out

    monkeypatch.setattr(evaluator_module, "compute", computing)
    ev.admit(first, {})
    assert ev._task is not None
    await ev._task
    assert [set(p.grown or ()) for p in plans] == [
        {first[0].key},
        {ep.key for ep in later},
    ]
    # the key still growing waits for the next round (the other keys are not starved)
    assert flushed_before == [0, 1]
    assert not eng.has_pending
    whole = engine()
    whole.apply([*held, *first, *later], at(4))
    assert {i: inc.verdict() for i, inc in live(eng).items()} == {
        i: inc.verdict() for i, inc in live(whole).items()
    }


# ---- one bad key or incident never stops the others ------------------------------------------

_SECRET = "a value from the alert's labels"


def _on(element: str) -> Any:
    """A compute (or _reevaluate) stand-in that raises for the key of alerts on ``element``."""

    def raising(plan: KeyPlan, *args: Any) -> Any:
        if any(t.element == element for part in plan.intervals for _, _, t in part):
            raise OverflowError(_SECRET)
        return incident_state.compute(plan, *args)

    return raising


def _errors(metrics: Metrics, stage: str) -> float | None:
    return metrics.registry.get_sample_value("bridge_evaluation_errors_total", {"stage": stage})


def _elements(eng: Any) -> set[str]:
    return {
        t.element for inc in live(eng).values() for ek in inc.episodes if (t := eng.targets[ek])
    } - {None}


async def test_a_key_whose_evaluation_raises_is_set_aside_and_the_others_are_evaluated(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The evaluation task survives a key whose evaluation raises: the other keys are
    evaluated and flushed, the failure is logged (type and frames, not the message, which may
    quote labels) and counted, and the key is not tried again until it changes."""
    eng = engine()
    metrics = Metrics(CollectorRegistry())
    flushes = _Flushes()
    ev = Evaluator(eng, timedelta(0), metrics, now=lambda: at(4), persist=flushes)
    planned: list[str] = []
    raising = _on("olt-n1")

    def computing(plan: KeyPlan, *args: Any) -> Any:
        planned.append(plan.key)
        return raising(plan, *args)

    monkeypatch.setattr(evaluator_module, "compute", computing)
    assert _errors(metrics, "evaluate") == 0
    ev.admit([episode("a", at(0), element="olt-a1"), episode("n", at(0), element="olt-n1")], {})
    assert ev._task is not None
    with caplog.at_level("ERROR", logger="bridge.evaluation"):
        await ev._task  # ends normally
    assert _elements(eng) == {"olt-a1"}
    assert ev.dirty == set(live(eng))
    assert flushes.count == 1
    assert _errors(metrics, "evaluate") == 1
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    logged = record.getMessage()
    assert "OverflowError" in logged and "in raising" in logged  # the type and the frames
    assert _SECRET not in logged and record.exc_info is None
    (bad,) = set(planned) - {i.key for i in live(eng).values()}  # olt-n1's key
    assert planned.count(bad) == 1 and not eng.has_pending  # set aside: not retried

    # it changes again (a new alert): evaluated in full, with what was set aside
    monkeypatch.setattr(evaluator_module, "compute", incident_state.compute)
    ev.admit([episode("n2", at(3), element="olt-n1")], {})
    await ev._task
    assert _elements(eng) == {"olt-a1", "olt-n1"}
    (incident,) = [i for i in live(eng).values() if i.key == bad]
    assert {ek[0] for ek in incident.episodes} == {"n", "n2"}
    assert _errors(metrics, "evaluate") == 1


async def test_settle_and_the_timer_evaluate_the_other_keys_and_incidents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Evaluation on the loop (a read's settle, the timer's tick) goes on past a key or an
    incident that raises (the engine sets it aside and tells the evaluator)."""
    from bridge.core import engine as engine_module
    from bridge.core.engine import Engine

    eng = engine()
    metrics = Metrics(CollectorRegistry())
    ev = Evaluator(eng, timedelta(0), metrics, now=lambda: at(4), persist=_Flushes())
    monkeypatch.setattr(engine_module, "compute", _on("olt-n1"))
    eng.admit([episode("a", at(0), element="olt-a1"), episode("n", at(0), element="olt-n1")])
    ev.settle()
    assert _elements(eng) == {"olt-a1"} and not eng.has_pending
    assert _errors(metrics, "evaluate") == 1
    monkeypatch.setattr(engine_module, "compute", incident_state.compute)
    eng.admit([episode("b", at(1), element="olt-b1"), episode("n2", at(1), element="olt-n1")])
    ev.settle()
    assert _elements(eng) == {"olt-a1", "olt-b1", "olt-n1"}

    # the timer: one incident's re-evaluation raises, the others are still re-evaluated
    real = Engine._reevaluate
    bad = next(i for i, inc in live(eng).items() if "n" in {ek[0] for ek in inc.episodes})

    def reevaluate(self: Engine, incident: Any, now: Any) -> bool:
        if incident.id == bad:
            raise ValueError(_SECRET)
        return real(self, incident, now)

    monkeypatch.setattr(Engine, "_reevaluate", reevaluate)
    changed = ev.tick(at(200))  # every alert has gone stale (2 h)
    assert changed == set(live(eng)) - {bad}
    assert _errors(metrics, "evaluate") == 2


def test_a_restore_sets_a_key_that_raises_aside_and_restores_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With on_failure given (the service's evaluator), a restore that cannot evaluate one key
    still comes back with the others."""
    from bridge.core import engine as engine_module

    monkeypatch.setattr(engine_module, "compute", _on("olt-n1"))
    eng = engine()
    failed: list[tuple[str, str]] = []
    eng.on_failure = lambda what, exc: failed.append((what, type(exc).__name__))
    eps = [episode("a", at(0), element="olt-a1"), episode("n", at(0), element="olt-n1")]
    eng.restore(eps, [], {}, at(4))
    assert _elements(eng) == {"olt-a1"} and not eng.has_pending
    assert [(what.split()[0], name) for what, name in failed] == [("key", "OverflowError")]


async def test_an_incident_the_store_cannot_take_does_not_keep_the_others_out() -> None:
    """The writer writes the dirty incidents in one write; when the store refuses it for
    something else than an outage (orjson's TypeError on an integer beyond 64 bits, once),
    the others are written one by one and the one refused is reported, not kept dirty (not
    retried in a loop)."""
    eng = engine()
    metrics = Metrics(CollectorRegistry())
    ev = Evaluator(eng, timedelta(0), metrics, now=lambda: at(4), persist=_Flushes())
    eps = [episode(e[-2:], at(0), element=e) for e in ("olt-a1", "olt-b1", "olt-n1")]
    ev.dirty |= eng.apply(eps, at(1))
    bad = next(i for i, inc in live(eng).items() if ("n1", at(0)) in inc.episodes)
    writes: list[list[str]] = []

    class Store:
        async def save_incidents(self, records: list[Any], fence: int | None = None) -> None:
            writes.append([r.id for r in records])
            if any(r.id == bad for r in records):
                raise TypeError(_SECRET)

    class Leading:
        token = 7

    writer = IncidentWriter(Store(), ev, eng.topology, metrics, Leading(), lambda: at(4))  # type: ignore[arg-type]
    saved = await writer.save_dirty()
    assert saved == set(live(eng))
    ok = sorted(set(live(eng)) - {bad})
    assert writes[0] == sorted(live(eng))
    assert sorted(i for w in writes[1:] for i in w if i != bad) == ok
    assert _errors(metrics, "persist") == 1
    assert ev.dirty == set()
