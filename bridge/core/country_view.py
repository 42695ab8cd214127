"""One country's part of an incident document: what a notice to that country's regulator counts.
Pure.

Contract:
- An incident document's ``impact.by_jurisdiction`` holds each country's own part of the impact
  (:func:`country_json` of :class:`bridge.core.impact.CountryImpact`): the same figures as
  ``impact`` (``current``, ``peak``, ``peak_at``, ``by_service``, ``by_region``,
  ``current_by_service_region``, ``outage``, ``degradation``), counted over that country's
  elements only, and ``customers``: how many customers its affected connections can be, at
  least and at most (:func:`bridge.core.impact.reach`), now, at the peak, per region, for the
  outage and the degradation; ``severities``, those of its firing alerts now.
- :func:`scoped` is the document as a notice to one country's regulator reads it: ``impact``
  replaced by that country's part (``flags``, ``region_names`` and the rest kept; ``flags``
  are per country already) and ``impact.elsewhere``, the other countries the incident
  affected, which a notice may name in words, never with their figures. A document without
  ``by_jurisdiction`` (stored by older code) is returned as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bridge.core.alerts import format_time
from bridge.core.impact import CountryImpact

#: the key of each country's part in a document's ``impact``
BY_JURISDICTION = "by_jurisdiction"
#: the key of the other countries affected in a scoped document's ``impact``
ELSEWHERE = "elsewhere"


def country_json(c: CountryImpact) -> dict[str, Any]:
    """One country's part of the impact as the document holds it (see the module contract)."""
    return {
        "current": c.current,
        "peak": c.peak,
        "peak_at": format_time(c.reach_peak_at),
        "by_service": dict(c.by_service),
        "by_region": dict(c.by_region),
        "current_by_service_region": [
            {"service": s, "region": r, "connections": n}
            for (s, r), n in sorted(c.current_by_service_region.items())
        ],
        "outage": {
            "current": c.outage_current,
            "peak": c.outage_peak,
            "customers": list(c.outage_reach),
        },
        "degradation": {
            "current": c.degradation_current,
            "peak": c.degradation_peak,
            "customers": list(c.degradation_reach),
        },
        "customers": {
            "current": list(c.reach_current),
            "peak": list(c.reach_peak),
            "by_region": {r: list(v) for r, v in sorted(c.region_reach.items())},
        },
        "severities": list(c.severities),
    }


def scoped(doc: Mapping[str, Any], jurisdiction: str) -> Mapping[str, Any]:
    """``doc`` as a notice to ``jurisdiction``'s regulator reads it (the module contract)."""
    impact: Mapping[str, Any] = doc.get("impact") or {}
    countries = impact.get(BY_JURISDICTION)
    if not isinstance(countries, Mapping):
        return doc
    own: Mapping[str, Any] = countries.get(jurisdiction) or {
        "current": 0,
        "peak": 0,
        "peak_at": None,
        "by_service": {},
        "by_region": {},
        "current_by_service_region": [],
        "outage": {"current": 0, "peak": 0, "customers": [0, 0]},
        "degradation": {"current": 0, "peak": 0, "customers": [0, 0]},
        "customers": {"current": [0, 0], "peak": [0, 0], "by_region": {}},
        "severities": [],
    }
    elsewhere = sorted(
        j
        for j, part in countries.items()
        if j != jurisdiction and isinstance(part, Mapping) and int(part.get("peak") or 0) > 0
    )
    view = {k: v for k, v in impact.items() if k != BY_JURISDICTION}
    view.update(own)
    view[ELSEWHERE] = elsewhere
    return {**doc, "impact": view}
