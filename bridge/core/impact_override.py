"""A person's override of an incident's impact: what it takes down, as a person states it, in
place of what the inventory says (or cannot say: an element it lacks). Pure.

Contract:
- What a person enters (:func:`parse_override`): ``impacts`` (1 to :data:`MAX_IMPACTS`, each
  service × region × connections with optional flags, as for an incident opened by hand:
  :func:`bridge.core.manual.parse_impact`; one service and region once), ``reason`` (required,
  at most :data:`MAX_REASON` characters, no control or format characters), optional
  ``jurisdiction`` (each impact's is it, else its region's prefix, else the default: one the
  bridge knows, else refused) and optional ``from`` (when the stated impact began; default the
  incident's start; not in the future; the API also refuses one after the incident's end)
  and optional ``correction`` (at most :data:`MAX_CORRECTION` characters, for the regulator):
  the figures the regulator was sent were wrong and these are right (with every connection
  0: there was no outage, a false alarm); the next Nkom notice says so, and so does the
  CSIRT's next report once one was submitted (:func:`bridge.core.drafts.correction_of`).
  Lifting it (:func:`parse_lift`) takes a ``reason`` too. A bad body raises
  :class:`~bridge.errors.BadInput` naming the field; nothing is written.
- The casebook document (:mod:`bridge.core.handling`) keeps the standing override as
  ``impact_override``: ``{"impacts": [...as entered], "jurisdiction", "from", "reason", "by",
  "at"}``, with ``correction`` and ``correction_at`` (when that text was first stated: a
  changed reason alone does not make it a new correction) when one is given. :func:`override`
  and :func:`lift` return the new document and the audit events (target ``incident:ID``:
  ``incident.impact_overridden`` with reason, impacts, jurisdiction, from, ``correction``
  when given, and the override it replaced as ``before``; ``incident.impact_override_lifted`` with
  reason and ``before``; both with ``impact_before``, the incident's figures and verdicts as
  the person saw them, when the caller gives them). The same override again, or lifting none,
  changes nothing: no events, nothing written.
- Evaluation (:func:`from_document` → :class:`ImpactOverride`,
  :meth:`ImpactOverride.intervals`): from ``from`` (never before the incident's start) until
  the incident's end (its last alert resolved; open while one fires) the incident's impact is
  the override's, self-described per impact (jurisdiction: the given one, else the region's
  ``SE-…`` prefix, else the default), and the inventory's impact of its alerts is left out;
  their severity signals stay. Before ``from`` the inventory's impact stands; after the end
  nothing, as always. Same override and same alerts give the same timeline (restart-safe).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.core import instants
from bridge.core.alerts import format_time, parse_time, read_time
from bridge.core.casework import AuditEvent
from bridge.core.handling import incident_event
from bridge.core.impact import Interval
from bridge.core.manual import FUTURE_SLACK, ManualImpact, parse_impact
from bridge.core.mapping import OUTAGE, Target, region_jurisdiction
from bridge.core.person_text import clean_text
from bridge.core.topology import FLAGS, Vector
from bridge.errors import BadInput

MAX_IMPACTS = 50
MAX_REASON = 1000
#: the longest correction text for the regulator a person may give
MAX_CORRECTION = 1000
#: the casebook document's key
FIELD = "impact_override"
#: what a muted inventory alert says instead of its impact while an override stands
MUTED = "impact overridden by a person"

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class OverrideRequest:
    """An override as a person entered it, validated."""

    impacts: tuple[ManualImpact, ...]
    reason: str
    jurisdiction: str | None
    from_at: datetime | None
    #: for the regulator: the figures it was sent were wrong (empty: no correction)
    correction: str = ""


@dataclass(frozen=True, slots=True)
class Correction:
    """A person's statement that what the regulator was sent was wrong: their ``text`` for
    the regulator, when it was first stated (``at``) and by whom."""

    text: str
    at: datetime
    by: str


@dataclass(frozen=True, slots=True)
class ImpactOverride:
    """A standing override, ready for evaluation: its impacts as self-described targets,
    and the correction it states (None: none)."""

    targets: tuple[Target, ...]
    from_at: datetime | None
    correction: Correction | None = None

    def intervals(
        self,
        inventory: Sequence[Interval],
        started_at: datetime | None,
        last_end: datetime | None,
    ) -> tuple[Interval, ...]:
        """An incident's intervals (from its alerts) with this override in force from
        ``from`` (or ``started_at``) to ``last_end`` (None: while ongoing); see the module
        contract."""
        begin = self.from_at or started_at
        if started_at is not None and begin is not None:
            begin = max(begin, started_at)
        if begin is None:  # an incident without a start has no alerts: nothing to place
            return tuple(inventory)
        if last_end is not None and begin >= last_end:
            return tuple(inventory)  # the override would begin after the incident ended
        out: list[Interval] = []
        for start, end, target in inventory:
            if start < begin:
                out.append((start, begin if end is None else min(end, begin), target))
            if target.severity and (end is None or end > begin):
                out.append((max(start, begin), end, _muted(target)))
        out += [(begin, last_end, target) for target in self.targets]
        return tuple(out)


def _muted(target: Target) -> Target:
    """The alert's severity signal without its impact."""
    return Target(
        key=target.key,
        impact_kind=target.impact_kind,
        jurisdiction=target.jurisdiction,
        unmapped_reason=target.unmapped_reason or MUTED,
        severity=target.severity,
    )


def _reason(body: Mapping[str, Any]) -> str:
    raw = body.get("reason")
    if not isinstance(raw, str) or not raw.strip():
        raise BadInput("reason", "required: why the impact is overridden (or lifted)")
    return clean_text(raw, "reason", MAX_REASON, one_line=False)


def parse_override(
    body: Mapping[str, Any],
    now: datetime,
    services: Collection[str] = (),
    jurisdictions: Collection[str] = (),
    default_jurisdiction: str = "SE",
) -> OverrideRequest:
    """See the module contract (``services``: the inventory's; empty: any). ``jurisdictions``
    (the rule sets' and the inventory's; empty: any): each impact's jurisdiction (the given
    one, else its region's prefix, else ``default_jurisdiction``) must be one of them, so a
    typo never leaves an incident where no rule set looks."""
    unknown = sorted(set(body) - {"impacts", "reason", "jurisdiction", "from", "correction"})
    if unknown:
        raise BadInput(unknown[0], "not a field of an impact override")
    raw = body.get("impacts")
    if not isinstance(raw, list) or not raw:
        raise BadInput("impacts", "required: a list of impacts (connections 0 to state none)")
    if len(raw) > MAX_IMPACTS:
        raise BadInput("impacts", f"at most {MAX_IMPACTS} impacts, got {len(raw)}")
    impacts = tuple(parse_impact(item, f"impacts[{i}]", services) for i, item in enumerate(raw))
    seen: dict[tuple[str, str], int] = {}
    for i, impact in enumerate(impacts):
        cell = (impact.service, impact.region)
        if cell in seen:
            raise BadInput(
                f"impacts[{i}]", f"{cell[0]} in {cell[1]} is given already (impacts[{seen[cell]}])"
            )
        seen[cell] = i
    jurisdiction = body.get("jurisdiction")
    if jurisdiction in (None, ""):
        jurisdiction = None
    elif not isinstance(jurisdiction, str) or not (2 <= len(jurisdiction.strip()) <= 8):
        raise BadInput("jurisdiction", "expected a jurisdiction code such as SE or NO")
    else:
        jurisdiction = jurisdiction.strip().upper()
    if jurisdictions:
        known = ", ".join(sorted(jurisdictions))
        if jurisdiction is not None and jurisdiction not in jurisdictions:
            raise BadInput("jurisdiction", f"{jurisdiction!r} is not one the bridge knows: {known}")
        for i, impact in enumerate(impacts):
            j = jurisdiction or region_jurisdiction(impact.region, default_jurisdiction)
            if j not in jurisdictions:
                raise BadInput(
                    f"impacts[{i}].region",
                    f"names jurisdiction {j!r}, not one the bridge knows ({known}): give "
                    "jurisdiction",
                )
    from_raw = body.get("from")
    from_at = None if from_raw in (None, "") else parse_time(from_raw, "from")
    if from_at is not None:
        from_at = instants.given(from_at, "from", now)
    if from_at is not None and from_at > now + FUTURE_SLACK:
        raise BadInput("from", "lies in the future")
    return OverrideRequest(impacts, _reason(body), jurisdiction, from_at, _correction(body))


def _correction(body: Mapping[str, Any]) -> str:
    raw = body.get("correction")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    if not isinstance(raw, str):
        raise BadInput("correction", "expected a text for the regulator (or leave it out)")
    return clean_text(raw, "correction", MAX_CORRECTION, one_line=False)


def parse_lift(body: Mapping[str, Any]) -> str:
    """The reason for lifting an override (see the module contract)."""
    unknown = sorted(set(body) - {"reason"})
    if unknown:
        raise BadInput(unknown[0], "not a field of lifting an impact override")
    return _reason(body)


def _impact_json(impact: ManualImpact) -> dict[str, Any]:
    return {
        "service": impact.service,
        "region": impact.region,
        "connections": impact.connections,
        **dict.fromkeys(impact.flags, True),
    }


def standing(doc: Document) -> dict[str, Any] | None:
    """The override the casebook document holds, as stored (None: none stands)."""
    value = doc.get(FIELD)
    return value if isinstance(value, dict) else None


def override(
    doc: Document,
    incident: str,
    request: OverrideRequest,
    actor: str,
    now: datetime,
    impact_before: Mapping[str, Any] | None = None,
) -> tuple[Document, list[AuditEvent]]:
    """Set (or replace) the incident's override (see the module contract); ``impact_before``:
    the incident's impact and verdicts as the person saw them, for the audit."""
    before = standing(doc)
    stated = {
        "impacts": [_impact_json(i) for i in request.impacts],
        "jurisdiction": request.jurisdiction,
        "from": format_time(request.from_at),
        "reason": request.reason,
        **({"correction": request.correction} if request.correction else {}),
    }
    if before is not None and all(before.get(k) == stated.get(k) for k in {*stated, "correction"}):
        return doc, []
    kept = {**stated, "by": actor, "at": format_time(now)}
    if request.correction:  # the same text again is the same correction, told once
        same = before is not None and before.get("correction") == request.correction
        kept["correction_at"] = before.get("correction_at") if same and before else kept["at"]
    new = {**doc, FIELD: kept}
    seen = dict(impact_before) if impact_before else None
    detail = {**stated, "before": before, "impact_before": seen}
    return new, [incident_event(incident, now, actor, "incident.impact_overridden", **detail)]


def lift(
    doc: Document,
    incident: str,
    reason: str,
    actor: str,
    now: datetime,
    impact_before: Mapping[str, Any] | None = None,
) -> tuple[Document, list[AuditEvent]]:
    """Lift the incident's override: the inventory's impact stands again (``impact_before``
    as for :func:`override`)."""
    before = standing(doc)
    if before is None:
        return doc, []
    new = {k: v for k, v in doc.items() if k != FIELD}
    seen = dict(impact_before) if impact_before else None
    detail = {"reason": reason, "before": before, "impact_before": seen}
    return new, [incident_event(incident, now, actor, "incident.impact_override_lifted", **detail)]


def from_document(doc: Document, default_jurisdiction: str) -> ImpactOverride | None:
    """The standing override of a casebook document, ready for evaluation (None: none).
    A stored override is trusted as written (it was validated when entered)."""
    stored = standing(doc)
    if stored is None:
        return None
    explicit = stored.get("jurisdiction")
    targets: list[Target] = []
    for n, impact in enumerate(stored.get("impacts") or []):
        region = str(impact["region"])
        j = explicit or region_jurisdiction(region, default_jurisdiction)
        vector: Vector = {}
        if int(impact["connections"]):
            vector[("conn", j, str(impact["service"]), region)] = int(impact["connections"])
        for flag in FLAGS:
            if impact.get(flag) is True:
                vector[("flag", j, flag)] = 1
        targets.append(
            Target(key=f"override:{n}", impact_kind=OUTAGE, jurisdiction=j, vector=vector)
        )
    return ImpactOverride(tuple(targets), read_time(stored.get("from")), _stored_correction(stored))


def _stored_correction(stored: Mapping[str, Any]) -> Correction | None:
    text = stored.get("correction")
    at = read_time(stored.get("correction_at")) or read_time(stored.get("at"))
    if not isinstance(text, str) or not text or at is None:
        return None
    return Correction(text, at, str(stored.get("by") or ""))
