"""``SIGTERM`` on a bridge with a large store (10^5 historical alerts, 10^4 closed incidents,
seeded straight into SQLite as the soak benchmark does): webhooks in flight are finished or
refused (never acknowledged and lost), the incidents of everything acknowledged are persisted,
the lease is released and the process exits cleanly; it starts again on the same store. How
long each takes is the soak benchmark's to measure (``python -m bench --only soak``)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from bridge_process import BridgeProcess
from builders import API_TOKEN, REPO, WEBHOOK_TOKEN, alert, webhook

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from bench.soak import seed

AUTH = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
API = {"Authorization": f"Bearer {API_TOKEN}"}
ELEMENTS = ("se-olt-ostersund-1", "se-olt-ostersund-2", "no-olt-oslo-1", "se-cell-berg-1")


async def test_sigterm_with_a_large_store_loses_nothing_and_releases_the_lease(
    bridge_process: Callable[..., BridgeProcess], tmp_path: Path
):
    bridge = bridge_process({"evaluation": {"interval": "1s"}})
    bridge.start()
    await bridge.wait_ready()  # the schema
    bridge.stop()
    db = tmp_path / "bridge.sqlite3"
    seed(db, 100_000, ELEMENTS, {"state": "closed"}, datetime.now(UTC))
    bridge.start()
    await bridge.wait_ready()
    now = datetime.now(UTC).replace(microsecond=0)

    async def post(session: aiohttp.ClientSession, n: int) -> list[str] | None:
        alerts = [
            alert(f"live{n:03d}{k:03d}", now - timedelta(minutes=5), element=ELEMENTS[k % 4])
            for k in range(100)
        ]
        try:
            async with session.post(
                bridge.url + "/api/v1/alertmanager", json=webhook(*alerts), headers=AUTH
            ) as r:
                return [a["fingerprint"] for a in alerts] if r.status == 200 else None
        except aiohttp.ClientError:
            return None  # refused or cut: Alertmanager retries

    assert bridge.proc is not None
    async with aiohttp.ClientSession() as session:
        sending = [asyncio.create_task(post(session, n)) for n in range(30)]
        await asyncio.sleep(0.2)  # some are in flight
        bridge.proc.terminate()
        answered = await asyncio.gather(*sending)
    assert await asyncio.to_thread(bridge.proc.wait, 10) == 0, bridge.log.read_text()[-3000:]
    acknowledged = {fp for fps in answered if fps for fp in fps}
    assert acknowledged, "no webhook was acknowledged before the stop"
    with sqlite3.connect(db) as conn:
        stored = {r[0] for r in conn.execute("SELECT fingerprint FROM alerts")}
        in_incidents = {
            fp
            for (episodes,) in conn.execute(
                "SELECT episodes FROM incidents WHERE id NOT LIKE 'inc-hist-%'"
            )
            for fp, _ in json.loads(episodes)
        }
        lease = conn.execute("SELECT holder, expires_at FROM lease").fetchall()
    assert acknowledged <= stored
    assert acknowledged <= in_incidents, "an acknowledged alert's incident was not persisted"
    assert all(expires <= datetime.now(UTC).timestamp() for _, expires in lease), lease

    bridge.start()
    await bridge.wait_ready()
    async with (
        aiohttp.ClientSession() as session,
        session.get(bridge.url + "/api/v1/incidents?state=all&limit=5", headers=API) as r,
    ):
        body = await r.json()
    assert r.status == 200 and len(body["incidents"]) == 5 and "next" in body
