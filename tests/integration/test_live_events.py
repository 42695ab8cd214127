"""The console's live stream (GET /api/v1/events) through the app factory: authenticated like
the API, a webhook makes a "changed" event naming the incident at once, a change that no request
of this process made is found by the periodic comparison, and shutdown ends open streams. What
waits for one stream is bounded (a "resync" replaces an overflow; a client that stops reading is
dropped), and rechecks coalesce: one ``alive`` per wake, however many came."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import time
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer
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
    feed._subscribers.add(live._Subscriber(1))  # white-box: someone watches
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


class Changing:
    """A snapshot in which each of ``size`` incidents changes at every call: every comparison
    after the first publishes an event naming them all (``size`` sets the event's bytes)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.calls = 0

    async def __call__(self) -> live.Snapshot:
        self.calls += 1
        return {f"incident:{i}": str(self.calls) for i in range(self.size)}


def events_app(
    feed: live.LiveFeed, alive: Any = None, sndbuf: int | None = None
) -> web.Application:
    """A bare app serving ``feed`` at /e (``sndbuf``: the server socket's send buffer)."""

    async def events(request: web.Request) -> web.StreamResponse:
        if sndbuf is not None:
            sock = request.transport.get_extra_info("socket") if request.transport else None
            assert sock is not None
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        return await feed.stream(request, None, alive)

    app = web.Application()
    app.router.add_get("/e", events)
    app.on_shutdown.append(feed.close)
    return app


async def stalled_client(server: TestServer, feed: live.LiveFeed) -> socket.socket:
    """A real client with a small receive buffer that asks for the stream, then never reads;
    returned once the feed has it as a subscriber."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (str(server.host), int(server.port or 0)))
    await loop.sock_sendall(sock, b"GET /e HTTP/1.1\r\nHost: bridge\r\n\r\n")
    await until(lambda: len(feed._subscribers) == 1, "the stalled client's subscription", 10)
    return sock


async def next_sse(response: ClientResponse) -> tuple[str, dict[str, Any]]:
    """The next event's (type, data), comments skipped, within 10 s."""

    async def read() -> tuple[str, dict[str, Any]]:
        event = ""
        while True:
            line = (await response.content.readline()).decode()
            assert line, "stream ended"
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                return event, dict(json.loads(line.split(":", 1)[1]))

    return await asyncio.wait_for(read(), 10)


async def test_a_stalled_stream_keeps_a_bounded_backlog(aiohttp_server: Any) -> None:
    """A client that stops reading while webhooks storm (a recheck per request, an event per
    comparison) holds at most ``max_pending`` events, then one resync owed, nothing more."""
    feed = live.LiveFeed(Changing(2000), interval=3600, heartbeat=3600, max_pending=8)
    server = await aiohttp_server(events_app(feed, sndbuf=4096))
    sock = await stalled_client(server, feed)
    try:
        for _ in range(100):  # ~1.2 MB of events: far more than the socket buffers take
            for _ in range(100):
                feed.recheck()
            await feed.check()
            assert feed.backlog() <= 8
            await asyncio.sleep(0)  # a turn of the loop: the stream writes what it can
        assert feed.stalled == 0  # its write waits (write_timeout: 10 s)
        assert feed.resyncs == 1
    finally:
        sock.close()


async def test_a_stream_whose_client_stops_reading_is_dropped(aiohttp_server: Any) -> None:
    """A write the client does not take within ``write_timeout`` ends the stream: the
    connection is closed, the subscriber removed and counted."""
    feed = live.LiveFeed(Changing(2000), interval=3600, heartbeat=3600, write_timeout=0.05)
    server = await aiohttp_server(events_app(feed, sndbuf=4096))
    sock = await stalled_client(server, feed)
    loop = asyncio.get_running_loop()
    try:
        for _ in range(300):
            if feed.stalled:
                break
            await feed.check()
            await asyncio.sleep(0)  # a turn of the loop: the stream writes what it can
        await until(lambda: feed.stalled == 1, "the stalled stream's end", 10, every=0.01)
        assert not feed._subscribers

        async def to_the_end() -> None:  # reading now drains what was sent, then the close
            with contextlib.suppress(ConnectionResetError):
                while await loop.sock_recv(sock, 65536):
                    pass

        await asyncio.wait_for(to_the_end(), 10)
    finally:
        sock.close()


async def test_a_healthy_stream_gets_its_events_and_a_resync_after_an_overflow(
    aiohttp_client: Any,
) -> None:
    """A reading client gets every event; when more came at once than ``max_pending`` it gets
    one "resync" (the page refetches everything) instead, and events again after it."""
    feed = live.LiveFeed(Changing(3), interval=3600, heartbeat=3600, max_pending=4)
    client = await aiohttp_client(events_app(feed))
    stream = await client.get("/e")
    assert (await stream.content.readline()).decode() == "retry: 3000\n"
    for _ in range(2):
        await feed.check()
    assert await next_sse(stream) == (
        "changed",
        {"seq": 1, "incidents": ["0", "1", "2"], "drafts": [], "privacy": []},
    )
    assert (await next_sse(stream))[1]["seq"] == 2
    for _ in range(10):  # no turn of the loop between them: the stream cannot keep up
        await feed.check()
    assert feed.resyncs == 1
    assert await next_sse(stream) == ("resync", {"seq": 12})
    await feed.check()
    assert await next_sse(stream) == (
        "changed",
        {"seq": 13, "incidents": ["0", "1", "2"], "drafts": [], "privacy": []},
    )
    stream.close()


async def test_rechecks_coalesce_into_one_alive_per_wake(aiohttp_client: Any) -> None:
    """However many rechecks come before a stream wakes, it asks ``alive`` once."""
    asked: list[int] = []

    async def alive() -> bool:
        asked.append(1)
        return True

    feed = live.LiveFeed(Changing(1), interval=3600, heartbeat=3600)
    client = await aiohttp_client(events_app(feed, alive))
    stream = await client.get("/e")
    assert (await stream.content.readuntil(b"\n\n")).startswith(b"retry: 3000\n")
    for _ in range(1000):
        feed.recheck()
    assert await stream.content.readuntil(b"\n\n") == b": keep-alive\n\n"
    await feed.check()  # after every recheck: its event is written once they are all handled
    assert (await next_sse(stream))[0] == "changed"
    assert len(asked) == 2  # the rechecks' wake, the event's
    stream.close()


async def test_a_closed_incident_that_still_owes_is_compared_too(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """An incident closed while it still owes Nkom (its varsel unsent, the normalised notice
    opened by the close) stays on the queue, so a change of its obligations is announced: its
    varsel passing its deadline unsent (drafted → overdue) names it, with nothing else of it
    changed. Once the varsel's deadline is past, nothing more changes, and nothing is named."""
    service = client.app[SERVICE]
    firing = alert(
        "fp-ullevaal",
        clock.now() - timedelta(minutes=5),
        element="no-cell-ullevaal",
        severity="major",
    )
    incident_id = (await service.ingest(webhook(firing))).incidents[0]
    resolved = {**firing, "status": "resolved", "endsAt": clock.now().isoformat()}
    await service.ingest(webhook(resolved))
    clock.advance(timedelta(minutes=31))  # the quiet period: normalised and closed
    await service.tick()
    document = service.get_incident(incident_id)
    assert document is not None and document["state"] == "closed"
    owed = {o["kind"]: o for o in document["obligations"]}
    assert owed["nkom_varsel"]["state"] == "drafted", owed
    due = datetime.fromisoformat(owed["nkom_varsel"]["due_at"])
    before = await live.service_snapshot(service)
    clock.set(due + timedelta(minutes=1))
    await service.tick()
    assert {o["kind"]: o["state"] for o in service.get_incident(incident_id)["obligations"]}[
        "nkom_varsel"
    ] == "overdue"
    after = await live.service_snapshot(service)
    incidents, drafts = live.changes(before, after)
    assert incidents == [incident_id] and drafts == []
    clock.advance(timedelta(minutes=1))
    await service.tick()
    assert live.changes(after, await live.service_snapshot(service)) == ([], [])
