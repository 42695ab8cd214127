"""What a batch of new alerts costs as the incident they join grows (the storm): cost should
follow what changed, not what the incident holds.

One incident of N firing alerts (the Swedish core router down, covering every Swedish alert:
one event, one incident), then batches of 10 new alerts that start after all of them and join
it, each applied and evaluated at its own ``now``. Measured for N = 100, 1 000 and 10 000 on
fresh engines in one run, twice: as the engine evaluates (a key that only grew gets a *grown*
plan: :meth:`bridge.core.engine.Engine.plan`), and with the key correlated in full (the
BASELINE, how every batch was evaluated before). The ratios say how the batch cost grows
with N, and what the grown plan saves.

A third run sends the batches *late*, as Alertmanager does in a storm: each new alert started
up to five minutes before it arrives (a group's new alerts wait up to ``group_interval``), so
it lands inside the incident's timeline, not after its end. Only the points before the
earliest start are kept; the rest is swept and scanned again (rule scans go on from their
last mark before it: :data:`bridge.core.rules.SCAN_MARKS_EVERY`). That cost follows the
points after the start, which in a storm grow with N: the ratio shows by how much.

Last, *admission* (what the webhook waits for before it answers): one site's incident of N
alerts (no core alert), then batches of 10 new alerts that each started up to five minutes
before the incident did. Each batch is timed twice: ``admit`` alone (the webhook's answer
names the incident each alert joins) and ``admit`` plus the evaluation. An alert still going
that starts before the ongoing incident, after the reach of any earlier one, joins it, and
admit answers that without correlating the key
(:meth:`bridge.core.engine.Engine._joined_from_before`); the evaluation still correlates it.

``python -m bench --only growth [--quick]``
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from bench.covering import CORE
from bench.evaluation import (
    NOW0,
    Workload,
    _episode,
    _stats,
    _timed,
    as_the_service_runs,
    new_engine,
    rule_sets,
)
from bench.inventory import generate
from bridge.core.alerts import AlertEpisode
from bridge.core.engine import Engine

SIZES = (100, 1_000, 10_000)
BATCH = 10
BEFORE_SIZES = (200, 2_000)


def _swedish(workload: Workload, n: int, rnd: random.Random) -> list[AlertEpisode]:
    """``n`` firing alerts on Swedish elements, started over the last 20 minutes."""
    out: list[AlertEpisode] = []
    while len(out) < n:
        ep = workload._fresh(f"{len(out):016x}", NOW0, timedelta(minutes=20))
        if ep.labels["element"].startswith("se-"):
            out.append(ep)
    return out


def _batches(
    workload: Workload, count: int, rnd: random.Random, late: bool = False
) -> list[list[AlertEpisode]]:
    """``count`` batches of new Swedish alerts, batch k arriving at NOW0 + k × 30 s and its
    alerts starting then (``late``: up to five minutes before)."""
    out: list[list[AlertEpisode]] = []
    serial = 0
    for k in range(1, count + 1):
        at = NOW0 + timedelta(seconds=30 * k)
        batch: list[AlertEpisode] = []
        while len(batch) < BATCH:
            el = workload._element()
            if el.startswith("se-"):
                start = at - timedelta(seconds=rnd.uniform(0, 300)) if late else at
                fp = f"new{serial:012x}"
                batch.append(_episode(fp, el, workload.site_of[el], start, at, rnd))
                serial += 1
        out.append(batch)
    return out


def _run_case(
    inventory: Any,
    topology: Any,
    n: int,
    full: bool,
    batches: int,
    seed: int,
    late: bool = False,
) -> tuple[list[float], int]:
    rnd = random.Random(seed)
    workload = Workload(inventory, 0, seed=seed)
    held = _swedish(workload, n, rnd)
    core = _episode("c0re", CORE, CORE, NOW0 - timedelta(minutes=25), NOW0, rnd)
    engine: Engine = new_engine(topology, rule_sets())
    engine.apply([core, *held], NOW0)
    times: list[float] = []
    for k, batch in enumerate(_batches(workload, batches, rnd, late), start=1):
        at = NOW0 + timedelta(seconds=30 * k)

        def one(b: list[AlertEpisode] = batch, t: Any = at) -> None:
            engine.admit(b)
            if full:  # the baseline: the key correlated and evaluated in full
                engine._mark({engine._key_of[b[0].key]})
            engine.evaluate_pending(t)

        dt, _ = _timed(one)
        times.append(dt)
    sizes = [len(i.episodes) for i in engine.incidents.values() if i.merged_into is None]
    return times, max(sizes)


def _before_case(
    workload: Workload, topology: Any, n: int, batches: int, seed: int
) -> tuple[list[float], list[float]]:
    """Admission, then admission and evaluation, of batches of new alerts that started
    before one site's incident of ``n`` alerts (see the module contract)."""
    rnd = random.Random(seed)
    by_site: dict[str, list[str]] = {}
    for el, site in workload.site_of.items():
        if el.startswith("se-"):
            by_site.setdefault(site, []).append(el)
    site, elements = max(by_site.items(), key=lambda kv: (len(kv[1]), kv[0]))

    def alert(fp: str, before: datetime, within: float, seen: datetime) -> AlertEpisode:
        """On an element of the site, started up to ``within`` seconds before ``before``."""
        start = before - timedelta(seconds=rnd.uniform(0, within))
        return _episode(fp, rnd.choice(elements), site, start, seen, rnd)

    held = [alert(f"h{i:08x}", NOW0, 1200, NOW0) for i in range(n)]
    engine: Engine = new_engine(topology, rule_sets())
    engine.apply(held, NOW0)
    admitted: list[float] = []
    evaluated: list[float] = []
    for k in range(1, batches + 1):
        at = NOW0 + timedelta(seconds=30 * k)
        start = min(i.started_at for i in engine.incidents.values() if i.merged_into is None)
        batch = [alert(f"b{k:04d}{j:02d}", start, 300, at) for j in range(BATCH)]
        dt, _ = _timed(partial(engine.admit, batch))
        admitted.append(dt)
        evaluated.append(dt + _timed(partial(engine.evaluate_pending, at))[0])
    return admitted, evaluated


def run(quick: bool = False, log: Callable[..., None] = print) -> dict[str, Any]:
    batches = 5 if quick else 15
    inventory = generate(100_000)
    topology = inventory.topology()
    as_the_service_runs()
    rows: list[dict[str, Any]] = []
    for n in SIZES:
        grown, largest = _run_case(inventory, topology, n, False, batches, seed=5)
        full, _ = _run_case(inventory, topology, n, True, batches, seed=5)
        late, _ = _run_case(inventory, topology, n, False, batches, seed=5, late=True)
        row = {
            "held": n,
            "incident_alerts": largest,
            "grown": _stats(grown),
            "full": _stats(full),
            "late": _stats(late),
        }
        rows.append(row)
        log(f"  growth: {row}")
    first = rows[0]
    for row in rows:
        row["grown_vs_smallest"] = round(row["grown"]["median_ms"] / first["grown"]["median_ms"], 2)
        row["full_vs_smallest"] = round(row["full"]["median_ms"] / first["full"]["median_ms"], 2)
        row["late_vs_smallest"] = round(row["late"]["median_ms"] / first["late"]["median_ms"], 2)
        row["grown_vs_full"] = round(row["grown"]["median_ms"] / row["full"]["median_ms"], 3)
    workload = Workload(inventory, 0, seed=7)
    before: list[dict[str, Any]] = []
    for n in BEFORE_SIZES:
        admitted, evaluated = _before_case(workload, topology, n, batches, seed=7)
        before.append({"held": n, "admit": _stats(admitted), "admit_evaluate": _stats(evaluated)})
        log(f"  growth: before the incident {before[-1]}")
    return {"rows": rows, "before": before, "aims": []}


def table(res: dict[str, Any]) -> str:
    lines = [
        "Growth: a batch of 10 new alerts joining one incident of N alerts (core router down)",
        "| N held | alerts in the incident at the end | batch ms, grown plan | batch ms, "
        "correlated in full (baseline) | grown / full | grown vs N=100 | full vs N=100 | "
        "batch ms, late (started up to 5 min before) | late vs N=100 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["rows"]:
        lines.append(
            f"| {r['held']} | {r['incident_alerts']} | {r['grown']['median_ms']} | "
            f"{r['full']['median_ms']} | {r['grown_vs_full']} | {r['grown_vs_smallest']}× | "
            f"{r['full_vs_smallest']}× | {r['late']['median_ms']} | {r['late_vs_smallest']}× |"
        )
    lines += [
        "",
        "Admission: a batch of 10 new alerts that started before one site's incident of N",
        "| N held | admit ms (the webhook waits for this) | admit + evaluate ms |",
        "|---|---|---|",
    ]
    for r in res.get("before", []):
        lines.append(
            f"| {r['held']} | {r['admit']['median_ms']} | {r['admit_evaluate']['median_ms']} |"
        )
    return "\n".join(lines)
