"""A real ``bridge serve`` process killed with SIGKILL: nothing acknowledged is lost, and after a
restart the incidents and assessments are the same as before."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from bridge_process import BridgeProcess
from builders import API_TOKEN, WEBHOOK_TOKEN, alert, webhook
from polling import until

AUTH = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
API = {"Authorization": f"Bearer {API_TOKEN}"}
TIME_DEPENDENT = ("evaluated_at", "seconds_to_reportable")


def comparable(doc: Any) -> Any:
    """The document without fields that move with the wall clock (and the running total of an
    inventory flag still affected: ``impact.flags``' ``seconds`` while ``until`` is null)."""
    if isinstance(doc, dict):
        going = "seconds" in doc and "until" in doc and doc["until"] is None
        return {
            k: comparable(v)
            for k, v in doc.items()
            if k not in TIME_DEPENDENT and not (going and k == "seconds")
        }
    if isinstance(doc, list):
        return [comparable(v) for v in doc]
    return doc


async def snapshot(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url + "/api/v1/incidents?state=all", headers=API) as r:
        listing = await r.json()
    docs = {}
    for inc in listing["incidents"]:
        async with session.get(f"{url}/api/v1/incidents/{inc['id']}", headers=API) as r:
            docs[inc["id"]] = comparable(await r.json())
    return docs


def stored_fingerprints(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT fingerprint FROM alerts")}


async def test_kill9_loses_nothing_acknowledged_and_restores_the_same_incidents(
    bridge_process: Callable[..., BridgeProcess], tmp_path: Path
):
    """Incidents (with reportable assessments) survive SIGKILL unchanged, and every alert of an
    alert storm that got a 2xx before the kill is in the store after it."""
    # drafts follow every change at once, so "before" shows them up to date
    bridge = bridge_process({"notices": {"refresh_interval": "0s"}})
    bridge.start()
    await bridge.wait_ready()
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    async with aiohttp.ClientSession() as session:
        for body in (
            webhook(
                alert("a1", t0, element="se-olt-ostersund-1"),
                alert("a2", t0, element="se-olt-ostersund-2"),
            ),
            webhook(alert("n1", t0, element="no-cell-ullevaal", severity="critical")),
            webhook(
                alert(
                    "a1",
                    t0,
                    status="resolved",
                    ends_at=t0 + timedelta(hours=2, minutes=30),
                    element="se-olt-ostersund-1",
                )
            ),
        ):
            async with session.post(
                bridge.url + "/api/v1/alertmanager", json=body, headers=AUTH
            ) as r:
                assert r.status == 200, await r.text()
        # a read of drafts runs the post-ingest flush of derived incidents (and their drafts)
        # first, so it has run once this answers
        async with session.get(bridge.url + "/api/v1/drafts", headers=API) as r:
            assert r.status == 200, await r.text()
        before = await snapshot(session, bridge.url)
        assert len(before) == 2
        reportable = {
            a["regulator"] for d in before.values() for a in d["assessments"] if a["reportable"]
        }
        assert reportable == {"pts", "nkom"}

        acked: set[str] = set()

        async def storm_sender(n: int) -> None:
            body = webhook(
                *[alert(f"storm-{n}-{i}", t0, incident="storm", element="x") for i in range(20)],
                group_key=f"storm-{n}",
            )
            try:
                async with session.post(
                    bridge.url + "/api/v1/alertmanager", json=body, headers=AUTH
                ) as r:
                    if r.status == 200:
                        acked.update(a["fingerprint"] for a in body["alerts"])
            except aiohttp.ClientError:
                pass  # the kill cut this one off: not acknowledged

        senders = [asyncio.create_task(storm_sender(n)) for n in range(200)]
        await until(lambda: len(acked) >= 200, "200 acknowledged storm alerts", 60, every=0.005)
        bridge.kill9()
        await asyncio.gather(*senders)

    db = tmp_path / "bridge.sqlite3"
    assert acked <= stored_fingerprints(db)

    bridge.start()
    await bridge.wait_ready()
    async with aiohttp.ClientSession() as session:
        after = await snapshot(session, bridge.url)
    storm = [d for d in after.values() if d["correlation_key"] == "label:storm"]
    assert len(storm) == 1
    assert {fp for fp in storm[0]["alerts"]} >= acked
    assert {k: after[k] for k in before} == before
