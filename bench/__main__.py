"""``python -m bench [--quick] [--only NAME] [--stores …] [--profile]``

NAME: webhook, evaluation, covering, growth, soak or scrape.

Runs the benchmarks, prints the tables (progress goes to stderr) and writes every figure as JSON
to ``bench/results/latest.json``. Aims are printed as MET/MISSED; the exit status is 0 whatever
they say (non-zero only when a benchmark could not run). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench import covering, evaluation, growth, report, scrape, soak, webhook

RESULTS = Path(__file__).resolve().parent / "results"


def _progress(*args: Any, end: str = "\n") -> None:
    print(*args, end=end, file=sys.stderr, flush=True)


def fsync_probe(folder: Path | None, n: int = 20) -> float:
    """Median milliseconds of write+fsync of 4 KiB in ``folder`` (what one group commit pays)."""
    samples = []
    with tempfile.NamedTemporaryFile(dir=folder, prefix="fsync-probe-") as fh:
        for _ in range(n):
            fh.write(b"x" * 4096)
            fh.flush()
            t0 = time.perf_counter()
            os.fsync(fh.fileno())
            samples.append(time.perf_counter() - t0)
    return round(statistics.median(samples) * 1000, 3)


def environment(tmpdir: Path | None, quick: bool) -> dict[str, Any]:
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "tmpdir": str(tmpdir or tempfile.gettempdir()),
        "fsync_ms_median": fsync_probe(tmpdir),
        "quick": quick,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[2])
    parser.add_argument("--quick", action="store_true", help="short runs, fewer repetitions")
    parser.add_argument(
        "--only",
        choices=["webhook", "evaluation", "covering", "growth", "soak", "scrape"],
        help="run one benchmark",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json", help="JSON results")
    parser.add_argument(
        "--tmpdir",
        type=Path,
        default=None,
        help="where the bridge's SQLite files go (default: the system temp "
        "folder; it must be a real disk for fsync to mean anything)",
    )
    parser.add_argument(
        "--stores",
        default="sqlite,redis",
        help="stores the webhook benchmark runs the bridge on, comma-separated (default "
        "sqlite,redis; redis starts its own redis-server on loopback)",
    )
    parser.add_argument(
        "--cases",
        default=None,
        help="run only the webhook cases whose name contains this text (e.g. repeated)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run each bridge server under cProfile; reports next to --out",
    )
    args = parser.parse_args(argv)

    env = environment(args.tmpdir, args.quick)
    started = time.perf_counter()
    results: dict[str, Any] = {"environment": env}
    sections: list[str] = []
    aims: list[dict[str, Any]] = []
    args.out.parent.mkdir(parents=True, exist_ok=True)

    if args.only in (None, "webhook"):
        _progress("webhook benchmark …")
        res = asyncio.run(
            webhook.run(
                quick=args.quick,
                tmpdir=args.tmpdir,
                profile_dir=args.out.parent if args.profile else None,
                log=_progress,
                stores=tuple(s.strip() for s in args.stores.split(",") if s.strip()),
                cases_named=args.cases,
            )
        )
        results["webhook"] = res
        sections.append(report.webhook(res))
        aims += res["aims"]
    if args.only in (None, "evaluation"):
        _progress("evaluation benchmark …")
        res = evaluation.run(quick=args.quick, log=_progress)
        results["evaluation"] = res
        sections.append(report.evaluation(res))
        aims += res["aims"]

    if args.only in (None, "covering"):
        _progress("covering benchmark …")
        res = covering.run(quick=args.quick, log=_progress)
        results["covering"] = res
        sections.append(covering.table(res))

    if args.only in (None, "growth"):
        _progress("growth benchmark …")
        res = growth.run(quick=args.quick, log=_progress)
        results["growth"] = res
        sections.append(growth.table(res))

    if args.only in (None, "soak"):
        _progress("soak benchmark …")
        res = asyncio.run(
            soak.run(
                quick=args.quick,
                tmpdir=args.tmpdir,
                log=_progress,
                stores=tuple(s.strip() for s in args.stores.split(",") if s.strip()),
            )
        )
        results["soak"] = res
        sections.append(soak.table(res))
        aims += res["aims"]

    if args.only in (None, "scrape"):
        _progress("scrape benchmark …")
        res = asyncio.run(scrape.run(quick=args.quick, tmpdir=args.tmpdir, log=_progress))
        results["scrape"] = res
        sections.append(scrape.table(res))

    env["duration_s"] = round(time.perf_counter() - started, 1)
    results["aims"] = aims
    header = (
        f"incident-bridge benchmarks{' (--quick)' if args.quick else ''} — {env['started_at']}, "
        f"Python {env['python']}, aiohttp {env['aiohttp']}, {env['cpus']} CPUs, "
        f"temp dir {env['tmpdir']} (fsync {env['fsync_ms_median']} ms), "
        f"took {env['duration_s']} s"
    )
    print("\n\n".join([header, *sections, report.aims(aims)]))
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nJSON results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
