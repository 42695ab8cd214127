"""A closed-loop HTTP load generator (aiohttp client) and the statistics it reports.

``concurrency`` workers share one keep-alive connection pool; each sends a request, waits for
the whole response, records its latency and sends the next, until ``max_requests`` have been
sent or ``max_seconds`` have passed. Bodies come from ``make_body(seq)`` and are rendered before
the clock of that request starts. Latency is from just before ``post`` to the last byte of the
response. Throughput is completed requests over the wall time of the measured phase.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), None where unavailable."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _p50_ms(values: list[float]) -> float | None:
    return round(statistics.median(values) * 1000, 2) if values else None


@dataclass
class LoadResult:
    concurrency: int
    alerts_per_request: int
    elapsed_s: float
    latencies_s: list[float]
    statuses: Counter[int]
    failures: Counter[str] = field(default_factory=Counter)
    client_cpu_s: float = 0.0
    server_cpu_s: float | None = None
    body_bytes: int = 0

    @property
    def ok(self) -> int:
        return sum(n for code, n in self.statuses.items() if 200 <= code < 300)

    @property
    def errors(self) -> int:
        return sum(self.statuses.values()) - self.ok + sum(self.failures.values())

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_s)
        rps = self.ok / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return {
            "concurrency": self.concurrency,
            "alerts_per_request": self.alerts_per_request,
            "requests": sum(self.statuses.values()) + sum(self.failures.values()),
            "ok": self.ok,
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "failures": dict(self.failures),
            "elapsed_s": round(self.elapsed_s, 3),
            "requests_per_s": round(rps, 1),
            "alerts_per_s": round(rps * self.alerts_per_request, 1),
            "latency_ms": {
                "p50": round(percentile(lat, 50) * 1000, 2),
                "p90": round(percentile(lat, 90) * 1000, 2),
                "p99": round(percentile(lat, 99) * 1000, 2),
                "max": round(lat[-1] * 1000, 2) if lat else None,
                "mean": round(statistics.fmean(lat) * 1000, 2) if lat else None,
                # in completion order: did requests get slower as the server's state grew?
                "p50_first_tenth": _p50_ms(self.latencies_s[: max(1, len(lat) // 10)]),
                "p50_last_tenth": _p50_ms(self.latencies_s[-max(1, len(lat) // 10) :]),
            },
            "body_bytes": self.body_bytes,
            "client_cpu_pct": round(100 * self.client_cpu_s / self.elapsed_s, 1)
            if self.elapsed_s > 0
            else None,
            "server_cpu_pct": round(100 * self.server_cpu_s / self.elapsed_s, 1)
            if self.server_cpu_s is not None and self.elapsed_s > 0
            else None,
        }


async def run_load(
    url: str,
    headers: dict[str, str],
    make_body: Callable[[int], bytes],
    *,
    concurrency: int,
    alerts_per_request: int,
    max_requests: int,
    max_seconds: float,
    warmup_requests: int = 0,
    first_seq: int = 0,
    server_pid: int | None = None,
) -> LoadResult:
    """Run one load phase (after ``warmup_requests`` unmeasured ones); see the module doc."""
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def send(body: bytes) -> tuple[int | None, str | None]:
            try:
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    return resp.status, None
            except (TimeoutError, aiohttp.ClientError) as exc:
                return None, type(exc).__name__

        seq = first_seq
        # warm-up: open the pool's connections, let both servers reach steady state
        for start in range(0, warmup_requests, concurrency):
            batch = [make_body(seq + i) for i in range(min(concurrency, warmup_requests - start))]
            seq += len(batch)
            await asyncio.gather(*(send(b) for b in batch))

        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        failures: Counter[str] = Counter()
        sent = 0
        body_bytes = 0
        deadline = 0.0

        async def worker() -> None:
            nonlocal sent, body_bytes
            while sent < max_requests and time.perf_counter() < deadline:
                body = make_body(seq + sent)
                sent += 1
                body_bytes = max(body_bytes, len(body))
                t0 = time.perf_counter()
                status, failure = await send(body)
                took = time.perf_counter() - t0
                if status is not None:
                    statuses[status] += 1
                    if 200 <= status < 300:
                        latencies.append(took)  # errors are counted, not timed
                else:
                    failures[failure or "error"] += 1

        cpu0 = time.process_time()
        srv0 = process_cpu_seconds(server_pid) if server_pid else None
        started = time.perf_counter()
        deadline = started + max_seconds
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        srv1 = process_cpu_seconds(server_pid) if server_pid else None
        return LoadResult(
            concurrency=concurrency,
            alerts_per_request=alerts_per_request,
            elapsed_s=elapsed,
            latencies_s=latencies,
            statuses=statuses,
            failures=failures,
            client_cpu_s=time.process_time() - cpu0,
            server_cpu_s=(srv1 - srv0) if srv0 is not None and srv1 is not None else None,
            body_bytes=body_bytes,
        )
