"""The dashboards' state panels use colours that mean what they say (issue 19, item 9): a sent
notice is not red, a failed e-mail is; an incident whose impact is unknown reads "impact
unknown", not "not reportable"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "reportability.json"


def panel(title: str) -> dict[str, Any]:
    panels = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    (found,) = [p for p in panels if p["title"] == title]
    return found  # type: ignore[no-any-return]


def colour_of(p: dict[str, Any], state: str, value: int) -> str:
    """The colour a stat series named ``state`` shows at ``value`` (Grafana's rules: a
    fixed-colour override wins, else the series' thresholds, else the defaults')."""
    config = p["fieldConfig"]
    steps = config["defaults"]["thresholds"]["steps"]
    for override in config["overrides"]:
        if override["matcher"]["options"] != state:
            continue
        for prop in override["properties"]:
            if prop["id"] == "color" and prop["value"]["mode"] == "fixed":
                return str(prop["value"]["fixedColor"])
            if prop["id"] == "thresholds":
                steps = prop["value"]["steps"]
    colour = steps[0]["color"]
    for step in steps[1:]:
        if value >= step["value"]:
            colour = step["color"]
    return str(colour)


def test_a_sent_notice_is_never_red_and_a_failed_one_is() -> None:
    notices = panel("Notices by state")
    assert colour_of(notices, "sent", 12) == "green"
    assert colour_of(notices, "withdrawn", 3) != "red"
    assert colour_of(notices, "failed", 1) == "red"
    assert colour_of(notices, "in_doubt", 1) == "red"
    assert colour_of(notices, "failed", 0) == "green"
    assert colour_of(notices, "draft", 2) == "orange"  # waits for a person, not an error


def test_owed_reports_are_red_only_when_overdue() -> None:
    owed = panel("Owed reports by state")
    assert colour_of(owed, "sent", 40) == "green"
    assert colour_of(owed, "rejected", 2) != "red"
    assert colour_of(owed, "overdue", 1) == "red"
    assert colour_of(owed, "open", 1) == "orange"


def test_the_reportability_table_names_impact_unknown() -> None:
    table = panel("Reportability per open incident")
    (mapping,) = table["fieldConfig"]["defaults"]["mappings"]
    words = {value: m["text"] for value, m in mapping["options"].items()}
    assert words["0"] == "not reportable" and words["2"] == "impact unknown"
    assert mapping["options"]["2"]["color"] != "green"
    assert "bridge_incident_impact_unknown" in table["targets"][0]["expr"]
