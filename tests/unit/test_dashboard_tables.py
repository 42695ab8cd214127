"""The dashboards' tables and legends say what they show: a deadline table lists the nearest
deadline first, a legend names what its series counts, and a verdict that owes no regulator
a report (``binding="false"``) is never summed in with those that do."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
FILES = ("reportability.json", "bridge-health.json")
WORD = re.compile(r"[a-z0-9]+")
BY = re.compile(r"\bby \(([^)]*)\) \((bridge_[a-z_]+)")


def panels() -> Iterator[tuple[str, dict[str, Any]]]:
    for name in FILES:
        for p in json.loads((DASHBOARDS / name).read_text(encoding="utf-8"))["panels"]:
            yield name, p


def stems(text: str) -> set[str]:
    return {w.removesuffix("s") for w in WORD.findall(text.lower())}


def test_deadline_tables_list_the_nearest_deadline_first() -> None:
    """Each table of time to a deadline (the owed reports', the privacy cases') sorts by that
    column ascending: overdue (negative) first, then the soonest."""
    tables = [p for _, p in panels() if p["type"] == "table" and "deadline" in p["title"].lower()]
    assert {p["id"] for p in tables} >= {12, 17}, [p["title"] for p in tables]
    for p in tables:
        [organize] = [t for t in p["transformations"] if t["id"] == "organize"]
        column = organize["options"]["renameByName"]["Value"]
        assert p["options"].get("sortBy") == [{"displayName": column, "desc": False}], p["title"]


def test_a_plain_legend_names_what_its_series_counts() -> None:
    """A legend without label templates uses only words of its panel's title or query (the
    leader panel's series once read "stale"; plurals aside)."""
    for name, p in panels():
        for t in p.get("targets", []):
            legend = t.get("legendFormat", "")
            if not legend or "{{" in legend:
                continue
            known = stems(f"{p['title']} {t['expr']}")
            assert stems(legend) <= known, (name, p["title"], legend)


def test_reportability_is_never_summed_across_binding() -> None:
    """Every aggregation of the reportability and forecast gauges keeps ``binding``, so an
    internal threshold or ENISA's reference matrix is never counted as a duty to report."""
    seen = 0
    for name, p in panels():
        for t in p.get("targets", []):
            for labels, metric in BY.findall(t["expr"]):
                if metric in (
                    "bridge_incident_reportable",
                    "bridge_incident_seconds_to_reportable",
                ):
                    seen += 1
                    assert "binding" in labels, (name, p["title"], t["expr"])
    assert seen >= 4
