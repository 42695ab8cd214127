"""What one event, one incident costs (bridge/core/covering.py): the evaluation benchmark's
10^5 elements and 10^4 firing alerts, once as they are (about 500 site incidents: the
BASELINE) and once with the Swedish core router down too, so its alert covers every Swedish
site incident that overlaps it (one incident of thousands of alerts). Measured on fresh
engines in one run: applying everything, and a batch of 10 changed alerts (half resolves,
half new) under the core afterwards. The ratio says what a core outage costs the engine per
batch; no aim is set in the issue, the figure is stated as measured.

``python -m bench --only covering [--quick]``
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench.evaluation import (
    ALERTS,
    ELEMENTS,
    NOW0,
    Workload,
    _episode,
    _stats,
    _timed,
    new_engine,
    rule_sets,
)
from bench.inventory import generate
from bridge.core.engine import Engine

CORE = "se-core-sto"


def _core_alert(rnd: random.Random) -> Any:
    return _episode("c0re", CORE, CORE, NOW0 - timedelta(minutes=25), NOW0, rnd)


def run(quick: bool = False, log: Callable[..., None] = print) -> dict[str, Any]:
    reps = 2 if quick else 4
    inventory = generate(ELEMENTS)
    topology = inventory.topology()
    rules = rule_sets()
    rows: dict[str, dict[str, Any]] = {}
    for case, with_core in (("baseline", False), ("core down", True)):
        apply_s: list[float] = []
        batch_s: list[float] = []
        incidents = covered = 0
        for rep in range(reps):
            workload = Workload(inventory, ALERTS, seed=3 + rep)
            episodes = list(workload.episodes)
            if with_core:
                episodes.append(_core_alert(random.Random(rep)))
            engine: Engine = new_engine(topology, rules)
            dt, _ = _timed(lambda e=engine, eps=episodes: e.apply(eps, NOW0))
            apply_s.append(dt)
            incidents = sum(1 for i in engine.incidents.values() if i.merged_into is None)
            covered = len(engine.covering.moved)
            current = dict(engine.episodes)
            later = NOW0 + timedelta(seconds=30)
            se = [ep for ep in current.values() if ep.labels.get("element", "").startswith("se-")]
            batch = workload.batch(10, later, {ep.key: ep for ep in se})
            dt, _ = _timed(lambda e=engine, b=batch, t=later: e.apply(b, t))
            batch_s.append(dt)
        rows[case] = {
            "apply_all": _stats(apply_s),
            "batch_10": _stats(batch_s),
            "live_incidents": incidents,
            "episodes_covered": covered,
        }
        log(f"  covering: {case}: {rows[case]}")
    base, core = rows["baseline"], rows["core down"]
    ratios = {
        "apply_all": round(core["apply_all"]["median_ms"] / base["apply_all"]["median_ms"], 2),
        "batch_10": round(core["batch_10"]["median_ms"] / base["batch_10"]["median_ms"], 2),
    }
    return {"rows": rows, "ratios": ratios, "aims": []}


def table(res: dict[str, Any]) -> str:
    lines = [
        "Covering (one event, one incident): 10^4 alerts, with and without the core router",
        "| case | live incidents | alerts covered | apply all ms | batch of 10 ms |",
        "|---|---|---|---|---|",
    ]
    for case, row in res["rows"].items():
        lines.append(
            f"| {case} | {row['live_incidents']} | {row['episodes_covered']} | "
            f"{row['apply_all']['median_ms']} | {row['batch_10']['median_ms']} |"
        )
    r = res["ratios"]
    lines.append(f"core down / baseline: apply all {r['apply_all']}×, batch of 10 {r['batch_10']}×")
    return "\n".join(lines)
