"""Notice fields of the Swedish cybersecurity act's reports to the CSIRT, prefilled from an
incident document. Pure.

Contract:
- Which fields a report has, their Swedish labels and sources are data: a :class:`ReportForm`
  (read from ``bridge/config/forms/se-cyber.yaml`` by :mod:`bridge.config.report_forms`),
  because the CSIRT's exact fields are not verified.
- :func:`values` answers ``key → (value, source)`` for the keys the bridge can know (times,
  status, services, scope, contact, reference); the final report's description is a person's
  (NIS2 art. 23.4 d: a detailed description, which the times are not); a field
  the form marks ``person`` is never prefilled: a person writes it, or names it in
  ``send_unknown`` at approval. A key the bridge does not know is left to complete too.
- Times are Stockholm local time in Swedish notation (``2026-11-23 kl. 08.42``). The start
  says whose word it is: "enligt vår övervakning" (the first alert), or "enligt den manuella
  registreringen av incidenten" (opened by hand: :func:`bridge.core.manual.started_by_hand`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.core import person_text
from bridge.core.alerts import read_time
from bridge.core.manual import started_by_hand

#: The act's report kinds, in the order they are owed.
KINDS = (
    "se_cyber_early_warning",
    "se_cyber_notification",
    "se_cyber_intermediate",
    "se_cyber_final",
    "se_cyber_progress",
)
REGULATOR = "csirt"
#: what a report says of itself when its form gives nothing else (the shipped form's words)
SIGNIFICANT = "Rapporten gäller en betydande incident enligt cybersäkerhetslagen (2025:1506)."


@dataclass(frozen=True, slots=True)
class FormField:
    key: str
    label: str
    source: str
    person: bool = False  # only a person can answer it: never prefilled
    hint: str = ""  # drafting guidance for staff, never sent


@dataclass(frozen=True, slots=True)
class ReportForm:
    """One report kind's fields, in order, with its title and where it comes from."""

    kind: str
    title: str
    source: str
    verified: bool
    fields: tuple[FormField, ...]
    #: what the report says of itself in its header (the form's ``statements``), and instead
    #: once a person said the incident was a false alarm (:func:`statement_of`)
    statement: str = SIGNIFICANT
    statement_false_alarm: str = ""

    def field_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    def statement_of(self, false_alarm: bool) -> str:
        """The header's statement: of a significant incident, or of a false alarm."""
        return (self.statement_false_alarm or self.statement) if false_alarm else self.statement


def values(
    doc: Mapping[str, Any],
    when: Callable[[datetime], str],
    services: str,
    scope: str,
    contact: tuple[str, str],
    reference: str,
    person: frozenset[str] = frozenset(),
) -> dict[str, tuple[str, str]]:
    """Prefilled ``key → (value, source)`` (see the module contract). ``services`` and
    ``scope``: the outage notices' own Swedish wording of the impact (:mod:`drafts`);
    ``contact``: the contact line and the configuration key it came from; ``person``: keys
    never prefilled."""
    out: dict[str, tuple[str, str]] = {}
    declaration: Mapping[str, Any] = doc.get("declaration") or {}
    aware = read_time(declaration.get("aware_at"))
    if aware is not None:
        by = str(declaration.get("by") or "")
        out["aware_at"] = (when(aware), f"declared significant by {by}")
    started = read_time(doc.get("started_at"))
    if started is not None:  # whose word the start is: monitoring's, or a person's
        if started_by_hand(doc):
            said = "enligt den manuella registreringen av incidenten"
            source = "incident.started_at (entered by hand)"
        else:
            said, source = "enligt vår övervakning", "incident.started_at (the first alert)"
        out["started_at"] = (f"{when(started)} ({said})", source)
    handled = read_time(doc.get("remedied_at"))
    if handled is not None:
        out["handled_at"] = (when(handled), "incident.remedied_at")
        out["status"] = (f"Hanterad. Tjänsterna återställdes {when(handled)}.", "incident")
    else:
        out["status"] = ("Pågår.", "incident: alerts still firing")
    expected = read_time(_expected(doc))
    if expected is not None:
        out["expected"] = (when(expected), "alert annotation expected_resolution")
    if services:
        out["services"] = (services, "impact.by_service + services (config)")
    if scope:
        out["scope"] = (scope, "impact")
    out["contact"] = contact
    out["reference"] = (reference, "incident id")
    return {k: v for k, v in out.items() if k not in person}


def _expected(doc: Mapping[str, Any]) -> str:
    for alert in doc.get("alert_details") or ():
        said = str((alert.get("annotations") or {}).get("expected_resolution", ""))
        value = person_text.cleaned(said).strip()  # as it enters a report (an alert's text)
        if value:
            return value
    return ""
