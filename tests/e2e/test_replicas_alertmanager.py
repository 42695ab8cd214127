"""End to end with real processes only: Alertmanager (Debian), redis-server, ``bridge serve``.

- Two Alertmanagers clustered over loopback gossip, each delivering to its own bridge replica on
  one Redis: one incident, one draft, one e-mail (an approval on either replica).
- Redis stopped under a running bridge: the webhook answers 503 (so Alertmanager retries),
  ``/readyz`` fails; Redis restarted from its AOF: the retried alerts are stored, what was there
  before still is, and the bridge leads again.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bridge_process import BridgeProcess, replica
from builders import WEBHOOK_TOKEN, seed_user
from persons import sign_in
from polling import until
from redis_server import RedisServer
from smtp_server import SmtpServer

from bridge.store.redis import RedisStore

try:
    from .alertmanager import AlertmanagerProcess, require_alertmanager
except ImportError:
    from alertmanager import AlertmanagerProcess, require_alertmanager  # type: ignore[no-redef]

pytestmark = pytest.mark.e2e
BOSS = {"Authorization": "Bearer replica-approver"}


def replica_of(tmp_path: Path, name: str, redis: RedisServer, smtp: SmtpServer) -> BridgeProcess:
    """Evaluation every second, a 2 s lease; Redis timeouts short so a stopped Redis shows."""
    store = redis.url(socket_timeout=1, socket_connect_timeout=1)
    return replica(tmp_path, name, store, smtp.smtp_config(), 1000, 2000)


async def wait(check: Any, what: str, seconds: float = 30) -> Any:
    return await until(check, what, seconds, every=0.1)


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with session.get(url, headers=BOSS) as r:
        return r.status, await r.json()


def down_alert(element: str = "no-cell-ullevaal") -> dict[str, Any]:
    """As Prometheus sends it to every Alertmanager of the pair: major, started 5 min ago."""
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": "CellDown", "element": element, "severity": "major"},
        "annotations": {"summary": "Cell down"},
        "startsAt": now - timedelta(minutes=5),
        "endsAt": now + timedelta(hours=6),
    }


async def webhooks_ok(session: aiohttp.ClientSession, bridge: BridgeProcess) -> float:
    async with session.get(bridge.url + "/metrics") as r:
        text = await r.text()
    for line in text.splitlines():
        if line.startswith('bridge_webhook_requests_total{code="200"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_clustered_alertmanagers_to_two_replicas_make_one_incident_draft_and_email(
    tmp_path: Path, redis: RedisServer, smtp: SmtpServer
) -> None:
    """A clustered Alertmanager pair delivering to two replicas makes one incident, one draft and,
    once approved, one e-mail."""
    require_alertmanager()
    bridges = [replica_of(tmp_path, name, redis, smtp) for name in ("a", "b")]
    await asyncio.to_thread(seed_user, redis.url(), "olga", ["approver"])  # approves
    for b in bridges:
        b.start()
    try:
        for b in bridges:
            await b.wait_ready()
        hook = "/api/v1/alertmanager"
        am1 = AlertmanagerProcess(
            bridges[0].url + hook, bearer_token=WEBHOOK_TOKEN, cluster_listen=True
        )
        am1.start()
        await am1.wait_ready()
        assert am1.cluster_address is not None
        am2 = AlertmanagerProcess(
            bridges[1].url + hook, bearer_token=WEBHOOK_TOKEN, peers=[am1.cluster_address]
        )
        am2.start()
        try:
            await am2.wait_ready()
            for am in (am1, am2):  # Prometheus sends every alert to every Alertmanager
                await am.post_alerts([down_alert()])
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:

                async def one_draft() -> list[dict[str, Any]]:
                    _, body = await get(session, bridges[1].url + "/api/v1/drafts")
                    found: list[dict[str, Any]] = body["drafts"]
                    return found

                [draft] = await wait(one_draft, "the Nkom draft")
                assert draft["regulator"] == "nkom"
                delivered = [await webhooks_ok(session, b) for b in bridges]
                assert sum(delivered) >= 1
                url = f"{bridges[0].url}/api/v1/drafts/{draft['id']}"
                _, detail = await get(session, url)
                person = await sign_in(session, "olga", base=bridges[0].url)
                async with session.post(
                    url + "/approve",
                    json={
                        "version": detail["latest"]["number"],
                        "send_unknown": detail["to_complete"],
                    },
                    headers=person,
                ) as r:
                    assert r.status == 200, await r.text()

                async def sent() -> bool:
                    return bool((await get(session, url))[1]["state"] == "sent")

                await wait(sent, "the e-mail")
                # TODO(hook): nothing tells when the second Alertmanager of the cluster has
                # decided (after its peer_timeout) not to deliver again; with such a signal,
                # wait for it instead of a window long enough for a late duplicate delivery
                await asyncio.sleep(2)  # both Alertmanagers re-notify at group_interval (1s)
                for b in bridges:
                    _, body = await get(session, b.url + "/api/v1/incidents?state=all")
                    assert len(body["incidents"]) == 1, body
                    _, body = await get(session, b.url + "/api/v1/drafts")
                    assert [d["id"] for d in body["drafts"]] == [draft["id"]]
        finally:
            am2.stop()
            am1.stop()
    finally:
        for b in bridges:
            b.stop()
    assert len(smtp.mailbox.received) == 1
    assert smtp.mailbox.received[0].rcpt_tos == ["ekomvarsling@nkom.no"]


async def test_redis_down_means_503_and_not_ready_then_retried_alerts_are_stored(
    tmp_path: Path, redis: RedisServer, smtp: SmtpServer
) -> None:
    """With Redis down the bridge answers 503 and /readyz fails; once Redis is back it leads again
    and Alertmanager's retried alert is stored, with the incident from before kept."""
    require_alertmanager()
    bridge = replica_of(tmp_path, "solo", redis, smtp)
    bridge.start()
    try:
        await bridge.wait_ready()
        async with (
            AlertmanagerProcess(
                bridge.url + "/api/v1/alertmanager", bearer_token=WEBHOOK_TOKEN
            ) as am,
            aiohttp.ClientSession() as session,
        ):
            await am.post_alerts([down_alert("no-cell-ullevaal")])

            async def incidents() -> list[dict[str, Any]]:
                _, body = await get(session, bridge.url + "/api/v1/incidents?state=all")
                found: list[dict[str, Any]] = body["incidents"]
                return found

            [before] = await wait(incidents, "the first incident")

            redis.stop()

            async def not_ready() -> bool:
                async with session.get(bridge.url + "/readyz") as r:
                    return r.status == 503

            await wait(not_ready, "/readyz to fail")
            # a new alert while Redis is down: Alertmanager gets 503 and keeps retrying
            await am.post_alerts([down_alert("se-olt-ostersund-1")])

            async def refused() -> bool:
                async with session.get(bridge.url + "/metrics") as r:
                    text = await r.text()
                return any(
                    line.startswith('bridge_webhook_requests_total{code="503"}')
                    and float(line.rsplit(" ", 1)[1]) >= 1
                    for line in text.splitlines()
                )

            await wait(refused, "a 503 answer to Alertmanager")

            redis.start()  # same port and folder: the AOF is replayed

            async def ready_and_leading() -> bool:
                async with session.get(bridge.url + "/readyz", headers=bridge.auth) as r:
                    return r.status == 200 and bool((await r.json())["leader"])

            await wait(ready_and_leading, "/readyz and the lease again")
            after = await wait(lambda: _two(incidents), "the retried alert's incident", seconds=40)
            assert before["id"] in {i["id"] for i in after}
    finally:
        bridge.stop()
    store = RedisStore(redis.url())
    await store.open()
    try:
        elements = {ep.labels.get("element") for ep in await store.load_episodes()}
        stored_incidents = {r.id for r in await store.load_incidents()}
    finally:
        await store.close()
    assert elements == {"no-cell-ullevaal", "se-olt-ostersund-1"}
    assert before["id"] in stored_incidents and len(stored_incidents) == 2
    assert "Traceback" not in bridge.log.read_text()


async def _two(source: Any) -> list[dict[str, Any]] | None:
    found: list[dict[str, Any]] = await source()
    return found if len(found) == 2 else None
