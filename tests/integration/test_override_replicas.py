"""An impact override on two real ``bridge serve`` replicas sharing one real redis-server: a
person overrides the impact of an incident whose impact is unknown on the follower; the leader,
which never saw the request, learns it from the casebook on its next tick, evaluates the
incident on it and drafts Nkom's varsel; both replicas show the same verdict."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bridge_process import BridgeProcess, replica_pair
from builders import WEBHOOK_TOKEN, alert, webhook
from polling import until
from redis_server import RedisServer
from smtp_server import SmtpServer

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
BOSS = {"Authorization": "Bearer replica-approver"}  # approver: holds editor too
TICK_MS = 1000
STATED = {
    "impacts": [{"service": "mobile", "region": "NO-0301", "connections": 5000, "societal": True}],
    "reason": "Cabinet 9 feeds Ullevål hospital; the inventory lacks it",
}


@pytest.fixture
def pair(tmp_path: Path, redis: RedisServer, smtp: SmtpServer) -> Iterator[list[BridgeProcess]]:
    with replica_pair(tmp_path, redis.url(), smtp.smtp_config(), TICK_MS, 2 * TICK_MS) as bridges:
        yield bridges


async def get(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url, headers=BOSS) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def test_an_override_on_the_follower_is_evaluated_and_drafted_by_the_leader(
    pair: list[BridgeProcess],
) -> None:
    for b in pair:
        b.start()
    for b in pair:
        await b.wait_ready()
    async with aiohttp.ClientSession() as session:
        states = [await get(session, b.url + "/readyz") for b in pair]
        follower = next(b for b, s in zip(pair, states, strict=True) if not s["leader"])
        leader = next(b for b in pair if b is not follower)
        start = datetime.now(UTC) - timedelta(minutes=3)
        body = webhook(alert("fp-cab9", start, element="no-cabinet-9", region="NO-0301"))
        async with session.post(
            follower.url + "/api/v1/alertmanager", json=body, headers=HOOK
        ) as r:
            assert r.status == 200, await r.text()
            [incident_id] = (await r.json())["incidents"]

        async def unknown_on_leader() -> Any:
            doc = await get(session, f"{leader.url}/api/v1/incidents/{incident_id}")
            return doc if doc["verdicts"].get("nkom") == "impact_unknown" else None

        await until(unknown_on_leader, "the leader to hold the incident as impact unknown")
        path = f"{follower.url}/api/v1/incidents/{incident_id}/impact-override"
        async with session.put(path, json=STATED, headers=BOSS) as r:
            assert r.status == 200, await r.text()
            assert (await r.json())["verdicts"]["nkom"] == "reportable"

        async def drafted() -> Any:
            found = await get(session, f"{leader.url}/api/v1/drafts?incident={incident_id}")
            kinds = {d["kind"] for d in found["drafts"]}
            return kinds if "nkom_varsel" in kinds else None

        await until(drafted, "the leader to draft Nkom's varsel")
        for b in pair:
            doc = await get(session, f"{b.url}/api/v1/incidents/{incident_id}")
            assert doc["verdicts"]["nkom"] == "reportable", b.url
            assert doc["impact_overridden"] is True and doc["impact"]["current"] == 5000
            assert doc["impact_override"]["reason"] == STATED["reason"]
    for b in pair:
        assert "Traceback" not in b.log.read_text()
