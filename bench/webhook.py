"""Webhook throughput and latency: the bridge against a parse-only aiohttp baseline.

For every case (alerts per webhook × connections) the same load generator drives first the
baseline server, then a freshly started bridge (empty SQLite file in a temp folder, a generated
CSV inventory of 10 000 elements, the shipped rule sets), each in its own subprocess on
127.0.0.1. The bridge acknowledges only after its group-committed, fsynced write, then evaluates
the touched incidents; the baseline only parses the JSON. Both see byte-identical bodies.

Every delivery carries fingerprints of its own, so each request stores new alert episodes and
the bridge's state grows during a case (as during a large outage). The optional "repeated" case
re-sends the same few deliveries (Alertmanager re-notifying, or two HA replicas).

With ``stores`` including ``redis``, each case also drives a bridge on the Redis store (a
redis-server started here on loopback with the settings the bridge requires: AOF with
``appendfsync always``, ``noeviction``; a fresh key prefix per case), same bodies, same load.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.bodies import REPO, BodyFactory, builders, redis_server_module, self_check
from bench.inventory import generate, write_csv
from bench.loadgen import LoadResult, run_load

INVENTORY_SIZE = 10_000
MAX_BODY = 8 * 1024 * 1024
AIM_RATIO_10 = 0.30  # bridge ≥ 30 % of baseline requests/s at 10 alerts per webhook
AIM_RATIO_LARGE = 0.20  # … and ≥ 20 % at 100 and 1 000 alerts per webhook
AIM_REDIS_SLOWER = 1.5  # the Redis store within 1.5× of SQLite's requests/s
AIM_RESENT_CPU = 3.0  # a re-sent, unchanged group: server CPU per request ≤ 3× the parse's
AIM_P99_1000_MS = 250.0  # a 1 000-alert webhook acknowledged within 250 ms at p99


@dataclass(frozen=True)
class Case:
    name: str
    alerts: int
    concurrency: int
    max_requests: int
    seconds: float
    repeat: bool = False
    variants: int = 64

    def scaled(self, quick: bool) -> Case:
        if not quick:
            return self
        return Case(
            self.name,
            self.alerts,
            self.concurrency,
            max(20, self.max_requests // 3),
            min(self.seconds, 2.0),
            self.repeat,
            min(self.variants, 16),
        )


CASES = [
    Case("1 alert", 1, 16, 100_000, 5.0),
    Case("10 alerts", 10, 16, 60_000, 5.0),
    Case("100 alerts", 100, 8, 20_000, 5.0),
    Case("1000 alerts", 1000, 4, 3_000, 6.0, variants=16),
    Case("1000 alerts, 1 conn", 1000, 1, 3_000, 6.0, variants=16),
    Case("10 alerts, repeated", 10, 16, 60_000, 5.0, repeat=True, variants=32),
    Case("100 alerts, repeated", 100, 8, 20_000, 5.0, repeat=True, variants=8),
    # Alertmanager re-sends a group with the same fingerprints: state stops growing
    Case("1000 alerts, 1 conn, repeated", 1000, 1, 3_000, 6.0, repeat=True, variants=4),
]


class Server:
    """One server subprocess (see bench/servers.py); a context manager that stops it."""

    def __init__(
        self,
        kind: str,
        workdir: Path,
        config: Path | None = None,
        profile: Path | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        self.kind = kind
        self.log_path = workdir / f"{kind}-server.log"
        cmd = [sys.executable, "-m", "bench.servers", kind]
        if config is not None:
            cmd += ["--config", str(config)]
        if profile is not None:
            cmd += ["--profile", str(profile)]
        cmd += extra_args or []
        path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "PYTHONPATH": path}
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=self._log, env=env
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"{kind} server did not start: {line!r}\n{self.log_tail()}")
        self.port = int(line.split()[1])
        self.base = f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.kind} server exited:\n{self.log_tail()}")
                try:
                    async with session.get(self.base + "/readyz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.kind} server not ready after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


_METRIC = re.compile(r"^(bridge_[a-z_]+)(\{[^}]*\})? ([0-9.eE+-]+|NaN)$")


async def bridge_metrics(base: str) -> dict[str, Any]:
    """Server-side figures from /metrics: evaluation time per ingest, alerts, open incidents;
    and how long a scrape takes after the load (the first, then a second one: what
    Prometheus waits for, and the event loop is busy with, every scrape interval)."""
    scrapes: list[float] = []
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            t0 = time.perf_counter()
            async with session.get(base + "/metrics") as resp:
                text = await resp.text()
            scrapes.append(round((time.perf_counter() - t0) * 1000, 1))
    values: dict[str, float] = {}
    for line in text.splitlines():
        m = _METRIC.match(line)
        if m:
            key = m.group(1) + (m.group(2) or "")
            values[key] = values.get(key, 0.0) + float(m.group(3))
    count = values.get('bridge_evaluation_duration_seconds_count{trigger="ingest"}', 0.0)
    total = values.get('bridge_evaluation_duration_seconds_sum{trigger="ingest"}', 0.0)
    received = sum(v for k, v in values.items() if k.startswith("bridge_alerts_received_total"))
    return {
        "ingest_evaluations": int(count),
        "evaluation_ms_mean": round(1000 * total / count, 2) if count else None,
        "alerts_received": int(received),
        "incidents_open": int(values.get("bridge_incidents_open", 0)),
        "scrape_ms": scrapes,
        "scrape_bytes": len(text),
        "store_errors": int(
            sum(v for k, v in values.items() if k.startswith("bridge_store_errors_total"))
        ),
    }


def _headers() -> dict[str, str]:
    return {
        "Authorization": f"Bearer {builders().WEBHOOK_TOKEN}",
        "Content-Type": "application/json",
    }


async def _drive(server: Server, factory: BodyFactory, case: Case, first_seq: int) -> LoadResult:
    return await run_load(
        server.base + "/api/v1/alertmanager",
        _headers(),
        factory,
        concurrency=case.concurrency,
        alerts_per_request=case.alerts,
        max_requests=case.max_requests,
        max_seconds=case.seconds,
        warmup_requests=min(2 * case.concurrency, 8 if case.alerts >= 1000 else 64),
        first_seq=first_seq,
        server_pid=server.proc.pid,
    )


def cpu_ms_per_request(side: dict[str, Any]) -> float | None:
    """The server process's CPU time per successful request (ms): steadier than req/s when
    other work shares the machine."""
    if not side.get("ok"):
        return None
    return side["server_cpu_pct"] / 100 * side["elapsed_s"] * 1000 / side["ok"]


def _verdicts(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every aim of issue 18, judged on ratios measured in this run."""
    aims: list[dict[str, Any]] = []
    for c in cases:
        if c["alerts_per_webhook"] < 10:
            continue
        aim = AIM_RATIO_10 if c["alerts_per_webhook"] == 10 else AIM_RATIO_LARGE
        for key, store in (("ratio_rps", "SQLite"), ("ratio_rps_redis", "Redis")):
            if key in c:
                aims.append(
                    {
                        "aim": f"bridge on {store} >= {aim * 100:.0f} % of baseline requests/s "
                        f"({c['name']}, durable writes)",
                        "measured": f"{c[key] * 100:.1f} %",
                        "met": c[key] >= aim,
                    }
                )
        if "bridge_redis" in c:
            sqlite, redis = c["bridge"]["requests_per_s"], c["bridge_redis"]["requests_per_s"]
            slower = sqlite / redis if redis else float("inf")
            aims.append(
                {
                    "aim": f"Redis within {AIM_REDIS_SLOWER}× of SQLite's requests/s ({c['name']})",
                    "measured": f"SQLite {slower:.2f}× Redis",
                    "met": slower <= AIM_REDIS_SLOWER,
                }
            )
        if c["repeated_deliveries"]:
            bridge, base = cpu_ms_per_request(c["bridge"]), cpu_ms_per_request(c["baseline"])
            if bridge is not None and base:
                aims.append(
                    {
                        "aim": f"re-sent unchanged group costs <= {AIM_RESENT_CPU:.0f}× the parse, "
                        f"server CPU per request ({c['name']}, SQLite)",
                        "measured": f"{bridge:.2f} vs {base:.2f} ms ({bridge / base:.1f}×)",
                        "met": bridge <= AIM_RESENT_CPU * base,
                    }
                )
    for c in cases:
        if c["alerts_per_webhook"] != 1000:
            continue
        p99 = c["bridge"]["latency_ms"]["p99"]
        how = (
            "one webhook at a time"
            if c["concurrency"] == 1
            else f"{c['concurrency']} concurrent webhooks"
        ) + (", same group re-sent" if c["repeated_deliveries"] else ", new alerts each time")
        aims.append(
            {
                "aim": f"1000-alert webhook acknowledged < 250 ms at p99 ({how})",
                "measured": f"p99 {p99:.0f} ms",
                "met": p99 < AIM_P99_1000_MS,
            }
        )
    return aims


async def _drive_bridge(
    workdir: Path,
    csv_path: Path,
    store: str | None,
    factory: BodyFactory,
    case: Case,
    profile: Path | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A fresh bridge on ``store`` (None: SQLite in ``workdir``) under the case's load."""
    config = builders().write_config(
        workdir,
        inventory=csv_path,
        store=store,
        extra={
            "server": {"listen": "127.0.0.1:0", "max_body_bytes": MAX_BODY},
            # all three shipped rule sets, as config/bridge.yaml enables them
            "regulators": {"enisa": {"rule_set": "enisa-matrix"}},
        },
    )
    with Server("bridge", workdir, config, profile) as bridge:
        await bridge.wait_ready()
        # first_seq far above the baseline's: the bridge sees no fingerprint twice
        result = await _drive(bridge, factory, case, first_seq=10_000_000)
        server_side = await bridge_metrics(bridge.base)
    db_bytes = sum(p.stat().st_size for p in workdir.glob("bridge.sqlite3*"))
    return result.summary(), {**server_side, "sqlite_bytes": db_bytes}


async def run(
    quick: bool = False,
    tmpdir: Path | None = None,
    profile_dir: Path | None = None,
    log: Any = print,
    stores: tuple[str, ...] = ("sqlite", "redis"),
    cases_named: str | None = None,
) -> dict[str, Any]:
    """Run every case (or those whose name contains ``cases_named``); return the results (see
    bench/README.md for the fields)."""
    cases = [c.scaled(quick) for c in CASES if cases_named is None or cases_named in c.name]
    redis = None
    if "redis" in stores:
        redis = redis_server_module().RedisServer()
        redis.start()
    try:
        return await _run(cases, tmpdir, profile_dir, log, stores, redis)
    finally:
        if redis is not None:
            redis.stop()
            redis.cleanup()


async def _run(
    cases: list[Case],
    tmpdir: Path | None,
    profile_dir: Path | None,
    log: Any,
    stores: tuple[str, ...],
    redis: Any,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bridge-bench-", dir=tmpdir) as tmp:
        root = Path(tmp)
        inventory = generate(INVENTORY_SIZE)
        csv_path = write_csv(inventory, root / "inventory.csv")
        results: list[dict[str, Any]] = []
        with Server("baseline", root) as baseline:
            await baseline.wait_ready()
            for n, case in enumerate(cases):
                factory = BodyFactory(
                    inventory, case.alerts, variants=case.variants, repeat=case.repeat
                ).prepare()
                if n == 0 or not case.repeat:
                    self_check(factory)
                log(f"  webhook: {case.name} × {case.concurrency} conn … baseline", end="")
                base = await _drive(baseline, factory, case, first_seq=0)
                b = base.summary()
                entry: dict[str, Any] = {
                    "name": case.name,
                    "alerts_per_webhook": case.alerts,
                    "concurrency": case.concurrency,
                    "repeated_deliveries": case.repeat,
                    "max_requests": case.max_requests,
                    "max_seconds": case.seconds,
                    "baseline": b,
                }
                for store in stores:
                    log(f" … bridge ({store})", end="")
                    workdir = root / f"case-{n}-{store}"
                    workdir.mkdir()
                    url = None if store == "sqlite" else redis.url(prefix=f"bench{n}:")
                    profile = (
                        profile_dir / f"profile-webhook-{n}-{case.alerts}-{store}.txt"
                        if profile_dir
                        else None
                    )
                    r, server_side = await _drive_bridge(
                        workdir, csv_path, url, factory, case, profile
                    )
                    ratio = (
                        (r["requests_per_s"] / b["requests_per_s"]) if b["requests_per_s"] else 0.0
                    )
                    key = "bridge" if store == "sqlite" else f"bridge_{store}"
                    entry[key] = r
                    entry[f"{key}_server"] = server_side
                    entry[f"ratio_rps{'' if store == 'sqlite' else '_' + store}"] = round(ratio, 3)
                    log(f" {r['requests_per_s']:.0f}", end="")
                log(f" req/s vs baseline {b['requests_per_s']:.0f}")
                results.append(entry)
    return {"inventory_elements": INVENTORY_SIZE, "cases": results, "aims": _verdicts(results)}
