"""``python -m bench.store_reads [N]``: reading chosen alerts back from a SQLite store that holds
N of them, as opening an old incident (its alerts by key) and a restart (live incidents' older
alerts) do, against the BASELINE of the same read written as ``IN (VALUES …)``, which SQLite
plans as a scan of every stored alert. Both run on the store's own reader connection in the
same run; the rows are checked equal.

Per N (default 10 000 and 100 000; alerts written in 1 000-alert webhooks with fingerprints
spread as Alertmanager's are), the median of repeated reads of 10 and of 500 keys. Nothing here
is a test: tests/integration/store/test_stored_forms.py checks the plan uses the index.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.bodies import builders
from bridge.core.alerts import parse_webhook
from bridge.store.codec import ts
from bridge.store.sqlite import SqliteStore
from bridge.store.sqlite.alerts import _READ_ALERTS, read_keys_sql

AT = datetime(2026, 11, 1, tzinfo=UTC)
SIZES = (10_000, 100_000)
READS = (10, 500)


def _body(keys: list[tuple[str, datetime]]) -> dict[str, Any]:
    b = builders()
    alerts = [
        b.alert(fp, start, link=fp, site="site-0001", annotations={"summary": "link down"})
        for fp, start in keys
    ]
    return b.webhook(*alerts, group_key="g")


def _scan_sql(count: int) -> str:
    """The BASELINE: the same read as ``IN (VALUES …)`` (how it was written before)."""
    marks = ",".join(["(?,?)"] * count)
    return f"{_READ_ALERTS} WHERE (a.fingerprint, a.starts_at) IN (VALUES {marks})"


async def _run(n: int, folder: Path, reps: int) -> dict[str, Any]:
    rnd = random.Random(n)
    store = SqliteStore(f"sqlite:///{folder / f'reads-{n}.sqlite3'}")
    await store.open()
    keys: list[tuple[str, datetime]] = []
    try:
        for start in range(0, n, 1000):
            batch = [
                (f"{rnd.getrandbits(64):016x}", AT + timedelta(seconds=(start + i) % 80_000))
                for i in range(min(1000, n - start))
            ]
            keys += batch
            await store.ingest(parse_webhook(_body(batch), AT), AT)
        out: dict[str, Any] = {"alerts": n}
        reader = store._reader  # the store's own read connection (bench only)
        assert reader is not None
        for count in READS:
            times: dict[str, list[float]] = {"index": [], "scan": []}
            for _ in range(reps):
                chosen = rnd.sample(keys, count)
                params = [v for fp, start in chosen for v in (fp, ts(start))]
                t0 = time.perf_counter()
                found = reader.execute(read_keys_sql(count), params).fetchall()
                t1 = time.perf_counter()
                scanned = reader.execute(_scan_sql(count), params).fetchall()
                t2 = time.perf_counter()
                assert sorted(found) == sorted(scanned) and len(found) == count
                times["index"].append(t1 - t0)
                times["scan"].append(t2 - t1)
            index_ms = statistics.median(times["index"]) * 1000
            scan_ms = statistics.median(times["scan"]) * 1000
            out[f"read_{count}"] = {
                "ms": round(index_ms, 3),
                "baseline_scan_ms": round(scan_ms, 3),
                "ratio": round(index_ms / scan_ms, 4),
            }
        return out
    finally:
        await store.close()


def run(sizes: tuple[int, ...] = SIZES, reps: int = 9) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bridge-store-reads-") as tmp:
        return [asyncio.run(_run(n, Path(tmp), reps)) for n in sizes]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    sizes = tuple(int(a) for a in args) or SIZES
    print("reading chosen alerts by key from a SQLite store of N alerts (median ms)")
    print(f"{'N':>9}{'keys':>6}{'by index':>11}{'BASELINE scan':>15}{'ratio':>9}")
    for res in run(sizes):
        for count in READS:
            r = res[f"read_{count}"]
            print(
                f"{res['alerts']:>9}{count:>6}{r['ms']:>11.3f}{r['baseline_scan_ms']:>15.3f}"
                f"{r['ratio'] * 100:>8.2f}%"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
