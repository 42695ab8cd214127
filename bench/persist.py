"""``python -m bench.persist``: what writing an incident's stored record costs as the incident
grows, against the same record's JSON built value by value (the stored form made in Python,
how the record codec made it before) and against the floor (``orjson.dumps`` of episodes
whose instants are text already), all measured in the same run.

An incident's record is upserted whole at each evaluation that changes it (its episodes as
an array of ``[fingerprint, starts_at]`` pairs); in a storm that array holds thousands of
pairs. Per size N (100, 1 000, 10 000 episodes), the median of repeated runs of:

- ``row``: :func:`bridge.store.sqlite.guards.to_row` of the record (SQLite's columns);
- ``encode``: :func:`bridge.store.record_codec.encode` (the Redis store's text);
- ``by value``: the same text, the record's fields built value by value in Python first;
- ``floor``: ``orjson.dumps`` of the episodes with their instants already text.

Nothing here is a test (the text is checked equal to the by-value form here and in
tests/unit/test_store_codec.py).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from bridge.store.codec import dumps, ts
from bridge.store.record_codec import encode
from bridge.store.records import IncidentRecord
from bridge.store.sqlite.guards import to_row
from bridge.store.sqlite.incidents import COLUMNS

SIZES = (100, 1_000, 10_000)
_JSON_COLUMNS = ("episodes", "document")
T0 = datetime(2026, 11, 30, tzinfo=UTC)


def _by_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return ts(value)
    if isinstance(value, list | tuple):
        return [_by_value(v) for v in value]
    return value


def _record(n: int) -> IncidentRecord:
    episodes = [(f"{i:016x}", T0 + timedelta(seconds=i * 0.37)) for i in range(n)]
    return IncidentRecord("INC-1", "topo:site-a", T0, "open", episodes, None, {"title": "x"})


def _median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def run(repeat: int = 15) -> list[dict[str, Any]]:
    rows = []
    for n in SIZES:
        record = _record(n)
        by_value = {
            "id": record.id,
            "key": record.key,
            "started_at": ts(record.started_at),
            "state": record.state,
            "episodes": _by_value(record.episodes),
            "merged_into": None,
            "document": record.document,
            "settled_at": None,
        }
        assert encode(record) == dumps(by_value)
        as_text = [[fp, ts(at)] for fp, at in record.episodes]
        figures = {
            "row": _median_ms(lambda r=record: to_row(r, COLUMNS, _JSON_COLUMNS), repeat),
            "encode": _median_ms(lambda r=record: encode(r), repeat),
            "by value": _median_ms(
                lambda r=record, b=by_value: dumps({**b, "episodes": _by_value(r.episodes)}), repeat
            ),
            "floor": _median_ms(lambda t=as_text: orjson.dumps(t), repeat),
        }
        rows.append({"episodes": n, **{k: round(v, 3) for k, v in figures.items()}})
    return rows


def main() -> int:
    rows = run()
    columns = ["episodes", "row ms", "encode ms", "by value ms", "floor ms"]
    print("| " + " | ".join([*columns, "encode / by value", "encode / floor"]) + " |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['episodes']} | {r['row']} | {r['encode']} | {r['by value']} | {r['floor']} "
            f"| {r['encode'] / r['by value']:.2f} | {r['encode'] / r['floor']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
