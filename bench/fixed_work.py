"""``python -m bench.fixed_work [--alerts N] [--requests M]``: the bridge's CPU for a fixed
amount of work, to compare code versions when the machine is shared.

The webhook benchmark runs each case for a time, so a faster bridge gets through more requests,
its incidents grow larger, and its CPU per request then counts a larger state: its figure
drifts with the run's length as well as with the code. Here a fresh bridge (a subprocess, as in
the webhook benchmark: the same configuration, inventory and bodies of new alerts) gets exactly
M webhooks of N new alerts, one at a time; once the evaluation they caused has settled (the
server's CPU time stops moving), the server's CPU time since it was ready, from ``/proc``,
divided by M is printed. Evaluation and the replica machinery's background work are included,
as they are in the webhook benchmark's figure. With ``--profile FILE`` the bridge's event
loop runs under cProfile (its CPU figure then counts the profiler too). Linux only. Not part
of ``python -m bench``; run it for each code version alternately, several times (see
bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

import aiohttp

from bench.bodies import BodyFactory, builders
from bench.inventory import generate, write_csv
from bench.webhook import INVENTORY_SIZE, MAX_BODY, Server, _headers


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(alerts: int, requests: int, profile: Path | None = None) -> float:
    """The bridge's CPU milliseconds per request for ``requests`` webhooks of ``alerts``."""
    with tempfile.TemporaryDirectory(prefix="bridge-fixed-work-") as tmp:
        root = Path(tmp)
        inventory = generate(INVENTORY_SIZE)
        config = builders().write_config(
            root,
            inventory=write_csv(inventory, root / "inventory.csv"),
            extra={
                "server": {"listen": "127.0.0.1:0", "max_body_bytes": MAX_BODY},
                "regulators": {"enisa": {"rule_set": "enisa-matrix"}},
            },
        )
        factory = BodyFactory(inventory, alerts, variants=16).prepare()
        with Server("bridge", root, config, profile=profile) as bridge:
            await bridge.wait_ready()
            await asyncio.sleep(1.0)  # start-up work done
            before = _cpu_seconds(bridge.proc.pid)
            async with aiohttp.ClientSession() as session:
                for seq in range(requests):
                    async with session.post(
                        bridge.base + "/api/v1/alertmanager",
                        data=factory(10_000_000 + seq),
                        headers=_headers(),
                    ) as resp:
                        if resp.status != 200:
                            raise RuntimeError(f"{resp.status}: {await resp.text()}")
            last = _cpu_seconds(bridge.proc.pid)
            while True:  # until the evaluation has settled
                await asyncio.sleep(0.5)
                now = _cpu_seconds(bridge.proc.pid)
                if now - last < 0.02:
                    break
                last = now
        return 1000 * (now - before) / requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fixed_work")
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--profile", type=Path, help="run the bridge's event loop under cProfile; report here"
    )
    args = parser.parse_args(argv)
    ms = asyncio.run(run(args.alerts, args.requests, args.profile))
    print(f"{args.requests} webhooks of {args.alerts} new alerts: bridge CPU {ms:.2f} ms/request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
