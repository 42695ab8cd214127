"""``python -m bench.ingest_path [--alerts N] [--bodies B] [--evaluate-every M]``: what a
webhook of new alerts costs per alert on its way from the raw body to the engine's admission,
stage by stage, in-process (no HTTP), against ``json.loads`` of the same body measured in the
same run.

The webhook benchmark's bodies (:class:`bench.bodies.BodyFactory`: one site's alerts, new
fingerprints every delivery, ~10 % resolved) and its inventory (10 000 elements), the shipped
rule sets and the test configuration's correlation (by site). Per body, in the order the bridge
runs them:

- ``json.loads``: the parse-only baseline's whole work (the reference; ``orjson.loads`` shown too);
- ``decode``: :func:`bridge.core.webhook_decode.decode_webhook` (raw bytes → ``Delivery``);
- ``rows``: the store's rows for the delivery (:func:`bridge.store.sqlite.alerts.episode_row`),
  the event loop's part of the SQLite write;
- ``ingest``: :meth:`SqliteStore.ingest_numbered` as process CPU time (so the writer thread's
  upsert and read-back are in it; fsync waits are not CPU), ``rows`` included;
- ``admit``: :meth:`Engine.admit` of the stored episodes (mapping, correlation key, covering);
- ``evaluate``: :meth:`Engine.evaluate_pending` after each body, as the bridge does after its
  acknowledgement (shown for scale; not part of the ingest path); with ``--evaluate-every M``
  after every M-th body only, as coalescing does under a storm (the cost spread over the
  bodies), so admission meets keys still waiting for their evaluation.

Each stage's median over the bodies (``evaluate`` with ``--evaluate-every``: its mean), in µs
per alert, and as a multiple of ``json.loads``.
Nothing here is a test. Run it before and after a change on the same quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.bodies import BodyFactory, builders
from bench.inventory import generate, write_csv
from bench.webhook import INVENTORY_SIZE
from bridge.config import load_config
from bridge.config.inventory import load_inventory
from bridge.core.webhook_decode import decode_webhook
from bridge.evaluation.engine import build_engine
from bridge.store.sqlite import SqliteStore
from bridge.store.sqlite.alerts import episode_row

STAGES = ("json.loads", "orjson.loads", "decode", "rows", "ingest", "admit", "evaluate")


async def _run(alerts: int, bodies: int, folder: Path, every: int) -> dict[str, list[float]]:
    inventory = generate(INVENTORY_SIZE)
    csv_path = write_csv(inventory, folder / "inventory.csv")
    config = builders().write_config(
        folder,
        inventory=csv_path,
        extra={"regulators": {"enisa": {"rule_set": "enisa-matrix"}}},
    )
    loaded = load_config(config)
    cfg = loaded.config
    topology = load_inventory(cfg.inventory.path, cfg.inventory.service_totals)
    topology.warm()
    engine = build_engine(loaded, topology)
    limits = cfg.server.limits.webhook()
    factory = BodyFactory(inventory, alerts, variants=16).prepare()
    gc.set_threshold(50_000, 20, 100)  # as BridgeService.start does
    store = SqliteStore(f"sqlite:///{folder / 'bridge.sqlite3'}")
    await store.open()
    times: dict[str, list[float]] = {s: [] for s in STAGES}
    try:
        for seq in range(bodies + 2):  # the first two warm up, unmeasured
            raw = factory(1_000_000 + seq)
            now = datetime.now(UTC)
            gc.collect()
            t0 = time.perf_counter()
            json.loads(raw)
            t1 = time.perf_counter()
            orjson.loads(raw)
            t2 = time.perf_counter()
            delivery = decode_webhook(raw, now, limits)
            t3 = time.perf_counter()
            assert delivery is not None and len(delivery.episodes) == alerts
            memo: dict[datetime, str] = {}
            for ep in delivery.episodes:
                episode_row(ep, memo)
            t4 = time.perf_counter()
            c0 = time.process_time()
            stored, _ = await store.ingest_numbered(delivery, now)
            c1 = time.process_time()
            t5 = time.perf_counter()
            engine.admit(stored, {delivery.group_key: delivery.truncated_alerts})
            t6 = time.perf_counter()
            if (seq + 1) % every == 0:
                engine.evaluate_pending(now)
            t7 = time.perf_counter()
            if seq < 2:
                continue
            for stage, seconds in zip(
                STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, c1 - c0, t6 - t5, t7 - t6), strict=True
            ):
                times[stage].append(seconds * 1e6 / alerts)
    finally:
        await store.close()
    return times


def run(alerts: int = 1000, bodies: int = 20, every: int = 1) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bridge-ingest-path-") as tmp:
        times = asyncio.run(_run(alerts, bodies, Path(tmp), every))
    base = statistics.median(times["json.loads"])
    if every > 1:  # one body in ``every`` evaluates: its cost spread over them (a mean)
        times["evaluate"] = [statistics.fmean(times["evaluate"])]
    return {
        "alerts_per_body": alerts,
        "bodies": bodies,
        "evaluate_every": every,
        "us_per_alert": {s: round(statistics.median(v), 2) for s, v in times.items()},
        "x_json_loads": {s: round(statistics.median(v) / base, 2) for s, v in times.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_path")
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--bodies", type=int, default=20)
    parser.add_argument("--evaluate-every", type=int, default=1, metavar="M")
    args = parser.parse_args(argv)
    res = run(args.alerts, args.bodies, args.evaluate_every)
    print(
        f"{res['alerts_per_body']} alerts per body, median of {res['bodies']} bodies, "
        f"evaluated every {res['evaluate_every']}"
    )
    print(f"{'stage':<14}{'µs/alert':>10}{'× json.loads':>14}")
    for stage in STAGES:
        us, x = res["us_per_alert"][stage], res["x_json_loads"][stage]
        print(f"{stage:<14}{us:>10.2f}{x:>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
