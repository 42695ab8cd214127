"""Which regulators apply to an incident, the criteria's words and the chart's thresholds, from
the shipped rule sets (bridge/web/regulators.py)."""

from __future__ import annotations

from pathlib import Path

from builders import write_config

from bridge.config import load_config
from bridge.web import regulators


def loaded(tmp_path: Path):
    regs = {
        "pts": {"rule_set": "pts-outage", "recipient": "incidentrapport@pts.se"},
        "nkom": {"rule_set": "nkom-varsel", "recipient": "ekomvarsling@nkom.no"},
        "enisa": {"rule_set": "enisa-matrix"},
    }
    return load_config(write_config(tmp_path, extra={"regulators": regs}), env={})


def test_only_the_regulators_of_the_incidents_countries_apply(tmp_path: Path) -> None:
    """Nkom for Norway; PTS and ENISA's reference matrix (configured for SE) for Sweden; all
    three for an incident in both; all while the jurisdictions are unknown."""
    config = loaded(tmp_path)
    assert regulators.applicable(config, ["NO"]) == ["nkom"]
    assert sorted(regulators.applicable(config, ["SE"])) == ["enisa", "pts"]
    assert sorted(regulators.applicable(config, ["SE", "NO"])) == ["enisa", "nkom", "pts"]
    assert sorted(regulators.applicable(config, [])) == ["enisa", "nkom", "pts"]


def test_criteria_words_and_connection_thresholds(tmp_path: Path) -> None:
    config = loaded(tmp_path)
    words = regulators.criteria(config)
    assert words["nkom-varsel"]["societal"].startswith("a societally important function")
    thresholds = {t["criterion"]: t for t in regulators.thresholds(config)}
    assert thresholds["conn-1k-8h"] == {
        "regulator": "pts",
        "criterion": "conn-1k-8h",
        "connections": 1000,
        "minutes": 480,
        "description": "illustrative: at least 1 000 active connections of one service for 8 h",
    }
    assert all(t["connections"] > 0 for t in thresholds.values())
