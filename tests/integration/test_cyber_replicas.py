"""The cybersecurity act's declaration on two real ``bridge serve`` replicas sharing one real
redis-server: a person declares an incident significant on the follower; the leader, which
never saw the request, learns it from the store and drafts the early warning; both replicas show
the declaration and the clocks it started."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bridge_process import BridgeProcess, replica_pair
from builders import WEBHOOK_TOKEN, alert, seed_user, webhook
from persons import sign_in
from polling import until
from redis_server import RedisServer
from smtp_server import SmtpServer

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
BOSS = {"Authorization": "Bearer replica-approver"}
TICK_MS = 1000
CYBER = {
    "regulators": {
        "pts": {"rule_set": "pts-outage", "recipient": "incidentrapport@pts.se"},
        "csirt": {"rule_set": "se-cyber"},
    }
}


@pytest.fixture
def pair(tmp_path: Path, redis: RedisServer, smtp: SmtpServer) -> Iterator[list[BridgeProcess]]:
    with replica_pair(
        tmp_path, redis.url(), smtp.smtp_config(), TICK_MS, 2 * TICK_MS, CYBER
    ) as bridges:
        yield bridges


async def get(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url, headers=BOSS) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def test_a_declaration_on_the_follower_is_drafted_by_the_leader(
    pair: list[BridgeProcess], redis: RedisServer
) -> None:
    await asyncio.to_thread(seed_user, redis.url(), "anna", ["approver"])
    for b in pair:
        b.start()
    for b in pair:
        await b.wait_ready()
    async with aiohttp.ClientSession() as session:
        states = [await get(session, b.url + "/readyz") for b in pair]
        follower = next(b for b, s in zip(pair, states, strict=True) if not s["leader"])
        leader = next(b for b in pair if b is not follower)
        start = datetime.now(UTC) - timedelta(minutes=3)
        body = webhook(alert("fp-sjukhus", start, element="se-cell-ostersund-sjukhus"))
        async with session.post(
            follower.url + "/api/v1/alertmanager", json=body, headers=HOOK
        ) as r:
            assert r.status == 200, await r.text()
            [incident_id] = (await r.json())["incidents"]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as person:
            headers = await sign_in(person, "anna", base=follower.url)
            async with person.post(
                f"{follower.url}/api/v1/incidents/{incident_id}/declaration",
                json={"significant": True},
                headers=headers,
            ) as r:
                assert r.status == 200, await r.text()
                aware = (await r.json())["declaration"]["aware_at"]

        async def drafted() -> Any:
            found = await get(session, f"{leader.url}/api/v1/drafts?incident={incident_id}")
            kinds = {d["kind"] for d in found["drafts"]}
            return kinds if "se_cyber_early_warning" in kinds else None

        await until(drafted, "the leader to draft the early warning")
        for b in pair:
            doc = await get(session, f"{b.url}/api/v1/incidents/{incident_id}")
            assert doc["declaration"]["aware_at"] == aware
            owed = {o["kind"]: o for o in doc["obligations"] if o["regulator"] == "csirt"}
            due = datetime.fromisoformat(owed["se_cyber_early_warning"]["due_at"])
            assert due == datetime.fromisoformat(aware) + timedelta(hours=24)
    for b in pair:
        assert "Traceback" not in b.log.read_text()
