"""``python -m bench.schema_12 [N] [--stores sqlite,redis]``: how long opening a store of N
stored incidents (default 100 000) takes when it migrates to schema 12 (each host's record
given the list of the incidents merged into it: bridge/store/sqlite/migrations.py,
bridge/store/redis/lua/migration_12.lua), against opening the same store already at schema 12.

The incidents are written through the store (as a bridge writes them), with documents of
about 6 kB (a stored incident's size with the Nkom and PTS rule sets) and 10 alerts each. In
each group of 10, two are merged into the first, and every fifth group's first is merged into
the one before (a chain): 22 % of the records merged, 10 % of them hosts. Then the store's
schema is set back to 11 (what a bridge of schema 11 left) and it is opened again: that open
migrates. On Redis the migration is done in steps of a bounded number of incidents, one script
call each: the longest call (``SLOWLOG``, every call over 1 ms) is how long Redis held every
other client at once. The lists are checked on one chain. Nothing here is a test:
tests/integration/store/test_stored_forms.py checks what the migration writes.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis

from bench.bodies import redis_server_module
from bridge.store.interfaces import Store
from bridge.store.records import IncidentRecord
from bridge.store.redis import RedisStore
from bridge.store.sqlite import SqliteStore

AT = datetime(2026, 6, 1, tzinfo=UTC)
GROUP = 10
BATCH = 1000


def _criterion(n: int) -> dict[str, Any]:
    return {
        "forecast_at": None,
        "id": f"criterion-{n}",
        "kind": "connections",
        "met": n % 2 == 0,
        "reason": (
            f"mobile in NO-5001 (of 15 000): {n}.7 % from 2026-06-01 09:55 UTC, met at "
            "2026-06-01 10:03 UTC (threshold 50.0 % for 0m)"
        ),
        "since": "2026-06-01T09:55:00Z",
        "source": 'seed 003 ("samfunnsviktige funksjoner"): number illustrative',
    }


def _record(n: int) -> IncidentRecord:
    """Incident ``n`` of the layout in the module docstring."""
    first = n - n % GROUP
    into: str | None = None
    if n % GROUP in (1, 2):
        into = f"inc-{first:07d}"
    elif n % GROUP == 0 and n and (n // GROUP) % 5 == 0:
        into = f"inc-{n - GROUP:07d}"
    incident_id = f"inc-{n:07d}"
    start = AT + timedelta(minutes=n)
    document = {
        "id": incident_id,
        "merged_into": into,
        "state": "closed",
        "alerts": [f"fp-{n}-{i}" for i in range(10)],
        "assessments": [
            {"rule_set": rs, "criteria": [_criterion(i) for i in range(8)], "reportable": False}
            for rs in ("nkom-varsel", "pts-2018")
        ],
        "impact": {"by_service": {"mobile": 5000, "broadband": 120}, "current": 0, "peak": 5120},
        "obligations": [{"kind": "nkom_varsel", "state": "sent", "due_at": None}],
        "stale_alerts": [],
        "unmapped_alerts": {},
    }
    return IncidentRecord(
        incident_id,
        f"topo:site-{n % 997}",
        start,
        "closed",
        [(f"fp-{n}-{i}", start) for i in range(10)],
        into,
        document,
        settled_at=start + timedelta(hours=2),
    )


async def _fill(store: Store, n: int) -> None:
    await store.open()
    try:
        for start in range(0, n, BATCH):
            await store.save_incidents([_record(i) for i in range(start, min(n, start + BATCH))])
    finally:
        await store.close()


async def _open(store: Store) -> float:
    began = time.perf_counter()
    await store.open()
    took = time.perf_counter() - began
    try:  # the lists on a chain: the fifth group's host and its two
        host = await store.get_incident(f"inc-{5 * GROUP:07d}")
        assert host is not None
        assert host.document.get("absorbed") == [
            f"inc-{5 * GROUP + 1:07d}",
            f"inc-{5 * GROUP + 2:07d}",
        ]
        chain = await store.get_incident(f"inc-{4 * GROUP:07d}")
        assert chain is not None and len(chain.document.get("absorbed", ())) == 5
    finally:
        await store.close()
    return took


async def _sqlite(folder: Path, n: int) -> dict[str, Any]:
    path = folder / "schema12.sqlite3"
    url = f"sqlite:///{path}"
    await _fill(SqliteStore(url), n)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE meta SET value='11' WHERE key='schema_version'")
    conn.close()
    migrating = await _open(SqliteStore(url))
    plain = await _open(SqliteStore(url))
    return {"store": "sqlite", "migrating": migrating, "plain": plain}


async def _redis(folder: Path, n: int) -> dict[str, Any]:
    server = redis_server_module().RedisServer(folder / "redis").start()
    try:
        url = server.url()
        await _fill(RedisStore(url), n)
        with redis.Redis(host="127.0.0.1", port=server.port) as r:
            r.set("bridge:schema", "11")
            r.config_set("slowlog-log-slower-than", 1000)
            r.config_set("slowlog-max-len", 100_000)
            r.slowlog_reset()
            migrating = await _open(RedisStore(url))
            calls = [
                e["duration"] / 1e6
                for e in r.slowlog_get(100_000)
                if bytes(e["command"]).upper().startswith(b"EVAL")
            ]
        plain = await _open(RedisStore(url))
    finally:
        server.stop()
    return {
        "store": "redis",
        "migrating": migrating,
        "plain": plain,
        "longest": max(calls, default=0.0),
        "calls": len(calls),
    }


async def run(n: int, stores: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-schema12-") as tmp:
        if "sqlite" in stores:
            rows.append(await _sqlite(Path(tmp), n))
        if "redis" in stores:
            rows.append(await _redis(Path(tmp), n))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.schema_12")
    parser.add_argument("incidents", nargs="?", type=int, default=100_000)
    parser.add_argument("--stores", default="sqlite,redis")
    args = parser.parse_args(argv)
    rows = asyncio.run(run(args.incidents, args.stores.split(",")))
    print(f"opening a store of {args.incidents:,} incidents, s")
    print(f"{'store':<7} {'to schema 12':>13} {'at 12':>7}  longest script call (calls > 1 ms)")
    for r in rows:
        held = f"  {r['longest']:.3f} ({r['calls']})" if "longest" in r else ""
        print(f"{r['store']:<7} {r['migrating']:>13.2f} {r['plain']:>7.2f}{held}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
