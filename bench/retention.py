"""``python -m bench.retention [N]``: one pruning pass over a SQLite store holding N settled
incidents (two alerts each, every tenth with a sent notice), dry then real, and how long the
event loop was held meanwhile (a 10 ms probe timer's worst lateness). Also the time to count
the records per kind. See bench/README.md ("Retention")."""

from __future__ import annotations

import asyncio
import gc
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bridge.core.alerts import parse_webhook
from bridge.core.retention import Periods
from bridge.retention.pruner import Pruner
from bridge.store.records import DraftRecord, IncidentRecord
from bridge.store.sqlite import SqliteStore

OLD = datetime(2019, 1, 1, tzinfo=UTC)
#: about the size of a stored incident's document (impact by region, assessments)
DOCUMENT = {
    "ended_at": "2019-01-01T01:00:00Z",
    "obligations": [{"state": "sent", "due_at": "2019-01-01T02:00:00Z"}],
    "impact": {"by_region": {f"r{i}": i for i in range(40)}},
    "assessments": [{"reason": "y" * 800}],
}


def _alert(fingerprint: str) -> dict[str, object]:
    return {
        "status": "resolved",
        "labels": {"alertname": "LinkDown", "link": fingerprint},
        "annotations": {},
        "startsAt": "2019-01-01T00:00:00Z",
        "endsAt": "2019-01-01T00:10:00Z",
        "fingerprint": fingerprint,
        "generatorURL": "",
    }


async def seed(store: SqliteStore, n: int) -> None:
    """N settled incidents, their alerts (in 1,000-alert webhooks), a sent notice per ten."""
    at = OLD + timedelta(hours=1)
    for start in range(0, n, 500):
        ids = range(start, min(start + 500, n))
        alerts = [_alert(f"fp{i}{x}") for i in ids for x in "ab"]
        body = {
            "version": "4",
            "status": "resolved",
            "receiver": "bridge",
            "groupKey": "g",
            "truncatedAlerts": 0,
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager",
            "alerts": alerts,
        }
        await store.ingest(parse_webhook(body, at), at)
        await store.save_incidents(
            [
                IncidentRecord(
                    f"inc-{i:07d}",
                    "k",
                    OLD,
                    "closed",
                    [(f"fp{i}a", OLD), (f"fp{i}b", OLD)],
                    None,
                    DOCUMENT,
                )
                for i in ids
            ]
        )
    for i in range(0, n, 10):
        notice = DraftRecord(f"d{i}", f"inc-{i:07d}", "sent", 1, OLD, {"text": "y" * 2000})
        await store.put_draft(notice, None, [])


async def run(n: int) -> None:
    gc.set_threshold(50_000, 20, 100)  # as BridgeService.start does
    folder = Path(tempfile.mkdtemp(prefix="bench-retention-"))
    store = SqliteStore(f"sqlite:///{folder / 'bridge.sqlite3'}")
    await store.open()
    try:
        await seed(store, n)
        t0 = time.perf_counter()
        counts = await store.count_records()
        print(f"stored: {counts} (counted in {1000 * (time.perf_counter() - t0):.1f} ms)")
        loop = asyncio.get_running_loop()
        worst, running = 0.0, True

        async def probe() -> None:
            nonlocal worst
            while running:
                asked = loop.time()
                await asyncio.sleep(0.01)
                worst = max(worst, loop.time() - asked - 0.01)

        prober = asyncio.create_task(probe())
        for dry in (True, False):
            worst = 0.0
            pruner = Pruner(store, Periods(), 500, lambda: datetime.now(UTC))
            t0 = time.perf_counter()
            report = await pruner.run(dry_run=dry)
            took = time.perf_counter() - t0
            print(
                f"{'dry ' if dry else 'real'}: {report.counts} in {took:.2f} s; "
                f"event loop held at most {1000 * worst:.1f} ms"
            )
        running = False
        await prober
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
