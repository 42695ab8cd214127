"""``python -m bench.draft_book [N …]``: what the evaluation timer's reconciliation pays to find
each case's drafts in the draft book, at N drafts of N cases (default 1 000 and 10 000).

``Drafting.reconcile`` asks the book for the drafts of every case it visits
(``DraftBook.of_case``); with 10^4 open incidents it visits 10^4 cases. Two ways, in the same
run, over the same drafts: the BASELINE, a pass over every draft for each case (what
``of_case`` did until the book filed drafts by case), and ``DraftsById.of`` (the filing,
bridge/notices/drafts_by_case.py). Printed: milliseconds for one visit of every case (the
loop is held that long), the median of 5, and the ratio. Nothing here is a test.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bridge.core.casework import Draft
from bridge.notices.drafts_by_case import DraftsById

T = datetime(2026, 12, 1, tzinfo=UTC)


def _drafts(n: int) -> list[Draft]:
    return [
        Draft(
            f"inc-{i:06d}.nkom_varsel",
            f"inc-{i:06d}",
            "nkom",
            "nkom_varsel",
            1,
            "outage",
            "draft",
            1,
            T,
            T,
            (),
        )
        for i in range(n)
    ]


def _ms(visit: Callable[[], None]) -> float:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        visit()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def measure(n: int) -> tuple[float, float]:
    """(baseline ms, filed ms) for one visit of each of ``n`` cases among ``n`` drafts."""
    drafts = _drafts(n)
    plain = {d.id: d for d in drafts}
    filed = DraftsById(drafts)
    cases = [d.incident_id for d in drafts]

    def scan() -> None:
        for case in cases:
            [d for d in plain.values() if d.incident_id == case]

    def lookup() -> None:
        for case in cases:
            filed.of(case)

    return _ms(scan), _ms(lookup)


def main(argv: list[str] | None = None) -> int:
    sizes = [int(a) for a in (argv if argv is not None else sys.argv[1:])] or [1_000, 10_000]
    print("drafts = cases | baseline: a pass per case, ms | filed by case, ms | baseline / filed")
    for n in sizes:
        scan, lookup = measure(n)
        print(f"{n:>14,} | {scan:>27.1f} | {lookup:>17.2f} | {scan / lookup:>15.0f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
