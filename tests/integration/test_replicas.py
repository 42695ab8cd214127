"""Two real ``bridge serve`` replicas on one real redis-server (AOF, appendfsync always).

- Exactly one leads (``/readyz`` and ``bridge_leader`` say which); alerts acknowledged by either
  replica are evaluated by the leader; duplicate deliveries to both make one incident and one
  draft; an approval made on the follower is e-mailed once, by the leader.
- ``kill -9`` of the leader during an alert storm: every alert either replica acknowledged is in
  the store, and the follower leads within two evaluation ticks.
- A leader paused with SIGSTOP past its lease: the other takes over; once resumed, the old leader
  steps down and drafts nothing twice.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bridge_process import OUTBOX_ROUNDS, BridgeProcess, replica_pair
from builders import WEBHOOK_TOKEN, alert, seed_user, webhook
from persons import sign_in
from polling import until
from redis_server import RedisServer
from smtp_server import SmtpServer

from bridge.store.redis import RedisStore

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
BOSS = {"Authorization": "Bearer replica-approver"}
TICK = 2.0  # evaluation.interval (and so the lease's time to live) in these tests, seconds


@pytest.fixture
def pair(tmp_path: Path, redis: RedisServer, smtp: SmtpServer) -> Iterator[list[BridgeProcess]]:
    tick = int(TICK * 1000)
    with replica_pair(tmp_path, redis.url(), smtp.smtp_config(), tick, tick) as bridges:
        yield bridges  # a test may leave one stopped: replica_pair continues it


async def readyz(session: aiohttp.ClientSession, bridge: BridgeProcess) -> dict[str, Any]:
    """The replica's readiness, its leadership included (told to a credential's holder)."""
    async with session.get(bridge.url + "/readyz", headers=bridge.auth) as r:
        assert r.status == 200, await r.text()
        body: dict[str, Any] = await r.json()
        return body


async def leader_of(
    session: aiohttp.ClientSession, bridges: list[BridgeProcess]
) -> tuple[BridgeProcess, BridgeProcess]:
    states = [await readyz(session, b) for b in bridges]
    leading = [b for b, s in zip(bridges, states, strict=True) if s["leader"]]
    assert len(leading) == 1, states
    name = states[bridges.index(leading[0])]["replica"]
    assert all(s["leader_replica"] == name for s in states), states
    follower = next(b for b in bridges if b is not leading[0])
    return leading[0], follower


async def post(session: aiohttp.ClientSession, bridge: BridgeProcess, body: Any) -> int:
    async with session.post(bridge.url + "/api/v1/alertmanager", json=body, headers=HOOK) as r:
        return r.status


async def drafts(session: aiohttp.ClientSession, bridge: BridgeProcess) -> list[dict[str, Any]]:
    async with session.get(bridge.url + "/api/v1/drafts", headers=BOSS) as r:
        assert r.status == 200, await r.text()
        found: list[dict[str, Any]] = (await r.json())["drafts"]
        return found


def reportable_alert(fingerprint: str = "fp-1") -> dict[str, Any]:
    """A major alert on a Norwegian cell: Nkom's varsel is owed at once."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    return alert(fingerprint, start, element="no-cell-ullevaal", severity="major")


async def metric(session: aiohttp.ClientSession, bridge: BridgeProcess, name: str) -> str:
    async with session.get(bridge.url + "/metrics") as r:
        text = await r.text()
    return "\n".join(line for line in text.splitlines() if line.startswith(name))


async def test_one_leads_the_follower_ingests_and_an_approval_on_it_is_sent_once(
    pair: list[BridgeProcess], smtp: SmtpServer, redis: RedisServer
) -> None:
    """Exactly one replica leads; a webhook acknowledged by the follower is drafted by the leader,
    duplicate deliveries to both make one incident and one draft, and an approval on the follower is
    e-mailed once."""
    await asyncio.to_thread(
        seed_user, redis.url(), "olga", ["approver"]
    )  # the person who approves, in the shared store
    for b in pair:
        b.start()
    for b in pair:
        await b.wait_ready()
    async with aiohttp.ClientSession() as session:
        leader, follower = await leader_of(session, pair)
        leader_name = (await readyz(session, leader))["replica"]
        follower_name = (await readyz(session, follower))["replica"]
        assert f'bridge_leader{{replica="{leader_name}"}} 1.0' in await metric(
            session, leader, "bridge_leader"
        )
        assert f'bridge_leader{{replica="{follower_name}"}} 0.0' in await metric(
            session, follower, "bridge_leader"
        )
        # the one store's record counts come from the leader only (sums count it once)
        counts = await until(
            lambda: metric(session, leader, "bridge_store_records"), "the leader's record counts"
        )
        assert 'bridge_store_records{kind="audit"}' in counts
        assert await metric(session, follower, "bridge_store_records") == ""

        # the follower acknowledges; the leader (which never saw the webhook) drafts
        body = webhook(reportable_alert())
        assert await post(session, follower, body) == 200
        found = await until(lambda: drafts(session, follower), "a draft made by the leader")
        # the same group delivered to both replicas (an HA Alertmanager pair does that)
        assert await post(session, leader, body) == 200
        assert await post(session, follower, body) == 200
        # a read syncs first (catch_up): the leader, read first, has then evaluated and drafted
        # what either replica acknowledged; the follower then reads the leader's drafts
        for b in (leader, follower):
            seen = await drafts(session, b)
            assert [d["id"] for d in seen] == [d["id"] for d in found], seen
            async with session.get(b.url + "/api/v1/incidents", headers=BOSS) as r:
                incidents = (await r.json())["incidents"]
            assert len(incidents) == 1, incidents
        [draft] = found
        assert draft["regulator"] == "nkom"

        # a person approves on the follower; the leader's outbox sends it, once
        url = f"{follower.url}/api/v1/drafts/{draft['id']}"
        async with session.get(url, headers=BOSS) as r:
            detail = await r.json()
        body = {"version": detail["latest"]["number"], "send_unknown": detail["to_complete"]}
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as person:
            approver = await sign_in(person, "olga", base=follower.url)
            async with person.post(url + "/approve", json=body, headers=approver) as r:
                assert r.status == 200, await r.text()

        async def sent() -> bool:
            async with session.get(url, headers=BOSS) as r:
                return bool((await r.json())["state"] == "sent")

        await until(sent, "the leader to send the approved notice")
        # five more outbox rounds on the leader; the follower runs none at all
        leader, follower = await leader_of(session, pair)
        await leader.grows_by(OUTBOX_ROUNDS, 5, "outbox rounds")
        assert await follower.metric(OUTBOX_ROUNDS) == 0
    assert len(smtp.mailbox.received) == 1
    for b in pair:
        assert "Traceback" not in b.log.read_text()


async def test_kill9_of_the_leader_in_a_storm_loses_no_acknowledged_alert(
    pair: list[BridgeProcess], redis: RedisServer
) -> None:
    """kill -9 of the leader during an alert storm loses no acknowledged alert, and the follower
    leads within two evaluation ticks."""
    for b in pair:
        b.start()
    for b in pair:
        await b.wait_ready()
    acknowledged: set[str] = set()
    start = datetime.now(UTC) - timedelta(minutes=1)
    async with aiohttp.ClientSession() as session:
        leader, follower = await leader_of(session, pair)
        follower_name = (await readyz(session, follower))["replica"]

        async def storm(target: BridgeProcess, tag: str) -> None:
            for n in range(60):
                fps = [f"{tag}-{n}-{i}" for i in range(20)]
                body = webhook(
                    *(alert(fp, start, element="se-olt-1", severity="minor") for fp in fps),
                    group_key=f"{tag}-{n}",
                )
                try:
                    status = await post(session, target, body)
                except aiohttp.ClientError:
                    continue  # the connection died with the process: not acknowledged
                if status == 200:
                    acknowledged.update(fps)

        async def killer() -> float:
            await asyncio.sleep(0.3)
            leader.kill9()
            return time.monotonic()

        results = await asyncio.gather(storm(leader, "L"), storm(follower, "F"), killer())
        killed_at = results[2]

        async def follower_leads() -> bool:
            return bool((await readyz(session, follower))["leader"])

        await until(follower_leads, "the follower to take over", seconds=4 * TICK)
        took = time.monotonic() - killed_at
        state = await readyz(session, follower)
        assert state["leader_replica"] == follower_name
    print(f"failover took {took:.2f}s (tick {TICK}s)")
    assert took <= 2 * TICK, f"failover took {took:.2f}s, more than two ticks of {TICK}s"
    assert any(fp.startswith("L-") for fp in acknowledged)  # the storm did reach the leader
    store = RedisStore(redis.url())
    await store.open()
    try:
        stored = {ep.fingerprint for ep in await store.load_episodes()}
    finally:
        await store.close()
    missing = acknowledged - stored
    assert not missing, f"{len(missing)} acknowledged alerts are not in the store"


async def test_a_paused_leader_loses_the_lease_and_steps_down_when_resumed(
    pair: list[BridgeProcess], smtp: SmtpServer
) -> None:
    """A leader paused past its lease loses it to the other replica; once resumed it steps down,
    nothing is drafted twice and nothing is e-mailed."""
    for b in pair:
        b.start()
    for b in pair:
        await b.wait_ready()
    async with aiohttp.ClientSession() as session:
        leader, follower = await leader_of(session, pair)
        assert leader.proc is not None
        leader.proc.send_signal(signal.SIGSTOP)

        async def follower_leads() -> bool:
            return bool((await readyz(session, follower))["leader"])

        await until(follower_leads, "the follower to take over", seconds=4 * TICK)
        assert await post(session, follower, webhook(reportable_alert("fp-paused"))) == 200
        [draft] = await until(lambda: drafts(session, follower), "the new leader's draft")

        leader.proc.send_signal(signal.SIGCONT)

        async def old_leader_follows() -> bool:
            state = await readyz(session, leader)
            return (
                not state["leader"]
                and state["leader_replica"] == (await readyz(session, follower))["replica"]
            )

        await until(old_leader_follows, "the resumed leader to step down", seconds=4 * TICK)
        await leader.ticks_after(1, 4 * TICK)  # a tick of the resumed replica: no new draft
        for b in pair:
            assert [d["id"] for d in await drafts(session, b)] == [draft["id"]]
    log = leader.log.read_text()
    assert re.search(r"lease taken by|lost the lease|not renewed", log), log[-2000:]
    assert smtp.mailbox.received == []


async def test_privacy_deadlines_are_exported_by_the_leader_only(
    tmp_path: Path, redis: RedisServer, smtp: SmtpServer
) -> None:
    """A privacy case opened through the follower: its deadlines reach the leader's /metrics
    (per regulator and kind), never the follower's, whose obligation states are not kept
    current (only the leader drafts), so PrivacyObligation* alerts come from one replica."""
    tick = int(TICK * 1000)
    privacy = {"privacy": {"alert_label": {"incident_type": "privacy"}}}
    name = "bridge_privacy_obligation_next_due_timestamp_seconds"
    with replica_pair(tmp_path, redis.url(), smtp.smtp_config(), tick, tick, privacy) as pair:
        for b in pair:
            b.start()
        for b in pair:
            await b.wait_ready()
        async with aiohttp.ClientSession() as session:
            leader, follower = await leader_of(session, pair)
            start = datetime.now(UTC) - timedelta(minutes=2)
            leak = alert("leak-1", start, incident_type="privacy", jurisdiction="SE")
            assert await post(session, follower, webhook(leak)) == 200
            due = await until(lambda: metric(session, leader, name), "the leader's deadlines")
            assert f'{name}{{kind="privacy_initial",regulator="pts"}}' in due
            assert 'bridge_privacy_cases{state="open"} 1.0' in await until(
                lambda: metric(session, follower, 'bridge_privacy_cases{state="open"} 1.0'),
                "the follower to read the case",
            )
            assert await metric(session, follower, name) == ""
