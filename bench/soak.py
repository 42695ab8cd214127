"""Months, not minutes: does the bridge's cost follow live work or history?

For each size (historical alerts in the store: 0 — the baseline, measured in the same run —
10⁴, 10⁵, 10⁶; ``--quick`` stops at 10⁵) it:

1. **seeds** a SQLite store file directly (the bridge's own row codecs, one transaction): that
   many resolved alert episodes, ten to a closed, settled incident (so 10⁵ incidents at 10⁶
   alerts), one delivery per incident, spread over the 60 days before the memory horizon
   (``evaluation.memory_horizon``, 7 days): a month of ordinary link flapping that owes nothing;
2. **starts** ``bridge serve``'s app on it (``python -m bench.servers bridge``) and times start
   to ready (``/readyz`` 200), then reads its RSS;
3. drives a **live phase through HTTP**: 10-alert webhooks, each with fingerprints of its own,
   4 connections, a fixed number of requests; and reads from ``/metrics`` the evaluation
   timer's mean tick, the p99 of ``bridge_event_loop_lag_seconds`` (from its buckets) and the
   RSS after the phase;
4. **stops** it with SIGTERM and times the exit, then **restarts** it and times start to ready
   again.

Every figure is printed with its ratio to the empty store's; the aim is 1.5× at most (issue 16),
and absolute ones: stop within 10 s, start within 5 s, loop lag p99 within 100 ms. Run it with
``python -m bench --only soak [--quick]`` (about 3 minutes; 1 with ``--quick``).
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.bodies import BodyFactory, builders, redis_server_module
from bench.inventory import Inventory, generate, write_csv
from bench.loadgen import run_load
from bench.webhook import MAX_BODY, Server, _headers

SIZES = (0, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (0, 10_000, 100_000)
ALERTS_PER_INCIDENT = 10
LIVE_REQUESTS = 400
QUIET_S = 5.0  # the window the timer's ticks are measured over, after the load
AIM_RATIO = 1.5
INVENTORY_SIZE = 10_000


def _config(workdir: Path, inventory_csv: Path, store: str | None = None) -> Path:
    config: Path = builders().write_config(
        workdir,
        inventory=inventory_csv,
        store=store,
        extra={
            "server": {"listen": "127.0.0.1:0", "max_body_bytes": MAX_BODY},
            "regulators": {"enisa": {"rule_set": "enisa-matrix"}},
            "evaluation": {"interval": "1s", "stale_after": "2h", "memory_horizon": "7d"},
        },
    )
    return config


def _example_document(inventory: Inventory) -> dict[str, Any]:
    """A closed incident's stored document as the bridge writes it (one real evaluation)."""
    from bridge.config import load_config
    from bridge.core import documents
    from bridge.core.alerts import AlertEpisode
    from bridge.evaluation.engine import build_engine

    with tempfile.TemporaryDirectory() as tmp:
        csv = write_csv(inventory, Path(tmp) / "inventory.csv")
        loaded = load_config(_config(Path(tmp), csv), env={})
    engine = build_engine(loaded, inventory.topology())
    site = inventory.sites[0]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    episodes = [
        AlertEpisode(
            fingerprint=f"{n:016x}",
            starts_at=start,
            status="resolved",
            ends_at=start + timedelta(minutes=10),
            labels={"alertname": "LinkDown", "element": element},
            annotations={"summary": f"{element} down"},
            first_seen=start,
            last_seen=start + timedelta(minutes=10),
        )
        for n, element in enumerate(inventory.by_site[site][:ALERTS_PER_INCIDENT])
    ]
    engine.apply(episodes, start + timedelta(minutes=10))
    engine.tick(start + timedelta(days=1))
    (incident,) = engine.incidents.values()
    return documents.stored_document(incident, inventory.topology(), start + timedelta(days=1))


def _history(
    alerts: int, elements: Sequence[str], now: datetime
) -> Iterator[tuple[int, datetime, datetime, list[tuple[str, str]]]]:
    """The seeded history, one incident at a time: its number, start, end and its alerts
    (fingerprint, element), spread over the 60 days before ``now`` minus 8 days."""
    incidents = alerts // ALERTS_PER_INCIDENT
    span = timedelta(days=60).total_seconds()
    newest = now - timedelta(days=8)
    for n in range(incidents):
        start = newest - timedelta(seconds=span * (incidents - n) / incidents)
        members = [
            (f"{n:010x}{k:06x}", elements[(n * ALERTS_PER_INCIDENT + k) % len(elements)])
            for k in range(ALERTS_PER_INCIDENT)
        ]
        yield n, start, start + timedelta(minutes=10), members


def seed(
    db: Path, alerts: int, elements: Sequence[str], document: dict[str, Any], now: datetime
) -> None:
    """``alerts`` settled historical episodes (10 per incident, on ``elements`` in turn, each
    incident's stored document ``document`` with its own id and times) into the SQLite schema
    ``db`` has, all closed more than 8 days before ``now`` (outside the default memory
    horizon), with one delivery per incident."""
    from bridge.store.codec import dumps, ts

    if alerts == 0:
        return
    conn = sqlite3.connect(db)
    try:
        conn.execute("BEGIN")
        for n, start, end, members in _history(alerts, elements, now):
            s, e = ts(start), ts(end)
            inc_id = f"inc-hist-{n:08d}"
            delivery = n + 1
            rows = [
                (
                    fp,
                    s,
                    "resolved",
                    e,
                    dumps({"alertname": "LinkDown", "element": element}),
                    dumps({"summary": f"{element} down"}),
                    s,
                    e,
                    "",
                    "g",
                    delivery,
                )
                for fp, element in members
            ]
            conn.executemany(
                "INSERT INTO alerts(fingerprint, starts_at, status, ends_at, labels, "
                "annotations, first_seen, last_seen, generator_url, group_key, seq) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            conn.execute(
                "INSERT INTO deliveries(id, received_at, receiver, group_key, status, alerts, "
                "truncated) VALUES (?,?,?,?,?,?,?)",
                (delivery, e, "bridge", "g", "resolved", ALERTS_PER_INCIDENT, 0),
            )
            keys = [[fp, s] for fp, _ in members]
            doc = {**document, "id": inc_id, "started_at": s, "ended_at": e}
            conn.execute(
                "INSERT INTO incidents(id, key, started_at, state, merged_into, episodes, "
                "document, settled_at) VALUES (?,?,?,?,?,?,?,?)",
                (inc_id, "topo:hist", s, "closed", None, dumps(keys), dumps(doc), e),
            )
        conn.execute("COMMIT")
        # as a long-running bridge leaves its file: the WAL checkpointed into the database
        # (SQLite does it every 1 000 pages) and on disk, so the first start measured does
        # not pay for the seeding
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    os.sync()


def seed_redis(
    url: str,
    prefix: str,
    alerts: int,
    elements: Sequence[str],
    document: dict[str, Any],
    now: datetime,
) -> None:
    """The same history into a Redis store (schema already there) under ``prefix``, with the
    indexes the store's scripts keep (lua/migration_6.lua), through pipelines."""
    import redis

    from bridge.core.alerts import AlertEpisode
    from bridge.store.codec import ts
    from bridge.store.record_codec import encode
    from bridge.store.records import DeliveryRecord, IncidentRecord
    from bridge.store.redis.alerts import episode_field, episode_value

    if alerts == 0:
        return
    client = redis.Redis.from_url(url.split("?")[0])
    pipe = client.pipeline(transaction=False)
    seq = 0
    for n, start, end, members in _history(alerts, elements, now):
        seq += 1
        inc_id = f"inc-hist-{n:08d}"
        for fp, element in members:
            ep = AlertEpisode(
                fingerprint=fp,
                starts_at=start,
                status="resolved",
                ends_at=end,
                labels={"alertname": "LinkDown", "element": element},
                annotations={"summary": f"{element} down"},
                first_seen=start,
                last_seen=end,
                group_key="g",
            )
            field = episode_field(ep)
            pipe.hset(prefix + "alerts", field, episode_value(ep))
            pipe.zadd(prefix + "alerts:changes", {field: seq})
            pipe.zadd(prefix + "alerts:ends", {f"{ts(end)}|{field}": 0})
        record = IncidentRecord(
            id=inc_id,
            key="topo:hist",
            started_at=start,
            state="closed",
            episodes=[(fp, start) for fp, _ in members],
            merged_into=None,
            document={**document, "id": inc_id, "started_at": ts(start), "ended_at": ts(end)},
            settled_at=end,
        )
        member = f"{ts(start)}|{inc_id}"
        pipe.hset(prefix + "incidents", inc_id, encode(record))
        pipe.hset(prefix + "incidents:start", inc_id, member)
        pipe.zadd(prefix + "incidents:by-start", {member: 0})
        pipe.zadd(prefix + "incidents:settled", {inc_id: end.timestamp()})
        delivery = DeliveryRecord(end, "bridge", "g", "resolved", ALERTS_PER_INCIDENT, 0)
        pipe.lpush(prefix + "deliveries", encode(delivery))
        if n % 500 == 499:
            pipe.execute()
    pipe.set(prefix + "alerts:seq", seq)
    pipe.execute()
    client.close()


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


_SAMPLE = re.compile(r"^([a-z_]+)(\{[^}]*\})? ([0-9.eE+-]+|NaN|\+Inf)$")


async def _metrics(base: str) -> dict[str, float]:
    async with aiohttp.ClientSession() as session, session.get(base + "/metrics") as resp:
        text = await resp.text()
    out: dict[str, float] = {}
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def _p99_of_histogram(values: dict[str, float], name: str) -> float | None:
    """The upper bound of the bucket holding the 99th percentile (seconds)."""
    buckets = []
    for key, count in values.items():
        m = re.match(rf'^{name}_bucket\{{.*le="([^"]+)".*\}}$', key)
        if m:
            buckets.append((float("inf") if m.group(1) == "+Inf" else float(m.group(1)), count))
    buckets.sort()
    if not buckets or buckets[-1][1] == 0:
        return None
    wanted = 0.99 * buckets[-1][1]
    return next(le for le, count in buckets if count >= wanted)


def _tick_ms(values: dict[str, float], before: dict[str, float]) -> float | None:
    """Mean milliseconds of the timer's evaluations between two readings of /metrics."""
    count_key = 'bridge_evaluation_duration_seconds_count{trigger="timer"}'
    sum_key = 'bridge_evaluation_duration_seconds_sum{trigger="timer"}'
    count = values.get(count_key, 0.0) - before.get(count_key, 0.0)
    total = values.get(sum_key, 0.0) - before.get(sum_key, 0.0)
    return round(1000 * total / count, 3) if count else None


async def _start(workdir: Path, config: Path) -> tuple[Server, float]:
    began = time.perf_counter()
    server = Server("bridge", workdir, config)
    await server.wait_ready(timeout=600)
    return server, time.perf_counter() - began


def _stop(server: Server) -> float:
    began = time.perf_counter()
    server.stop()
    return time.perf_counter() - began


async def measure(
    size: int, root: Path, inventory: Inventory, csv: Path, log: Any, redis: Any = None
) -> dict[str, Any]:
    """One row: ``size`` historical alerts on SQLite, or on ``redis`` (a RedisServer) when
    given."""
    store = "sqlite" if redis is None else "redis"
    workdir = root / f"soak-{store}-{size}"
    workdir.mkdir()
    prefix = f"soak{size}:"
    url = None if redis is None else redis.url(prefix=prefix)
    if url is not None:
        _flush(url)  # the size before's keys: each row measures its own history only
    config = _config(workdir, csv, url)
    # the schema first (an empty bridge opened once), then the history straight into it
    server, _ = await _start(workdir, config)
    _stop(server)
    log(f"  soak ({store}): seeding {size} historical alerts …", end="")
    began = time.perf_counter()
    elements = [el for members in inventory.by_site.values() for el in members]
    document = _example_document(inventory) if size else {}
    if redis is None:
        seed(workdir / "bridge.sqlite3", size, elements, document, datetime.now(UTC))
        db_mb = round(sum(p.stat().st_size for p in workdir.glob("bridge.sqlite3*")) / 2**20, 1)
    else:
        assert url is not None
        seed_redis(url, prefix, size, elements, document, datetime.now(UTC))
        db_mb = _redis_mb(url)
    log(f" {time.perf_counter() - began:.0f} s; start", end="")
    server, start_s = await _start(workdir, config)
    try:
        rss_ready = rss_mb(server.proc.pid)
        log(f" {start_s:.1f} s; live phase", end="")
        factory = BodyFactory(inventory, 10, variants=64).prepare()
        load = await run_load(
            server.base + "/api/v1/alertmanager",
            _headers(),
            factory,
            concurrency=4,
            alerts_per_request=10,
            max_requests=LIVE_REQUESTS,
            max_seconds=60,
            warmup_requests=16,
            first_seq=10_000_000,
            server_pid=server.proc.pid,
        )
        # the steady state after the load: the timer's ticks over a quiet window (the tick
        # interval is 1 s), then the loop lag over the whole run
        await asyncio.sleep(1.5)
        before = await _metrics(server.base)
        await asyncio.sleep(QUIET_S)
        values = await _metrics(server.base)
        rss_live = rss_mb(server.proc.pid)
    finally:
        stop_s = _stop(server)
    log(f"; stop {stop_s:.1f} s; restart", end="")
    server, restart_s = await _start(workdir, config)
    rss_restarted = rss_mb(server.proc.pid)
    _stop(server)
    log(f" {restart_s:.1f} s")
    summary = load.summary()
    lag = _p99_of_histogram(values, "bridge_event_loop_lag_seconds")
    return {
        "store": store,
        "historical_alerts": size,
        "historical_incidents": size // ALERTS_PER_INCIDENT,
        "store_mb": db_mb,
        "start_s": round(start_s, 2),
        "rss_ready_mb": rss_ready,
        "ingest_alerts_per_s": summary.get("alerts_per_s"),
        "ingest_p99_ms": summary["latency_ms"]["p99"],
        # the server's CPU per alert over the phase: unlike the rate, it hardly moves when other
        # work shares the machine
        "cpu_ms_per_alert": (
            round(1000 * load.server_cpu_s / (load.ok * 10), 3)
            if load.server_cpu_s is not None and load.ok
            else None
        ),
        "errors": summary.get("errors"),
        "tick_ms": _tick_ms(values, before),
        "loop_lag_p99_ms": None if lag is None else round(lag * 1000, 1),
        "rss_live_mb": rss_live,
        "stop_s": round(stop_s, 2),
        "restart_s": round(restart_s, 2),
        "rss_restarted_mb": rss_restarted,
    }


#: figure → True when bigger is worse (a ratio above AIM_RATIO misses)
COMPARED = {
    "start_s": True,
    "rss_ready_mb": True,
    "ingest_alerts_per_s": False,
    "cpu_ms_per_alert": True,
    "tick_ms": True,
    "rss_live_mb": True,
    "stop_s": True,
    "restart_s": True,
}


def _aims(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    base = rows[0]
    aims = []
    for row in rows[1:]:
        for name, bigger_is_worse in COMPARED.items():
            b, v = base.get(name), row.get(name)
            if not b or v is None:
                continue
            ratio = v / b if bigger_is_worse else b / v
            row.setdefault("ratios", {})[name] = round(ratio, 2)
            aims.append(
                {
                    "aim": f"soak {row['store']} {row['historical_alerts']:>9,} alerts: {name} "
                    f"≤ {AIM_RATIO}× the empty store's",
                    "measured": f"{ratio:.2f}×",
                    "met": ratio <= AIM_RATIO,
                }
            )
        for name, limit in (("stop_s", 10.0), ("restart_s", 5.0), ("loop_lag_p99_ms", 100.0)):
            value = row.get(name)
            if value is not None:
                aims.append(
                    {
                        "aim": f"soak {row['store']} {row['historical_alerts']:>9,} alerts: "
                        f"{name} ≤ {limit}",
                        "measured": value,
                        "met": value <= limit,
                    }
                )
    return aims


def _flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url.split("?")[0])
    try:
        client.flushdb()
    finally:
        client.close()


def _redis_mb(url: str) -> float:
    """Redis's used memory in MiB (the server holds one row's store at a time)."""
    import redis

    client = redis.Redis.from_url(url.split("?")[0])
    try:
        return round(int(client.info("memory")["used_memory"]) / 2**20, 1)
    finally:
        client.close()


async def run(
    quick: bool, tmpdir: Path | None, log: Any, stores: tuple[str, ...] = ("sqlite",)
) -> dict[str, Any]:
    """Every size on each store in ``stores`` (sqlite, redis); rows and aims."""
    sizes = QUICK_SIZES if quick else SIZES
    rows: list[dict[str, Any]] = []
    aims: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bridge-soak-", dir=tmpdir) as tmp:
        root = Path(tmp)
        inventory = generate(INVENTORY_SIZE)
        csv = write_csv(inventory, root / "inventory.csv")
        for store in stores:
            server = None
            if store == "redis":
                server = redis_server_module().RedisServer()
                server.start()
            try:
                mine = [await measure(size, root, inventory, csv, log, server) for size in sizes]
            finally:
                if server is not None:
                    server.stop()
                    server.cleanup()
            rows += mine
            aims += _aims(mine)
    return {"rows": rows, "aims": aims}


def table(res: dict[str, Any]) -> str:
    """The soak's figures, one row per size, each with its ratio to the empty store's."""
    cols = [
        ("store", "store"),
        ("historical_alerts", "history"),
        ("store_mb", "store MB"),
        ("start_s", "start s"),
        ("ingest_alerts_per_s", "alerts/s"),
        ("ingest_p99_ms", "p99 ms"),
        ("cpu_ms_per_alert", "CPU ms/alert"),
        ("tick_ms", "tick ms"),
        ("loop_lag_p99_ms", "lag p99 ms"),
        ("rss_ready_mb", "RSS ready MB"),
        ("rss_live_mb", "RSS live MB"),
        ("stop_s", "stop s"),
        ("restart_s", "restart s"),
    ]
    grid = [[title for _, title in cols]]
    for row in res["rows"]:
        cells = []
        for key, _ in cols:
            value = row.get(key)
            text = "-" if value is None else f"{value:,}" if isinstance(value, int) else str(value)
            ratio = row.get("ratios", {}).get(key)
            cells.append(text + (f" ({ratio}×)" if ratio is not None else ""))
        grid.append(cells)
    widths = [max(len(r[i]) for r in grid) for i in range(len(cols))]
    lines = ["Soak: cost against history (in brackets: the ratio to the empty store's)", ""]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in grid]
    return "\n".join(lines)


if __name__ == "__main__":  # the one command is ``python -m bench --only soak``
    raise SystemExit("run: python -m bench --only soak [--quick]")
