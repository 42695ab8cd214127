"""``python -m bench.audit_search [N] [--stores sqlite,redis]``: searching an audit log of N
entries (default 1 000 000) against the BASELINE of an unfiltered page of the same log, on each
store, in the same run (``AuditLog.search_audit``, as ``GET /api/v1/audit`` asks it: a page of
100, at most 1000 entries looked at).

The log: N entries a minute apart (about two years at N = 10^6), 20 actors, 12 actions, targets
spread over 5 000 incidents (their drafts and the incident itself), every fiftieth entry on the
privacy track, one in a hundred written 30 minutes late (another replica's clock). The searches:
a month far back (time range only), a person in that month, an incident, an action prefix in a
month, an outage auditor's unfiltered page (the track rule), and a rare action over the whole
log (the case the scan bound is for: a short page with ``next``). Each figure is the median of
repeated calls, in milliseconds, and its ratio to the baseline. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.bodies import redis_server_module
from bridge.core.audit_search import AuditFilter
from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry
from bridge.store.redis import RedisStore
from bridge.store.sqlite import SqliteStore

T0 = datetime(2024, 1, 1, tzinfo=UTC)
ACTORS = [f"person{i}" for i in range(19)] + ["token:ops"]
ACTIONS = [
    "draft.edited",
    "draft.approved",
    "draft.sent",
    "draft.rejected",
    "incident.note",
    "incident.ack",
    "incident.assigned",
    "login.success",
    "login.failure",
    "privacy.read",
    "user.password",
    "token.create",
]
BATCH = 5000
PAGE, SCAN = 100, 1000


def _entry(n: int) -> AuditEntry:
    at = T0 + timedelta(minutes=n) - (timedelta(minutes=30) if n % 100 == 7 else timedelta())
    incident = f"inc-{n % 5000:05d}"
    kind = n % 4
    target = (
        f"privacy:priv-{n % 300:04d}"
        if n % 50 == 0
        else f"incident:{incident}"
        if kind == 0
        else f"draft:{incident}.nkom_varsel"
        if kind == 1
        else f"draft:{incident}.pts_initial"
        if kind == 2
        else f"user:{ACTORS[n % 19]}"
    )
    action = "token.revoke" if n % 99_991 == 0 else ACTIONS[(n // 3) % len(ACTIONS)]
    return AuditEntry(at, ACTORS[n % 20], action, target, {"n": n})


async def _fill(store: Store, n: int) -> None:
    for start in range(0, n, BATCH):
        await store.append_audit([_entry(i) for i in range(start, min(n, start + BATCH))])
        if start % 100_000 == 0:
            print(f"  {start:,} of {n:,}", file=sys.stderr, flush=True)


async def _median_ms(call: Callable[[], Awaitable[Any]], reps: int) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        result = await call()
        samples.append(time.perf_counter() - t0)
    return round(statistics.median(samples) * 1000, 2), result


def _searches(n: int) -> dict[str, AuditFilter]:
    month = T0 + timedelta(minutes=n // 4)  # a quarter of the way into the log
    march = {"since": month, "until": month + timedelta(days=30)}
    return {
        "month far back": AuditFilter(**march),
        "person in that month": AuditFilter(actor="person7", **march),
        "incident inc-01234": AuditFilter(incident="inc-01234"),
        "draft.* in that month": AuditFilter(action="draft.", **march),
        "outage auditor, no filter": AuditFilter(tracks=frozenset({"outage"})),
        "rare action, whole log": AuditFilter(action="token.revoke"),
    }


async def _bench(name: str, store: Store, n: int, reps: int) -> list[dict[str, Any]]:
    await store.open()
    try:
        print(f"{name}: writing {n:,} entries", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        await _fill(store, n)
        print(f"  written in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        base, _ = await _median_ms(
            lambda: store.search_audit(AuditFilter(), PAGE, None, SCAN), reps
        )
        rows = [{"store": name, "search": "BASELINE: newest page", "ms": base, "ratio": 1.0}]
        for label, where in _searches(n).items():
            ms, page = await _median_ms(
                lambda where=where: store.search_audit(where, PAGE, None, SCAN), reps
            )
            rows.append(
                {
                    "store": name,
                    "search": label,
                    "ms": ms,
                    "ratio": round(ms / base, 2) if base else None,
                    "found": len(page.entries),
                    "next": page.resume is not None,
                }
            )
        return rows
    finally:
        await store.close()


async def run(n: int, stores: list[str], reps: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        if "sqlite" in stores:
            sqlite = SqliteStore(f"sqlite:///{Path(tmp) / 'audit.sqlite3'}")
            rows += await _bench("sqlite", sqlite, n, reps)
        if "redis" in stores:
            server = redis_server_module().RedisServer(Path(tmp) / "redis").start()
            try:
                rows += await _bench("redis", RedisStore(server.url()), n, reps)
            finally:
                server.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_search")
    parser.add_argument("entries", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--stores", default="sqlite,redis")
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args(argv)
    rows = asyncio.run(run(args.entries, args.stores.split(","), args.reps))
    print(f"audit search, {args.entries:,} entries, page {PAGE}, scan {SCAN}, median ms")
    print(f"{'store':<7} {'search':<28} {'ms':>9} {'×base':>7} {'found':>6} next")
    for r in rows:
        print(
            f"{r['store']:<7} {r['search']:<28} {r['ms']:>9} {r['ratio']:>7} "
            f"{r.get('found', ''):>6} {r.get('next', '')}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
