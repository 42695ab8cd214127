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
