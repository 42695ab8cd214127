"""A replica under heavy load keeps its own lease: webhooks back to back on a real ``bridge
serve`` with a short lease never make it step down (issue #16, "the loop never stalls")."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import aiohttp
from bridge_process import metric_value
from builders import WEBHOOK_TOKEN, alert, webhook

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
ELEMENTS = (
    "se-olt-ostersund-1",
    "se-olt-ostersund-2",
    "se-cell-ostersund-sjukhus",
    "se-cell-berg-1",
    "no-olt-oslo-1",
    "no-cell-ullevaal",
)
#: webhooks sent, alerts in each, senders at once
WEBHOOKS, ALERTS, SENDERS = 240, 50, 4
LEASE = "300ms"  # renewed every 100 ms; a loop held 300 ms loses it


async def test_a_replica_loaded_back_to_back_never_steps_down(bridge_process):
    """Thousands of alerts in back-to-back webhooks with a 300 ms lease: the replica leads
    throughout (``bridge_leader`` 1 on every scrape, fencing token 1, no "stepping down")."""
    bridge = bridge_process(
        {
            "replication": {"replica_id": "loaded", "lease_ttl": LEASE},
            "evaluation": {"interval": "1s"},
        }
    )
    bridge.start()
    await bridge.wait_ready()
    t0 = datetime.now(UTC) - timedelta(minutes=30)
    bodies = [
        webhook(
            *(
                alert(f"fp-{n}-{k}", t0 + timedelta(seconds=n), element=ELEMENTS[(n + k) % 6])
                for k in range(ALERTS)
            ),
            group_key=f"g{n}",
        )
        for n in range(WEBHOOKS)
    ]
    leader_seen: list[float | None] = []
    queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def sender(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            async with session.post(
                bridge.url + "/api/v1/alertmanager", json=body, headers=HOOK
            ) as r:
                assert r.status == 200, await r.text()

    async def watch(session: aiohttp.ClientSession, done: asyncio.Event) -> None:
        while not done.is_set():
            async with session.get(bridge.url + "/metrics") as r:
                leader_seen.append(metric_value(await r.text(), 'bridge_leader{replica="loaded"}'))
            await asyncio.sleep(0.2)  # a scrape interval, not a wait for an outcome

    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        done = asyncio.Event()
        watcher = asyncio.create_task(watch(session, done))
        await asyncio.gather(*(sender(session) for _ in range(SENDERS)))
        await bridge.ticks_after(2)  # the evaluation caught up and ticked on
        done.set()
        await watcher
        async with session.get(bridge.url + "/metrics") as r:
            metrics = await r.text()
    took = time.monotonic() - started
    log = bridge.log.read_text()
    lag_count = metric_value(metrics, "bridge_event_loop_lag_seconds_count") or 0
    over = lag_count - (
        metric_value(metrics, 'bridge_event_loop_lag_seconds_bucket{le="0.25"}') or 0
    )
    lapses = log.count("renewed its lapsed lease")  # too busy to renew in time, nobody took it
    print(
        f"{WEBHOOKS * ALERTS} alerts in {took:.1f}s; lag samples {lag_count:.0f}, "
        f">250ms {over:.0f}; lapses {lapses}"
    )
    assert "stepping down" not in log, log[-3000:]
    assert "fencing token 2" not in log, log[-3000:]
    assert leader_seen and all(v == 1 for v in leader_seen), leader_seen
