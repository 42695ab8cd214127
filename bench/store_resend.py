"""``python -m bench.store_resend [--resends N] [--callers C]``: what recording a re-sent group
costs the SQLite store, in-process: C callers (default 16, the webhook benchmark's connections)
each re-send two of 2 × C stored 10-alert groups (the webhook benchmark's bodies) in turn
through ``SqliteStore.seen_again`` until N re-sends (default 4 000) were recorded, group
committed and fsynced as the bridge does.

Prints the process CPU time per re-send, split into the event loop's thread (queueing the
write, the batch's hand-over, waking each caller) and the other threads (the writer: its
statements, the commit and its fsync's system time), from ``/proc/self/task``, and the re-sends
per second of wall time. No HTTP, no engine: the store's part of a re-sent webhook only. To
compare code versions, run it for each alternately, several times, on the same disk (a shared
machine swings single runs by 10–20 %). Not part of ``python -m bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.bodies import BodyFactory
from bench.inventory import generate
from bench.webhook import INVENTORY_SIZE
from bridge.core.alerts import DEFAULT_LIMITS
from bridge.core.webhook_decode import decode_webhook
from bridge.store.records import DeliveryRecord
from bridge.store.sqlite import SqliteStore


def _thread_cpu() -> dict[str, float]:
    """Each thread's user + system CPU seconds so far."""
    tick = os.sysconf("SC_CLK_TCK")
    cpu: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            stat = Path(f"/proc/self/task/{tid}/stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        cpu[tid] = (int(fields[11]) + int(fields[12])) / tick
    return cpu


async def run(resends: int, callers: int, folder: Path) -> tuple[float, float, float, float]:
    """CPU µs per re-send (all, event loop, other threads) and re-sends per second."""
    factory = BodyFactory(generate(INVENTORY_SIZE), 10, variants=2 * callers, repeat=True)
    factory.prepare()
    store = SqliteStore(f"sqlite:///{folder / 'bridge.sqlite3'}")
    await store.open()
    try:
        now = datetime.now(UTC)
        groups: list[tuple[int, int, DeliveryRecord]] = []
        for v in range(2 * callers):
            delivery = decode_webhook(factory(v), now, DEFAULT_LIMITS)
            assert delivery is not None
            stored, change = await store.ingest_numbered(delivery, now)
            groups.append((change, len(stored), DeliveryRecord.of(delivery, now)))
        left = resends

        async def caller(i: int) -> None:
            nonlocal left
            turn = 0
            while left > 0:
                left -= 1
                slot = i + callers * (turn % 2)
                turn += 1
                change, count, first = groups[slot]
                record = DeliveryRecord(
                    datetime.now(UTC),
                    first.receiver,
                    first.group_key,
                    first.status,
                    first.alerts,
                    first.truncated,
                )
                moved = await store.seen_again(change, count, record)
                if moved is None:
                    raise RuntimeError("a re-send was refused: the benchmark is broken")
                groups[slot] = (moved, count, first)

        loop_thread = str(threading.get_native_id())
        before, wall, cpu = _thread_cpu(), time.perf_counter(), time.process_time()
        await asyncio.gather(*(caller(i) for i in range(callers)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        after = _thread_cpu()
    finally:
        await store.close()
    on_loop = after.get(loop_thread, 0.0) - before.get(loop_thread, 0.0)
    per = 1e6 / resends
    return cpu * per, on_loop * per, (cpu - on_loop) * per, resends / wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.store_resend")
    parser.add_argument("--resends", type=int, default=4_000)
    parser.add_argument("--callers", type=int, default=16)
    parser.add_argument("--tmpdir", type=Path, default=None, help="a real disk (fsync)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bridge-store-resend-", dir=args.tmpdir) as tmp:
        total, on_loop, others, rate = asyncio.run(run(args.resends, args.callers, Path(tmp)))
    print(
        f"{args.resends} re-sends of 10-alert groups, {args.callers} callers: "
        f"{total:.1f} µs CPU each (event loop {on_loop:.1f}, writer and others {others:.1f}), "
        f"{rate:,.0f} re-sends/s; load average {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
