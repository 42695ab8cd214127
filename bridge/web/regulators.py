"""What the console and the API say about the regulators of the enabled rule sets: which apply
to an incident's jurisdictions, their criteria in plain words, and the connections thresholds
the incident page's chart draws.

Contract: a regulator applies to an incident when one of its enabled outage rule sets is of
one of the incident's jurisdictions (ENISA's reference matrix is configured for SE, so it is
shown on Swedish incidents only); verdicts of regulators that cannot apply are not shown. An
incident whose jurisdictions are unknown (nothing mapped) shows every regulator.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bridge.config import LoadedConfig


def jurisdictions(loaded: LoadedConfig) -> dict[str, list[str]]:
    """regulator → the jurisdictions of its enabled outage rule sets."""
    out: dict[str, list[str]] = {}
    for rs in loaded.enabled_rule_sets():
        out.setdefault(rs.regulator, [])
        if rs.jurisdiction not in out[rs.regulator]:
            out[rs.regulator].append(rs.jurisdiction)
    return out


def applicable(loaded: LoadedConfig, incident_jurisdictions: Iterable[str]) -> list[str]:
    """The regulators that can apply to an incident of ``incident_jurisdictions`` (all of them
    while its jurisdictions are unknown: none can be ruled out)."""
    wanted = set(incident_jurisdictions)
    return [r for r, js in jurisdictions(loaded).items() if not wanted or wanted & set(js)]


def criteria(loaded: LoadedConfig) -> dict[str, dict[str, str]]:
    """rule set id → criterion id → its description (the rule set's own words)."""
    return {
        rs.id: {c.id: c.description or c.id.replace("-", " ") for c in rs.criteria}
        for rs in loaded.enabled_rule_sets()
    }


def thresholds(loaded: LoadedConfig) -> list[dict[str, Any]]:
    """The connections criteria (one service's active connections for a while): regulator,
    criterion, connections, minutes and description, for the chart."""
    return [
        {
            "regulator": rs.regulator,
            "criterion": c.id,
            "connections": c.min_connections,
            "minutes": int(c.min_duration.total_seconds() // 60),
            "description": c.description,
        }
        for rs in loaded.enabled_rule_sets()
        for c in rs.criteria
        if c.kind == "connections" and c.min_connections
    ]
