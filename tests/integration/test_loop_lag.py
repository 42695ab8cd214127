"""The event loop's lag, measured: ``bridge_event_loop_lag_seconds`` (bridge/loop_lag.py)."""

from __future__ import annotations

import time
from typing import Any

from polling import until
from prometheus_client import CollectorRegistry

from bridge.loop_lag import LoopLag
from bridge.metrics import Metrics
from bridge.web.keys import SERVICE

NAME = "bridge_event_loop_lag_seconds"


def sample(registry: CollectorRegistry, suffix: str, **labels: str) -> float:
    value = registry.get_sample_value(NAME + suffix, labels)
    return 0.0 if value is None else value


async def test_a_blocking_call_shows_in_the_upper_buckets():
    """Samples keep coming, and a 300 ms blocking call on the loop lands above 100 ms."""
    registry = CollectorRegistry()
    lag = LoopLag(Metrics(registry).event_loop_lag.observe)
    lag.start()
    try:
        await until(lambda: sample(registry, "_count") >= 3, "three samples")
        assert sample(registry, "_bucket", le="0.1") == sample(registry, "_count")  # idle loop
        before = sample(registry, "_count")
        time.sleep(0.3)  # hold the loop, as a long synchronous evaluation would
        await until(lambda: sample(registry, "_count") > before + 1, "samples after the hold")
        late = sample(registry, "_count") - sample(registry, "_bucket", le="0.1")
        assert late >= 1
        assert sample(registry, "_sum") >= 0.19  # the hold, less at most one interval
    finally:
        await lag.stop()
    stopped = sample(registry, "_count")
    assert lag._task is None and sample(registry, "_count") == stopped


async def test_the_service_samples_from_start_and_shows_it_on_metrics(client):
    """A started bridge exports the histogram on /metrics and its count grows."""
    app: Any = client.server.app

    async def count() -> float:
        text = await (await client.get("/metrics")).text()
        line = next(x for x in text.splitlines() if x.startswith(NAME + "_count"))
        return float(line.split()[-1])

    async def grown(than: float) -> bool:
        return await count() > than

    first = await count()
    await until(lambda: grown(first), "the lag count to grow")
    task = app[SERVICE].loop_lag._task
    assert task is not None and not task.done()
