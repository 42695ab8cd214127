"""``python -m bench.console [--quick]``: what the NOC console's pages fetch during a storm, in
bytes and in the bridge's own time, the old way (every full document) against the new way
(summaries, alerts a page at a time), measured in the same run on the same bridge.

One real bridge (``create_app(load_config(…))`` on a SQLite store in a temp folder, a generated
inventory of 300+ sites), served on loopback in this process; a client with a viewer's API
token. It holds 300 open incidents (one site each, 5 alerts) and, for the second case, one more
with 10 000 alerts (one site; a storm's core incident). Each way is read REPS times; the
figures are medians. Server time is the handler's own time, JSON encoding included, taken by a
middleware around every request (the client is idle meanwhile: the requests go one at a time).

- **board, before**: the incident list (pages of 100, as the board read it) and every listed
  incident's full document (``GET /api/v1/incidents/{id}``, alert details included: the answer
  as it was before ``documents.answered`` left them out, obtained here by making ``answered``
  return the document whole for these reads).
- **board, after**: the list's summaries in one page of up to 1000: what the board reads now
  on load, on a (re)connect and on a ``resync``.
- **live change, before**: what an open board read on each ``changed`` event of the live
  stream (``GET /api/v1/events``) until the queue was patched too: the whole queue
  (``GET /api/v1/queue``) and the summaries of the incidents the event names
  (``GET /api/v1/incidents?state=open&ids=…``). (Before ``?ids=`` it read every open
  incident's summary as well: 0.62 MB, docs/performance.md.)
- **live change, after**: what the board reads now: the queue items of the cases the event
  names (``GET /api/v1/queue?cases=…``: its incidents, privacy cases and drafts' cases) and the
  same summaries. Each change is a real one: a webhook adds an alert to one of the open
  incidents, and the event the stream sends for it (read here as a browser would) names the
  ids.
- **incident page, before**: the incident's full document with its 10 000 alert details and its
  timeline with every alert (``GET …/timeline``, what the export still gives).
- **incident page, after**: the document without alert details (built without them), the
  grouped timeline the page reads (``GET …/timeline?view=grouped``: an event per minute and
  kind of element for the alerts, per minute for the impact), and the first page of 100
  alerts.

What both ways read alike is left out of the board's refresh and the incident page: the board's
whole queue on load (``GET /api/v1/queue``), and the incident page's assignees (an editor's
only).
Nothing here is a test; no test asserts these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from aiohttp import ClientResponse, ClientSession, web
from aiohttp.test_utils import TestServer

from bench.bodies import _labels, builders
from bench.inventory import SITE_SIZE, generate, write_csv
from bench.servers import MAX_BODY
from bridge.core import documents

OPEN = 300  # open incidents on the board
SMALL = 5  # alerts per open incident
LARGE = 10_000  # alerts of the storm's incident
PAGE = 100  # the incident page's first page of alerts
VIEWER = {"Authorization": "Bearer test-api-token-viewer"}
HOOK = {"Authorization": "Bearer test-webhook-token"}

Timed = dict[str, float]
Parts = dict[str, tuple[int, float]]  # request → (bytes, server s)


def _timer(spent: Timed) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def timed(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        t0 = time.perf_counter()
        try:
            return await handler(request)
        finally:
            spent[request.path_qs] = time.perf_counter() - t0

    return timed


@contextmanager
def whole_documents() -> Iterator[None]:
    """The old answer: the full document with every alert's details (built with them whatever
    the handler asks, and answered whole)."""
    kept_answered, kept_document = documents.answered, documents.document

    def with_details(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return kept_document(*args, **{**kwargs, "details": True})

    documents.answered = lambda doc: doc
    documents.document = with_details
    try:
        yield
    finally:
        documents.answered, documents.document = kept_answered, kept_document


class Client:
    def __init__(self, session: ClientSession, base: str, spent: Timed) -> None:
        self.session = session
        self.base = base
        self.spent = spent

    async def get(self, path: str) -> tuple[Any, int, float]:
        """The JSON answer, its size in bytes and the server's time on it (s)."""
        async with self.session.get(self.base + path, headers=VIEWER) as r:
            raw = await r.read()
            assert r.status == 200, (path, r.status, raw[:300])
            key = r.url.path_qs
        return (await _json(raw)), len(raw), self.spent.pop(key)


async def _json(raw: bytes) -> Any:
    return orjson.loads(raw)


async def _list(client: Client, limit: int) -> tuple[list[Any], int, float, int]:
    items: list[Any] = []
    size = 0
    spent = 0.0
    requests = 0
    cursor: str | None = None
    while True:
        path = f"/api/v1/incidents?state=open&limit={limit}" + (
            f"&cursor={cursor}" if cursor else ""
        )
        body, n, t = await client.get(path)
        items += body["incidents"]
        size += n
        spent += t
        requests += 1
        cursor = body.get("next")
        if cursor is None:
            return items, size, spent, requests


async def board_before(client: Client) -> tuple[int, float, int]:
    items, size, spent, requests = await _list(client, 100)
    with whole_documents():
        for item in items:
            _, n, t = await client.get(f"/api/v1/incidents/{item['id']}")
            size += n
            spent += t
            requests += 1
    return size, spent, requests


async def board_after(client: Client) -> tuple[int, float, int]:
    _, size, spent, requests = await _list(client, 1000)
    return size, spent, requests


async def live_before(client: Client, ids: list[str]) -> tuple[int, float, int, Parts]:
    parts: Parts = {}
    await _part(client, parts, "queue", "/api/v1/queue")
    body = await _part(client, parts, "list", f"/api/v1/incidents?state=open&ids={','.join(ids)}")
    assert sorted(i["id"] for i in body["incidents"]) == sorted(ids)
    return _sum(parts)


async def live_after(
    client: Client, ids: list[str], cases: list[str]
) -> tuple[int, float, int, Parts]:
    parts: Parts = {}
    mine = await _part(client, parts, "queue", f"/api/v1/queue?cases={','.join(cases)}")
    assert {i["case"] for i in mine["items"]} <= set(cases), (cases, mine)
    body = await _part(client, parts, "list", f"/api/v1/incidents?state=open&ids={','.join(ids)}")
    assert sorted(i["id"] for i in body["incidents"]) == sorted(ids)
    return _sum(parts)


async def _changed(stream: ClientResponse) -> tuple[list[str], list[str]]:
    """The incident ids of the next ``changed`` event of the live stream, and the cases it
    names as the board reads them (its incidents, privacy cases and drafts' cases)."""
    while True:
        block = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 30)
        lines = block.decode().splitlines()
        if "event: changed" in lines:
            data = next(line for line in lines if line.startswith("data: "))
            event = orjson.loads(data.removeprefix("data: "))
            drafts = [d.partition(".")[0] for d in event["drafts"]]
            cases = list(dict.fromkeys([*event["incidents"], *event["privacy"], *drafts]))
            return list(event["incidents"]), cases


async def live_changes(
    client: Client,
    incidents: list[str],
    started: datetime,
    sites: list[str],
    by_site: dict[str, list[str]],
    reps: int,
) -> tuple[dict[str, list[Any]], list[int]]:
    """Per rep: one webhook adds an alert to one open incident (the next site's); the stream's
    event for it names the ids; the board's reads of the old way and the new. Also how many
    incident ids each change named."""
    b = builders()
    runs: dict[str, list[Any]] = {"before": [], "after": []}
    named: list[int] = []
    async with client.session.get(client.base + "/api/v1/events", headers=VIEWER) as stream:
        await stream.content.readuntil(b"\n\n")  # the retry hint: subscribed
        for n in range(reps):
            members = by_site[sites[n]][1:]
            one = _alert(b, f"live{n:04d}", started, members[SMALL % len(members)], SMALL)
            assert await _post(client, b.webhook(one, group_key=f"live{n}")) == [incidents[n]]
            ids, cases = await _changed(stream)
            assert incidents[n] in ids, (incidents[n], ids)
            named.append(len(ids))
            runs["before"].append(await live_before(client, ids))
            runs["after"].append(await live_after(client, ids, cases))
    return runs, named


async def page_before(client: Client, incident: str) -> tuple[int, float, int, Parts]:
    parts: Parts = {}
    with whole_documents():
        doc = await _part(client, parts, "document", f"/api/v1/incidents/{incident}")
    assert len(doc["alert_details"]) == LARGE
    await _part(client, parts, "timeline", f"/api/v1/incidents/{incident}/timeline")
    return _sum(parts)


async def page_after(client: Client, incident: str) -> tuple[int, float, int, Parts]:
    parts: Parts = {}
    doc = await _part(client, parts, "document", f"/api/v1/incidents/{incident}")
    assert "alert_details" not in doc and doc["alert_counts"]["total"] == LARGE
    path = f"/api/v1/incidents/{incident}/timeline?view=grouped"
    story = await _part(client, parts, "timeline", path)
    grouped = [e for e in story["events"] if e["kind"] == "alert"]
    assert sum(e["count"] for e in grouped) == LARGE, "every alert is in a group"
    path = f"/api/v1/incidents/{incident}/alerts?limit={PAGE}"
    page = await _part(client, parts, "alerts", path)
    assert len(page["alerts"]) == PAGE and page["total"] == LARGE
    return _sum(parts)


async def _part(client: Client, parts: Parts, name: str, path: str) -> Any:
    body, size, spent = await client.get(path)
    parts[name] = (size, spent)
    return body


def _sum(parts: Parts) -> tuple[int, float, int, Parts]:
    size = sum(n for n, _ in parts.values())
    return size, sum(t for _, t in parts.values()), len(parts), parts


def _alert(b: Any, fp: str, start: datetime, element: str, n: int) -> dict[str, Any]:
    made: dict[str, Any] = b.alert(fp, start, **_labels(element), port=str(n))
    return made


async def _post(client: Client, body: dict[str, Any]) -> list[str]:
    async with client.session.post(
        client.base + "/api/v1/alertmanager", json=body, headers=HOOK
    ) as r:
        assert r.status == 200, await r.text()
        return list((await r.json())["incidents"])


async def _seed_open(
    client: Client, sites: list[str], by_site: dict[str, list[str]]
) -> tuple[list[str], datetime]:
    """The open incidents, one per site (in the order of ``sites``), and when they started."""
    b = builders()
    start = datetime.now(UTC) - timedelta(minutes=30)
    incidents: list[str] = []
    for s, site in enumerate(sites[:OPEN]):
        members = by_site[site][1:]
        alerts = [
            _alert(b, f"s{s:04d}a{n}", start, members[n % len(members)], n) for n in range(SMALL)
        ]
        (incident,) = await _post(client, b.webhook(*alerts, group_key=f"g{s}"))
        incidents.append(incident)
    return incidents, start


async def _seed_large(client: Client, site: str, members: list[str]) -> str:
    b = builders()
    start = datetime.now(UTC) - timedelta(minutes=20)
    ids: set[str] = set()
    for first in range(0, LARGE, 1000):
        alerts = [
            _alert(
                b, f"big{n:05d}", start + timedelta(seconds=n % 600), members[n % len(members)], n
            )
            for n in range(first, first + 1000)
        ]
        ids.update(await _post(client, b.webhook(*alerts, group_key="storm")))
    (incident,) = ids
    return incident


def _median(runs: list[tuple[Any, ...]]) -> dict[str, Any]:
    return {
        "bytes": int(statistics.median(r[0] for r in runs)),  # a live change's vary a little
        "server_ms": round(statistics.median(r[1] for r in runs) * 1000, 1),
        "requests": runs[0][2],
    }


async def _run(folder: Path, reps: int) -> dict[str, Any]:
    inventory = generate((OPEN + 2) * SITE_SIZE + 2)
    config = builders().write_config(
        folder,
        inventory=write_csv(inventory, folder / "inventory.csv"),
        extra={"server": {"listen": "127.0.0.1:0", "max_body_bytes": MAX_BODY}},
    )
    from bridge.config import load_config
    from bridge.web.app import create_app

    spent: Timed = {}
    app = create_app(load_config(config))
    app.middlewares.append(_timer(spent))  # innermost: the handler's own time
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as session:
            client = Client(session, str(server.make_url("")).rstrip("/"), spent)
            print(f"seeding {OPEN} open incidents of {SMALL} alerts …", file=sys.stderr)
            incidents, started = await _seed_open(client, inventory.sites, inventory.by_site)
            board: dict[str, list[Any]] = {"before": [], "after": []}
            for _ in range(reps):
                board["before"].append(await board_before(client))
                board["after"].append(await board_after(client))
            change, named = await live_changes(
                client, incidents, started, inventory.sites, inventory.by_site, reps
            )
            spent.clear()
            print(f"seeding one incident of {LARGE} alerts …", file=sys.stderr)
            site = inventory.sites[OPEN]
            large = await _seed_large(client, site, inventory.by_site[site][1:])
            page: dict[str, list[Any]] = {"before": [], "after": []}
            for _ in range(reps):
                page["before"].append(await page_before(client, large))
                page["after"].append(await page_after(client, large))
    finally:
        await server.close()
    out: dict[str, Any] = {"open_incidents": OPEN, "large_incident_alerts": LARGE, "reps": reps}
    out["ids_per_change"] = named
    for name, runs in (("board", board), ("live_change", change), ("incident_page", page)):
        out[name] = {way: _median(r) for way, r in runs.items()}
        if name != "board":
            for way, r in runs.items():
                out[name][way]["parts"] = {
                    part: {
                        "bytes": int(statistics.median(x[3][part][0] for x in r)),
                        "server_ms": round(statistics.median(x[3][part][1] for x in r) * 1000, 1),
                    }
                    for part in r[0][3]
                }
    return out


def run(reps: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bridge-console-") as tmp:
        return asyncio.run(_run(Path(tmp), reps))


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.console", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="one read of each way, not five")
    args = parser.parse_args(argv)
    res = run(1 if args.quick else 5)
    print(f"the console's fetches ({OPEN} open incidents; one incident of {LARGE} alerts)")
    head = f"{'':<36}{'requests':>9}{'bytes':>10}{'server ms':>11}"
    print(f"{head}{'bytes/before':>14}{'ms/before':>11}")
    rows = (
        ("board", "board refresh"),
        ("live_change", "board, each live change"),
        ("incident_page", "incident page, first load"),
    )
    for name, label in rows:
        before = res[name]["before"]
        for way in ("before", "after"):
            r = res[name][way]
            print(
                f"{label + ', ' + way:<36}{r['requests']:>9}{_mb(r['bytes']):>10}"
                f"{r['server_ms']:>11.1f}{r['bytes'] / before['bytes']:>13.1%}"
                f"{r['server_ms'] / before['server_ms']:>10.1%}"
            )
    for name, label in (("live_change", "live change"), ("incident_page", "incident page")):
        for way in ("before", "after"):
            parts = ", ".join(
                f"{k} {_mb(v['bytes'])} {v['server_ms']:.0f} ms"
                for k, v in res[name][way]["parts"].items()
            )
            print(f"  {label} {way}: {parts}")
    print(f"  incident ids named by each live change: {res['ids_per_change']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
