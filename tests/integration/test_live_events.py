"""The console's live stream (GET /api/v1/events) through the app factory: authenticated like
the API, a webhook makes a "changed" event naming the incident at once, a change that no request
of this process made is found by the periodic comparison, and shutdown ends open streams."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from bridge_process import BridgeProcess
from builders import API_TOKEN, WEBHOOK_TOKEN, alert, webhook
from fakes import FakeClock
from polling import until

from bridge.web import live
from bridge.web.keys import FEED, SERVICE

API = {"Authorization": f"Bearer {API_TOKEN}"}
HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}


async def next_event(response: ClientResponse) -> dict[str, Any]:
    """The next 'changed' event's data (comments and hints skipped), within 10 s."""

    async def read() -> dict[str, Any]:
        event = ""
        while True:
            line = (await response.content.readline()).decode()
            assert line, "stream ended"
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "changed":
                return dict(json.loads(line.split(":", 1)[1]))

    return await asyncio.wait_for(read(), 10)


async def open_stream(client: TestClient[Any, Any]) -> ClientResponse:
    response = await client.get("/api/v1/events", headers=API)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/event-stream"
    assert (await response.content.readline()).decode() == "retry: 3000\n"
    return response


async def test_events_need_credentials(client: TestClient[Any, Any]) -> None:
    """Without a session or API token the stream is refused like the API."""
    response = await client.get("/api/v1/events")
    assert response.status == 401


async def test_webhook_announces_its_incident(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """A webhook accepted by this process is announced at once with the incident's id."""
    feed = client.app[FEED]
    feed.interval = 3600  # only the webhook's poke can make this event
    await feed.check()  # the baseline snapshot
    stream = await open_stream(client)
    r = await client.post(
        "/api/v1/alertmanager",
        json=webhook(alert("fp1", clock.now(), element="se-olt-ostersund-1")),
        headers=HOOK,
    )
    incident_id = (await r.json())["incidents"][0]
    event = await next_event(stream)
    assert incident_id in event["incidents"]
    assert event["seq"] == 1


async def test_periodic_comparison_finds_changes_made_elsewhere(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """A change no request of this process made (here: straight into the service, as the
    timer or another writer would) is announced by the periodic comparison."""
    feed = client.app[FEED]
    feed.interval = 0.05
    stream = await open_stream(client)
    await feed.check()
    result = await client.app[SERVICE].ingest(
        webhook(alert("fp2", clock.now(), element="se-olt-ostersund-1"))
    )
    event = await next_event(stream)
    assert event["incidents"] == result.incidents


async def test_shutdown_ends_open_streams(client: TestClient[Any, Any]) -> None:
    """Closing the feed (aiohttp on_shutdown) ends every open stream, so the server stops."""
    stream = await open_stream(client)
    await client.app[FEED].close()
    rest = await asyncio.wait_for(stream.content.read(), 10)
    assert b"changed" not in rest
    assert stream.content.at_eof()


def test_changes_name_added_changed_and_removed_ids() -> None:
    """The comparison names what appeared, changed or disappeared, and nothing else."""
    old = {"incident:a": "1", "incident:b": "1", "draft:a.x": "1"}
    new = {"incident:a": "1", "incident:c": "1", "draft:a.x": "2"}
    assert live.changes(old, new) == (["b", "c"], ["a.x"])
    assert live.changes(new, new) == ([], [])


def test_each_subscriber_sees_only_the_ids_of_its_tracks() -> None:
    """Privacy cases and their drafts reach privacy viewers only, incidents and outage drafts
    outage viewers only; an event with nothing left for a subscriber is not sent to it."""
    old = {"incident:a": "1", "draft:a.x": "1", "privacy:priv-1": "1"}
    new = {"incident:a": "2", "draft:a.x": "2", "draft:priv-1.y": "1", "privacy:priv-1": "2"}
    assert live.privacy_changes(old, new) == ["priv-1"]
    assert live.privacy_changes(new, new) == []
    incidents, drafts = live.changes(old, new)
    event = {"seq": 7, "incidents": incidents, "drafts": drafts, "privacy": ["priv-1"]}
    is_case = lambda case: case.startswith("priv-")  # noqa: E731
    assert live.trim(event, True, False, is_case) == {
        "seq": 7,
        "incidents": ["a"],
        "drafts": ["a.x"],
        "privacy": [],
    }
    assert live.trim(event, False, True, is_case) == {
        "seq": 7,
        "incidents": [],
        "drafts": ["priv-1.y"],
        "privacy": ["priv-1"],
    }
    assert live.trim(event, True, True, is_case) == event
    outage_only = {"seq": 8, "incidents": ["a"], "drafts": ["a.x"], "privacy": []}
    assert live.trim(outage_only, False, True, is_case) is None


def test_bridge_serve_stops_promptly_with_a_stream_open(
    bridge_process: Callable[..., BridgeProcess],
) -> None:
    """SIGTERM to ``bridge serve`` while a browser holds the event stream: the stream ends and
    the process exits within seconds (aiohttp would otherwise wait for the handler)."""
    bridge = bridge_process()
    bridge.start()
    try:
        asyncio.run(bridge.wait_ready())
        request = urllib.request.Request(bridge.url + "/api/v1/events", headers=API)
        with urllib.request.urlopen(request, timeout=30) as stream:
            assert stream.readline() == b"retry: 3000\n"
            assert bridge.proc is not None
            began = time.monotonic()
            bridge.proc.send_signal(signal.SIGTERM)
            bridge.proc.wait(30)
            assert time.monotonic() - began < 5, bridge.log.read_text()[-2000:]
            assert b"changed" not in stream.read()  # ended, not cut off mid-event
        assert bridge.proc.returncode == 0
    finally:
        bridge.stop()


async def test_nothing_is_compared_while_nobody_watches() -> None:
    """Without subscribers the feed takes no snapshot, even when poked: a poke does not even
    wake it (no cost when no console is open, however many webhooks come)."""
    calls: list[int] = []

    async def snapshot() -> live.Snapshot:
        calls.append(1)
        return {}

    feed = live.LiveFeed(snapshot, interval=3600)
    task = asyncio.create_task(feed.run())
    try:
        for n in range(3):
            feed.poke()
            assert not feed._wake.is_set()
            # the loop clears its wake-up event, then decides without awaiting: once it is
            # clear, this poke's round has run (white-box: LiveFeed counts no rounds)
            await until(lambda: not feed._wake.is_set(), f"round {n + 1} of the feed", 10, every=0)
        assert calls == []
        assert await feed.check() is None  # a direct check does compare
        assert calls == [1]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_pokes_during_a_storm_are_one_comparison_per_gap() -> None:
    """With someone watching, a poke compares at once; pokes within ``min_gap`` after it wait
    for the gap's end (every webhook of a storm pokes; each comparison reads everything)."""
    calls: list[int] = []

    async def snapshot() -> live.Snapshot:
        calls.append(1)
        return {}

    feed = live.LiveFeed(snapshot, interval=3600, min_gap=3600)
    feed._subscribers.add(asyncio.Queue())  # white-box: someone watches
    task = asyncio.create_task(feed.run())
    try:
        feed.poke()
        await until(lambda: calls == [1], "the first poke's comparison", 10, every=0)
        for _ in range(5):
            feed.poke()
        for _ in range(20):  # turns of the loop, not time: the feed sits in its gap
            await asyncio.sleep(0)
        assert feed._wake.is_set() and calls == [1]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
