"""What a ``/metrics`` scrape costs the bridge at 10^3 and 10^4 open incidents.

The real bridge (``python -m bench.servers bridge --scrape-routes``, SQLite store, the 10 000
element inventory of the webhook benchmark, the shipped rule sets) is filled as the platform
team's audit did: webhooks of 20 alerts, each alert with an alertname and cluster of its own,
so each one opens an incident (started 0–40 minutes ago: some reportable, some on their way).
Then, for three routes of the same server, scraped as Prometheus scrapes (``Accept`` asking
for OpenMetrics, gzip accepted), back to back:

- ``baseline``: ``/bench/default-registry``, prometheus_client's own aiohttp handler over the
  process's default registry (process and GC collectors, a few dozen series): the floor of any
  scrape of a Python process;
- ``inline``: ``/bench/inline-metrics``, prometheus_client's handler over the bridge's registry,
  on the event loop: what ``/metrics`` did before it rendered off the loop;
- ``metrics``: ``/metrics`` as it is.

Figures per route: scrape time (median and max, client side), body size (uncompressed), and
the longest event-loop stall during the scrapes, seen from outside: a second connection sends
``GET /healthz`` in a closed loop meanwhile, and its slowest answer, less its median answer
when nothing is scraped, is how long the loop could not answer. Then webhook latency (p50,
p99, max; 4 connections, closed loop, a storm's webhooks re-sent as Alertmanager re-notifies)
without scrapes, while ``inline`` is scraped back to back and while ``metrics`` is.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.bodies import builders
from bench.inventory import Inventory, generate, write_csv
from bench.loadgen import percentile
from bench.webhook import INVENTORY_SIZE, MAX_BODY, Server

SIZES = (1_000, 10_000)
PER_WEBHOOK = 20
ROUTES = {
    "baseline": "/bench/default-registry",
    "inline": "/bench/inline-metrics",
    "metrics": "/metrics",
}
#: what Prometheus sends (2.x/3.x default scrape protocols, gzip accepted)
PROMETHEUS = {
    "Accept": "application/openmetrics-text;version=1.0.0;q=0.5,"
    "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    "Accept-Encoding": "gzip",
}


def _bodies(inventory: Inventory, n: int, now: datetime) -> list[bytes]:
    b = builders()
    elements = [el for members in inventory.by_site.values() for el in members]
    bodies = []
    for start in range(0, n, PER_WEBHOOK):
        alerts = [
            b.alert(
                f"{i:016x}",
                now - timedelta(seconds=(i * 37) % 2400),
                alertname=f"Storm{i}",
                cluster=f"c{i}",
                element=elements[(i * 7919) % len(elements)],
                severity="major",
            )
            for i in range(start, min(n, start + PER_WEBHOOK))
        ]
        bodies.append(json.dumps(b.webhook(*alerts, group_key=f"{{}}:{{b={start}}}")).encode())
    return bodies


def _headers() -> dict[str, str]:
    return {
        "Authorization": f"Bearer {builders().WEBHOOK_TOKEN}",
        "Content-Type": "application/json",
    }


async def _post_all(session: aiohttp.ClientSession, base: str, bodies: list[bytes]) -> None:
    queue = list(reversed(bodies))

    async def worker() -> None:
        while queue:
            body = queue.pop()
            async with session.post(
                base + "/api/v1/alertmanager", data=body, headers=_headers()
            ) as r:
                if r.status != 200:
                    raise RuntimeError(f"webhook answered {r.status}: {await r.text()}")

    await asyncio.gather(*(worker() for _ in range(4)))


async def _open_incidents(session: aiohttp.ClientSession, base: str) -> int:
    async with session.get(base + "/metrics") as r:
        for line in (await r.text()).splitlines():
            if line.startswith("bridge_incidents_open "):
                return int(float(line.split()[1]))
    return 0


async def _scrape(session: aiohttp.ClientSession, url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    async with session.get(url, headers=PROMETHEUS) as r:
        body = await r.read()
    return time.perf_counter() - t0, len(body)


class _Prober:
    """GET /healthz in a closed loop on a connection of its own, latencies recorded."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.samples: list[float] = []
        self._stop = asyncio.Event()

    async def run(self) -> None:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
            while not self._stop.is_set():
                t0 = time.perf_counter()
                async with session.get(self.base + "/healthz") as r:
                    await r.read()
                self.samples.append(time.perf_counter() - t0)
                await asyncio.sleep(0.001)

    def stop(self) -> None:
        self._stop.set()


async def _probed(base: str, work: Callable[[], Any]) -> tuple[Any, list[float]]:
    prober = _Prober(base)
    task = asyncio.create_task(prober.run())
    await asyncio.sleep(0.05)
    try:
        result = await work()
    finally:
        prober.stop()
        await task
    return result, prober.samples


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


async def _lag_buckets(session: aiohttp.ClientSession, base: str) -> dict[float, float]:
    """The bridge's own ``bridge_event_loop_lag_seconds`` buckets (cumulative counts by
    ``le``), read with a ``name[]`` filter; then a pause, so that the lag this reading caused
    is counted before what follows."""
    params = [("name[]", "bridge_event_loop_lag_seconds_bucket")]
    async with session.get(base + "/metrics", params=params) as r:
        text = await r.text()
    await asyncio.sleep(0.3)
    out: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith("bridge_event_loop_lag_seconds_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            out[float(le)] = float(line.rsplit(" ", 1)[1])
    return out


async def _gc_pauses(session: aiohttp.ClientSession, base: str) -> list[list[float]]:
    """The bridge's garbage-collector pauses of 10 ms or more since the last call, as
    [generation, ms] (bench/servers.py)."""
    async with session.get(base + "/bench/gc") as r:
        pauses: list[list[float]] = await r.json()
    return pauses


def _lag_bound_ms(before: dict[float, float], after: dict[float, float]) -> float | None:
    """The smallest bucket bound that holds every lag the bridge's 100 ms timer saw between
    two readings (None: it saw none)."""
    total = after.get(float("inf"), 0.0) - before.get(float("inf"), 0.0)
    if total <= 0:
        return None
    for le in sorted(after):
        if after[le] - before.get(le, 0.0) >= total:
            return le * 1000
    return None


async def _route(base: str, route: str, scrapes: int, idle_probe: float) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        await _scrape(session, base + route)  # first one apart: caches, connection
        lags_before = await _lag_buckets(session, base)
        await _gc_pauses(session, base)

        async def work() -> list[tuple[float, int]]:
            return [await _scrape(session, base + route) for _ in range(scrapes)]

        done, probes = await _probed(base, work)
        await asyncio.sleep(0.2)  # the timer's last late wake-up is counted
        pauses = await _gc_pauses(session, base)
        lags_after = await _lag_buckets(session, base)
    times = sorted(t for t, _ in done)
    return {
        "gc_pauses_ms": pauses,
        "timer_lag_ms_at_most": _lag_bound_ms(lags_before, lags_after),
        "scrape_ms_median": _ms(statistics.median(times)),
        "scrape_ms_max": _ms(times[-1]),
        "bytes": done[-1][1],
        "probe_ms_max": _ms(max(probes)),
        "stall_ms": _ms(max(0.0, max(probes) - idle_probe)),
    }


async def _webhooks_while(
    base: str, bodies: list[bytes], route: str | None, seconds: float
) -> dict[str, Any]:
    """Webhook latency (4 connections, closed loop, bodies re-sent) for ``seconds``, while
    ``route`` is scraped back to back (None: no scrapes)."""
    latencies: list[float] = []
    scrapes = 0
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=8)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def sender(k: int) -> None:
            i = k
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                async with session.post(
                    base + "/api/v1/alertmanager", data=bodies[i % len(bodies)], headers=_headers()
                ) as r:
                    await r.read()
                latencies.append(time.perf_counter() - t0)
                i += 4

        async def scraper() -> None:
            nonlocal scrapes
            while route is not None and time.monotonic() < deadline:
                await _scrape(session, base + route)
                scrapes += 1

        await _gc_pauses(session, base)
        await asyncio.gather(*(sender(k) for k in range(4)), scraper())
        pauses = await _gc_pauses(session, base)
    latencies.sort()
    return {
        "gc_pauses_ms": pauses,
        "requests": len(latencies),
        "scrapes": scrapes,
        "p50_ms": _ms(percentile(latencies, 50)),
        "p99_ms": _ms(percentile(latencies, 99)),
        "max_ms": _ms(latencies[-1]),
    }


async def _case(
    root: Path, csv_path: Path, inventory: Inventory, n: int, quick: bool, log: Callable[..., None]
) -> dict[str, Any]:
    folder = root / f"n{n}"
    folder.mkdir()
    config = builders().write_config(
        folder,
        inventory=csv_path,
        extra={
            "server": {"listen": "127.0.0.1:0", "max_body_bytes": MAX_BODY},
            # by alertname and cluster only, as the audit's storm correlated: one incident each
            "correlation": {"ancestor_kind": None},
        },
    )
    bodies = _bodies(inventory, n, datetime.now(UTC))
    with Server("bridge", folder, config, extra_args=["--scrape-routes"]) as server:
        await server.wait_ready()
        base = server.base
        async with aiohttp.ClientSession() as session:
            t0 = time.perf_counter()
            await _post_all(session, base, bodies)
            while (open_now := await _open_incidents(session, base)) < n:
                if time.perf_counter() - t0 > 120:
                    raise RuntimeError(f"only {open_now} of {n} incidents open after 2 min")
                await asyncio.sleep(0.2)
            filled = time.perf_counter() - t0
        log(f"  {n} open incidents after {filled:.1f} s")
        _, idle = await _probed(base, lambda: asyncio.sleep(0.5))
        idle_probe = statistics.median(idle)
        scrapes = 3 if quick else 8
        routes = {}
        for name, route in ROUTES.items():
            routes[name] = await _route(base, route, scrapes, idle_probe)
            log(f"  {name}: {routes[name]}")
        seconds = 2.0 if quick else 5.0
        webhooks = {}
        for name, route in (("no scrapes", None), ("inline", ROUTES["inline"])):
            webhooks[name] = await _webhooks_while(base, bodies, route, seconds)
        webhooks["metrics"] = await _webhooks_while(base, bodies, ROUTES["metrics"], seconds)
        log(f"  webhooks: {webhooks}")
    return {
        "open_incidents": open_now,
        "fill_s": round(filled, 1),
        "idle_probe_ms": _ms(idle_probe),
        "routes": routes,
        "webhooks": webhooks,
    }


async def run(
    quick: bool = False, tmpdir: Path | None = None, log: Callable[..., None] = print
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=tmpdir, prefix="bench-scrape-") as tmp:
        root = Path(tmp)
        inventory = generate(INVENTORY_SIZE)
        csv_path = write_csv(inventory, root / "inventory.csv")
        cases = []
        for n in SIZES:
            log(f"scrape benchmark, {n} open incidents …")
            cases.append(await _case(root, csv_path, inventory, n, quick, log))
    return {"cases": cases}


def table(res: dict[str, Any]) -> str:
    lines = [
        "Scrape cost (GET /metrics as Prometheus asks: OpenMetrics, gzip): baseline = the "
        "process's default registry; inline = prometheus_client's handler on the loop (before); "
        "metrics = /metrics now. Stall = slowest /healthz answer during the scrapes less its "
        "idle median.",
        "",
        "| open incidents | route | scrape ms median / max | body bytes | longest stall ms "
        "| bridge's lag timer: all ≤ ms | GC pauses ≥ 10 ms (gen, ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for case in res["cases"]:
        for name, r in case["routes"].items():
            lines.append(
                f"| {case['open_incidents']} | {name} | {r['scrape_ms_median']} / "
                f"{r['scrape_ms_max']} | {r['bytes']} | {r['stall_ms']} | "
                f"{r['timer_lag_ms_at_most']} | "
                f"{', '.join(f'{int(g)}: {ms}' for g, ms in r['gc_pauses_ms']) or '–'} |"
            )
    lines += [
        "",
        "Webhook latency (4 connections, closed loop) while a route is scraped back to back:",
        "",
        "| open incidents | scraping | requests | scrapes | p50 ms | p99 ms | max ms "
        "| GC pauses ≥ 10 ms (gen, ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case in res["cases"]:
        for name, w in case["webhooks"].items():
            lines.append(
                f"| {case['open_incidents']} | {name} | {w['requests']} | {w['scrapes']} | "
                f"{w['p50_ms']} | {w['p99_ms']} | {w['max_ms']} | "
                f"{', '.join(f'{int(g)}: {ms}' for g, ms in w['gc_pauses_ms']) or '–'} |"
            )
    return "\n".join(lines)
