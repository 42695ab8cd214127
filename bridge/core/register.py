"""The register (förteckning) of privacy incidents: one row per case, as of ``now``. Pure.

Contract: :data:`COLUMNS` names the columns, in order (the CSV and XLSX header); :func:`row`
turns a case, what it owes and when each report was sent into text cells, one per column.
Times are RFC 3339 UTC; lists are joined with ``, ``; the reports cell lists each owed kind as
``kind: state`` (with the sent time once sent); ``subscriber_distribution`` says per
handed-over subscriber notice how it reached the subscribers, or that it was handed to the
operator's address and is not yet recorded as reached. The register holds every case ever opened,
closed ones included (the store never deletes one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bridge.core.alerts import format_time
from bridge.core.obligations import Obligation
from bridge.core.privacy import PrivacyCase

COLUMNS = (
    "id",
    "state",
    "nature",
    "jurisdictions",
    "source",
    "detected_at",
    "occurred_at",
    "occurred_estimated",
    "circumstances",
    "circumstances_text",
    "description",
    "location",
    "causes",
    "consequences",
    "data_categories",
    "data_description",
    "affected",
    "measures_taken",
    "measures_planned",
    "other_providers",
    "cross_border",
    "unreadable",
    "unreadable_how",
    "exemption",
    "outcome",
    "closure",
    "reports",
    "subscriber_distribution",
    "created_at",
    "updated_at",
    "revision",
)


def _time(value: datetime | None) -> str:
    return format_time(value) or ""  # never an OverflowError (a stored time of old)


def _flag(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def row(
    case: PrivacyCase,
    obligations: Sequence[Obligation],
    sent: Mapping[str, datetime],
    distribution: Sequence[Mapping[str, Any]] = (),
) -> list[str]:
    """The case's register row (see the module contract); ``distribution``: how each
    handed-over subscriber notice reached the subscribers, or that it is not yet recorded
    (:func:`bridge.core.privacy_reach.status`)."""
    exemption = case.exemption
    reports = "; ".join(
        f"{o.kind}: {o.state}" + (f" {_time(sent[o.kind])}" if o.kind in sent else "")
        for o in obligations
    )
    cells = {
        "id": case.id,
        "state": case.state,
        "nature": case.nature,
        "jurisdictions": ", ".join(case.jurisdictions),
        "source": case.source if case.alert is None else f"alert {case.alert}",
        "detected_at": _time(case.detected_at),
        "occurred_at": _time(case.occurred_at),
        "occurred_estimated": _flag(case.occurred_estimated if case.occurred_at else None),
        "circumstances": ", ".join(case.circumstances),
        "circumstances_text": case.circumstances_text,
        "description": case.description,
        "location": case.location,
        "causes": case.causes,
        "consequences": case.consequences,
        "data_categories": ", ".join(case.data_categories),
        "data_description": case.data_description,
        "affected": "" if case.affected is None else str(case.affected),
        "measures_taken": case.measures_taken,
        "measures_planned": case.measures_planned,
        "other_providers": case.other_providers,
        "cross_border": case.cross_border,
        "unreadable": _flag(case.unreadable),
        "unreadable_how": case.unreadable_how,
        "exemption": ""
        if exemption is None
        else f"{exemption.reason} ({exemption.by}, {_time(exemption.at)})",
        # a closed case: what the person found and why (empty while open)
        "outcome": "" if case.closure is None else case.closure.outcome,
        "closure": ""
        if case.closure is None
        else f"{case.closure.reason} ({case.closure.by}, {_time(case.closure.at)})",
        "reports": reports,
        "subscriber_distribution": "; ".join(f"{d['kind']}: {d['words']}" for d in distribution),
        "created_at": _time(case.created_at),
        "updated_at": _time(case.updated_at),
        "revision": str(case.revision),
    }
    return [cells[c] for c in COLUMNS]
