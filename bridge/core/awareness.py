"""A person's declaration that an incident is (or is not) a significant incident under the
Swedish cybersecurity act, with the instant the operator became aware of it. Pure.

Contract:
- The bridge never decides significance: criteria of a ``track: cyber`` rule set only mark an
  incident *potentially significant*; :func:`declare` records a person's decision, and only a
  declaration of significance gives the ``aware`` event (:func:`events`) that starts the act's
  clocks (:func:`bridge.core.obligations.cyber_owed`).
- The awareness instant defaults to the moment of declaring; an earlier one may be entered
  (the person knew before the bridge was told), never one after ``now``. A declaration that
  the incident is not significant names its reason and carries no awareness instant.
- Once declared significant the clocks run: a later declaration may move the awareness
  instant earlier (a correction), never later, and cannot make it not significant (a report a
  person decides not to send is rejected on its draft, with the reason, as any other).
- A regulator may ask for a report with a deadline it sets (:data:`REQUESTABLE`):
  :func:`request_report` records the request (received, deadline, the regulator's reference)
  and the latest request's deadline per kind is that kind's deadline event. The CSIRT asks for
  an intermediate report (2 kap. 7 §, ``csirt_deadline``) of a declared-significant incident
  only; Nkom may ask for a hendelsesrapport (``nkom_deadline``) after any incident, reportable
  or not, open or closed: an incident no one declared then has a record with ``significant``
  None (no declaration, only requests).
- Every declaration is one more revision of the incident's record with one audit event; the
  record's stored form is :func:`to_document` / :func:`from_document`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bridge.core.casework import AuditEvent
from bridge.core.obligations import CSIRT_DEADLINE, CYBER, INTERMEDIATE, if_declared
from bridge.core.rules import RuleSet
from bridge.errors import BadInput, Conflict

AWARE = "aware"
HENDELSESRAPPORT = "nkom_hendelsesrapport"
NKOM_DEADLINE = "nkom_deadline"
#: The reports a regulator asks for, each with its deadline event (the default deadline rules of
#: :mod:`bridge.core.calendar`), and whether the incident must first be declared significant.
REQUESTABLE: dict[str, tuple[str, bool]] = {
    INTERMEDIATE: (CSIRT_DEADLINE, True),
    HENDELSESRAPPORT: (NKOM_DEADLINE, False),
}


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """A regulator asked for a report of ``kind``: when, by when, its reference."""

    received_at: datetime
    deadline: datetime
    reference: str
    by: str  # who recorded it
    at: datetime  # when it was recorded
    kind: str = INTERMEDIATE


@dataclass(frozen=True, slots=True)
class Declaration:
    """The current declaration of one incident (``revision``: how many changes were made),
    with the regulators' requests for reports, oldest first. ``significant`` None: no one
    declared the incident (the record holds only requests)."""

    incident_id: str
    significant: bool | None
    aware_at: datetime | None  # significant only
    reason: str
    by: str
    at: datetime  # when the person declared
    revision: int
    requests: tuple[ReportRequest, ...] = ()


def declare(
    previous: Declaration | None,
    incident_id: str,
    significant: bool,
    aware_at: datetime | None,
    reason: str,
    actor: str,
    now: datetime,
) -> tuple[Declaration, AuditEvent]:
    """The next declaration of ``incident_id`` (see the module contract): BadInput names the
    bad field, Conflict says why a declaration of significance cannot be undone or delayed."""
    reason = reason.strip()
    if aware_at is not None and aware_at.utcoffset() is None:
        raise BadInput("aware_at", "expected a time with its offset (e.g. 2026-11-23T10:05:00Z)")
    if not significant:
        if aware_at is not None:
            raise BadInput("aware_at", "only a significant incident has an awareness instant")
        if not reason:
            raise BadInput("reason", "say why the incident is not significant")
        if previous is not None and previous.significant:
            raise Conflict(
                f"incident {incident_id}",
                f"it was declared significant by {previous.by} (aware at "
                f"{_iso(previous.aware_at)}); the act's clocks run: reject a report on its "
                "draft, with the reason, instead",
            )
    else:
        aware_at = now if aware_at is None else aware_at
        if aware_at > now:
            raise BadInput("aware_at", "the awareness instant cannot be in the future")
        before = previous.aware_at if previous is not None and previous.significant else None
        if before is not None and aware_at > before:
            raise Conflict(
                f"incident {incident_id}",
                f"it was declared significant with awareness at {_iso(before)}; "
                "the awareness instant may be moved earlier, never later",
            )
    declaration = Declaration(
        incident_id=incident_id,
        significant=significant,
        aware_at=aware_at if significant else None,
        reason=reason,
        by=actor,
        at=now,
        revision=1 if previous is None else previous.revision + 1,
        requests=() if previous is None else previous.requests,
    )
    event = AuditEvent(
        at=now,
        actor=actor,
        action="incident.declared",
        target=f"incident:{incident_id}",
        detail={
            "significant": significant,
            "aware_at": _iso(declaration.aware_at),
            "reason": reason,
            "revision": declaration.revision,
            "previous_aware_at": None if previous is None else _iso(previous.aware_at),
        },
    )
    return declaration, event


def request_report(
    declaration: Declaration | None,
    incident_id: str,
    kind: str,
    received_at: datetime,
    deadline: datetime,
    reference: str,
    actor: str,
    now: datetime,
) -> tuple[Declaration, AuditEvent]:
    """Record a regulator's request for a report of ``kind`` (see the module contract):
    BadInput names the bad field; Conflict for the CSIRT's intermediate report of an incident
    not declared significant."""
    if kind not in REQUESTABLE:
        raise BadInput("kind", f"expected one of {', '.join(REQUESTABLE)}, got {kind!r}")
    if REQUESTABLE[kind][1] and (declaration is None or not declaration.significant):
        raise Conflict(
            f"incident {incident_id}",
            "it is not declared significant: the CSIRT asks for reports of significant incidents",
        )
    reference = reference.strip()
    if any(c in reference for c in "\r\n"):
        raise BadInput("reference", "expected a single line")
    for name, value in (("received_at", received_at), ("deadline", deadline)):
        if value.utcoffset() is None:
            raise BadInput(name, "expected a time with its offset (e.g. 2026-11-23T10:05:00Z)")
    if received_at > now:
        raise BadInput("received_at", "the request cannot be received in the future")
    if deadline <= received_at:
        raise BadInput("deadline", "the deadline must be after the request was received")
    request = ReportRequest(received_at, deadline, reference, actor, now, kind)
    before = declaration or Declaration(incident_id, None, None, "", actor, now, 0)
    changed = replace(
        before,
        revision=before.revision + 1,
        requests=(*before.requests, request),
    )
    event = AuditEvent(
        at=now,
        actor=actor,
        action="incident.report_requested",
        target=f"incident:{incident_id}",
        detail={
            "kind": kind,
            "received_at": received_at.isoformat(),
            "deadline": deadline.isoformat(),
            "reference": reference,
            "revision": changed.revision,
        },
    )
    return changed, event


def events(declaration: Declaration | None) -> dict[str, datetime]:
    """The deadline events a record gives: ``aware`` once declared significant, and per
    requested kind the latest request's deadline (the CSIRT's only once declared significant)."""
    if declaration is None:
        return {}
    significant = bool(declaration.significant) and declaration.aware_at is not None
    out: dict[str, datetime] = {}
    if significant and declaration.aware_at is not None:
        out[AWARE] = declaration.aware_at
    for request in declaration.requests:
        event, needs_declaration = REQUESTABLE.get(request.kind, (None, True))
        if event is not None and (significant or not needs_declaration):
            out[event] = request.deadline
    return out


def latest_request(declaration: Declaration | None, kind: str) -> ReportRequest | None:
    """The latest request for a report of ``kind`` (None: never asked)."""
    found = [r for r in (declaration.requests if declaration else ()) if r.kind == kind]
    return found[-1] if found else None


def requests_document(declaration: Declaration | None) -> list[dict[str, Any]]:
    """The regulators' requests of an incident as JSON, oldest first."""
    return [] if declaration is None else to_document(declaration)["requests"]


def declared(declaration: Declaration | None) -> Declaration | None:
    """The record if a person declared the incident (significant or not), else None."""
    if declaration is None or declaration.significant is None:
        return None
    return declaration


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def to_document(declaration: Declaration) -> dict[str, Any]:
    """The declaration as JSON (stored, and in the incident's API document)."""
    return {
        "incident": declaration.incident_id,
        "significant": declaration.significant,
        "aware_at": _iso(declaration.aware_at),
        "reason": declaration.reason,
        "by": declaration.by,
        "at": declaration.at.isoformat(),
        "revision": declaration.revision,
        "requests": [
            {
                "received_at": r.received_at.isoformat(),
                "deadline": r.deadline.isoformat(),
                "reference": r.reference,
                "by": r.by,
                "at": r.at.isoformat(),
                "kind": r.kind,
            }
            for r in declaration.requests
        ],
    }


def from_document(doc: Mapping[str, Any]) -> Declaration:
    aware = doc.get("aware_at")
    return Declaration(
        incident_id=str(doc["incident"]),
        significant=None if doc.get("significant") is None else bool(doc["significant"]),
        aware_at=None if not aware else datetime.fromisoformat(str(aware)),
        reason=str(doc.get("reason", "")),
        by=str(doc["by"]),
        at=datetime.fromisoformat(str(doc["at"])),
        revision=int(doc["revision"]),
        requests=tuple(
            ReportRequest(
                received_at=datetime.fromisoformat(str(r["received_at"])),
                deadline=datetime.fromisoformat(str(r["deadline"])),
                reference=str(r.get("reference", "")),
                by=str(r["by"]),
                at=datetime.fromisoformat(str(r["at"])),
                kind=str(r.get("kind") or INTERMEDIATE),
            )
            for r in doc.get("requests") or ()
        ),
    )


def board(
    rule_sets: Sequence[RuleSet],
    assessments: Sequence[Mapping[str, Any]],
    declaration: Declaration | None,
    events: Mapping[str, datetime],
    now: datetime,
) -> list[dict[str, Any]]:
    """Per ``track: cyber`` rule set, what the incident's page and the board show: whether its
    criteria mark the incident *potentially significant* (``assessments``: the incident
    document's), the declaration, and, until a person declared it significant, what would be
    owed if it were declared at ``now`` (``events``: the incident's own,
    :func:`~bridge.core.obligations.incident_events`)."""
    out: list[dict[str, Any]] = []
    for rs in rule_sets:
        if rs.track != CYBER:
            continue
        found = next((a for a in assessments if a.get("rule_set") == rs.id), {})
        significant = declaration is not None and bool(declaration.significant)
        person = declared(declaration)
        preview = [] if significant else if_declared(rs, events, now)
        out.append(
            {
                "rule_set": rs.id,
                "regulator": rs.regulator,
                "verified": rs.verified,
                "potentially_significant": bool(found.get("reportable")),
                "reasons": [
                    str(c.get("reason", "")) for c in found.get("criteria") or () if c.get("met")
                ],
                "declaration": None if person is None else to_document(person),
                "if_declared_now": [
                    {
                        "kind": o.kind,
                        "due_at": None if o.due_at is None else o.due_at.isoformat(),
                        "explanation": o.explanation,
                        "waiting_for": o.waiting_for,
                    }
                    for o in preview
                ],
            }
        )
    return out
