"""A person's declaration that an incident is (or is not) a significant incident under the
Swedish cybersecurity act, with the instant the operator became aware of it. Pure.

Contract:
- The bridge never decides significance: criteria of a ``track: cyber`` rule set only mark an
  incident *potentially significant*; :func:`declare` records a person's decision, and only a
  declaration of significance gives the ``aware`` event (:func:`events`) that starts the act's
  clocks (:func:`bridge.core.obligations.cyber_owed`).
- The awareness instant defaults to the moment of declaring; an earlier one may be entered
  (the person knew before the bridge was told), never one after ``now`` nor one before the
  minute the incident began (``began``: its start as its reports state it, minutes shown;
  see :func:`check_began`). A declaration that the incident is not significant names its
  reason (:func:`~bridge.core.person_text.clean_text`, at most :data:`MAX_REASON`
  characters) and carries no awareness instant.
- Once declared significant the clocks run: a later declaration may move the awareness
  instant earlier (a correction), never later (no one can push the act's deadlines out: the
  409 says how to correct a time typed too early in the reports instead), and cannot make it
  not significant (a report a person decides not to send is rejected on its draft, with the
  reason, as any other).
- The same declaration again by the same person (a double click, a client's retry: the same
  decision and reason, the awareness instant omitted or the one recorded, no jurisdiction the
  record lacks) changes nothing: :func:`declare` answers the record as it stands and no audit
  event (None).
- A regulator may ask for a report with a deadline it sets (:data:`REQUESTABLE`):
  :func:`request_report` records the request (received, deadline, the regulator's reference:
  one line of at most :data:`~bridge.core.person_text.MAX_REFERENCE` characters, no control
  or bidirectional characters, :func:`~bridge.core.person_text.clean_text`; received neither
  in the future nor before the minute the incident began; the deadline after its receipt).
  A kind's deadline event is the earliest deadline among the requests its next report must
  answer (:func:`due_by`): per reference the request recorded last stands (the regulator
  moving its own deadline replaces it; a request without a reference stands on its own), and
  one a settled report of the kind answered holds no deadline (:class:`Answered`: Nkom's
  hendelsesrapport lists the requests it answers; one recorded after it was drafted, or a
  deadline moved since, is owed by a new report, :func:`owed_again`). Once every request was
  answered the event is the earliest deadline of them all (what the settled reports were owed
  by). A later reference with a later deadline never hides an earlier one still open. A
  request is the
  same as one the record (with those merged into it) holds when kind, reference and deadline
  are equal and so is ``received_at`` if given (omitted, it defaults to ``now``, which a
  retry a second later would not match): nothing is recorded, no audit event (None). A
  request naming the reference of one of the record's own (same kind, non-empty) with
  another deadline or receipt is that request changed (the regulator moved its deadline):
  it replaces it, as the latest, its receipt kept unless given, and the audit event says
  what it replaced (``replaced``). Any other request is one more. The CSIRT asks for
  an intermediate report (2 kap. 7 §, ``csirt_deadline``) of a declared-significant incident
  only; Nkom may ask for a hendelsesrapport (``nkom_deadline``) after any incident, reportable
  or not, open or closed: an incident no one declared then has a record with ``significant``
  None (no declaration, only requests).
- Every declaration is one more revision of the incident's record with one audit event; the
  record's stored form is :func:`to_document` / :func:`from_document`. A declaration and a
  request keep the incident's jurisdictions when the person acted (``jurisdictions``): the
  duties they started stand if the incident later loses that jurisdiction
  (:func:`bridge.core.obligations.applies`, through the ``EVENT@J`` events :func:`events`
  gives).
- An incident merged into another (covered by a router's alert, or merged by a person) keeps
  its record, and its host owes what the records of both say (:func:`combine`,
  :func:`merged_events`): significant if either was declared significant, aware at the
  earliest instant of those so declared (a host's own later declaration never moves it
  later; a "not significant" on one side yields to "significant" on the other, each record
  keeping who declared what); each requested kind due by the same rule over the requests of
  them all, so one reference is one request whichever incident it was recorded on (Nkom
  moving, on the host, a deadline it set under a reference recorded on a merged-in incident
  replaces that deadline, later or earlier). :func:`declare` and :func:`request_report` on
  the host check against the combined record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bridge.core.casework import AuditEvent
from bridge.core.obligations import (
    CSIRT_DEADLINE,
    CYBER,
    INTERMEDIATE,
    applies,
    at_event,
    if_declared,
    in_force,
)
from bridge.core.person_text import MAX_REFERENCE, clean_text
from bridge.core.rules import RuleSet
from bridge.errors import BadInput, Conflict

AWARE = "aware"
#: the longest reason a person gives for a declaration (as for merges, splits, overrides)
MAX_REASON = 1000
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
    jurisdictions: tuple[str, ...] = ()  # the incident's when it was recorded


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
    # the incident's jurisdictions when a person declared it (and those of earlier
    # declarations of significance: they stand)
    jurisdictions: tuple[str, ...] = ()


def declare(
    previous: Declaration | None,
    incident_id: str,
    significant: bool,
    aware_at: datetime | None,
    reason: str,
    actor: str,
    now: datetime,
    others: Sequence[Declaration] = (),
    jurisdictions: Sequence[str] = (),
    began: datetime | None = None,
) -> tuple[Declaration, AuditEvent | None]:
    """The next declaration of ``incident_id`` (see the module contract): BadInput names the
    bad field, Conflict says why a declaration of significance cannot be undone or delayed.
    ``others``: the records of the incidents merged into this one (checked against together
    with its own); ``jurisdictions``: the incident's now; ``began``: when it began (None:
    not known). No audit event (None): the same declaration again, the record as it stands."""
    reason = clean_text(reason, "reason", MAX_REASON, one_line=False)
    standing = combine(previous, others)
    if aware_at is not None and aware_at.utcoffset() is None:
        raise BadInput("aware_at", "expected a time with its offset (e.g. 2026-11-23T10:05:00Z)")
    if (
        previous is not None
        and standing is not None
        and previous.significant is significant
        and standing.significant is significant
        and previous.by == actor
        and previous.reason == reason
        and (aware_at is None or aware_at == previous.aware_at)
        and set(jurisdictions) <= set(previous.jurisdictions)
    ):
        return previous, None  # the same declaration again: nothing changes
    if not significant:
        if aware_at is not None:
            raise BadInput("aware_at", "only a significant incident has an awareness instant")
        if not reason:
            raise BadInput("reason", "say why the incident is not significant")
        if standing is not None and standing.significant:
            raise Conflict(
                f"incident {incident_id}",
                f"it was declared significant by {standing.by}{_on(standing, incident_id)} "
                f"(aware at {_iso(standing.aware_at)}); the act's clocks run: reject a report "
                "on its draft, with the reason, instead",
            )
    else:
        aware_at = now if aware_at is None else aware_at
        if aware_at > now:
            raise BadInput("aware_at", "the awareness instant cannot be in the future")
        check_began(aware_at, began, "aware_at", "awareness of an incident cannot precede it")
        before = standing.aware_at if standing is not None and standing.significant else None
        if standing is not None and before is not None and aware_at > before:
            raise Conflict(
                f"incident {incident_id}",
                f"it was declared significant{_on(standing, incident_id)} with awareness at "
                f"{_iso(before)}; the awareness instant may be moved earlier, never later (no "
                "one can push the act's deadlines out). If that time was typed too early, its "
                "deadlines stand: correct the time the CSIRT is told in each report's draft "
                "still to send (its field aware_at, 'Tidpunkt då vi fick kännedom'), saying "
                "why",
            )
    kept = previous.jurisdictions if previous is not None and previous.significant else ()
    declaration = Declaration(
        incident_id=incident_id,
        significant=significant,
        aware_at=aware_at if significant else None,
        reason=reason,
        by=actor,
        at=now,
        revision=1 if previous is None else previous.revision + 1,
        requests=() if previous is None else previous.requests,
        jurisdictions=tuple(sorted({*kept, *jurisdictions})),
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
            "jurisdictions": list(jurisdictions),
        },
    )
    return declaration, event


def check_began(at: datetime, began: datetime | None, field: str, why: str) -> None:
    """BadInput naming ``field`` when ``at`` lies before the minute the incident began
    (``began``; None: not known, nothing to check). ``began`` is the incident's start as its
    reports state it (to the minute): the earliest start of its alerts (when monitoring saw
    the condition begin, not when the alert reached the bridge: one that arrives late with an
    earlier start moves it earlier), or the start a person entered for an incident opened by
    hand, and the earliest of the incidents merged into it. A time before it contradicts the
    report itself, and is in practice a typo (a year, a month, a day off)."""
    if began is not None and at < began.replace(second=0, microsecond=0):
        raise BadInput(
            field,
            f"{_iso(at)} is before the incident began ({_iso(began)}): {why}; check the date "
            "and time",
        )


def same_request(
    held: ReportRequest,
    kind: str,
    reference: str,
    deadline: datetime,
    received_at: datetime | None,
) -> bool:
    """Whether a request of ``kind`` with ``reference`` and ``deadline`` received at
    ``received_at`` (None: not given) is ``held`` again (see the module contract)."""
    return (
        held.kind == kind
        and held.reference == reference
        and held.deadline == deadline
        and (received_at is None or held.received_at == received_at)
    )


def request_report(
    declaration: Declaration | None,
    incident_id: str,
    kind: str,
    received_at: datetime | None,
    deadline: datetime,
    reference: str,
    actor: str,
    now: datetime,
    others: Sequence[Declaration] = (),
    jurisdictions: Sequence[str] = (),
    began: datetime | None = None,
) -> tuple[Declaration | None, AuditEvent | None]:
    """Record a regulator's request for a report of ``kind`` received at ``received_at``
    (None: now) (see the module contract): BadInput names the bad field; Conflict for the
    CSIRT's intermediate report of an incident not declared significant (``others``: the
    records of the incidents merged into it count too). ``jurisdictions``: the incident's now,
    kept with the request; ``began``: when it began (None: not known). No audit event (None):
    the same request again, the record as it stands (``declaration``) written by no one."""
    if kind not in REQUESTABLE:
        raise BadInput("kind", f"expected one of {', '.join(REQUESTABLE)}, got {kind!r}")
    reference = clean_text(reference, "reference", MAX_REFERENCE, one_line=True)
    for name, value in (("received_at", received_at), ("deadline", deadline)):
        if value is not None and value.utcoffset() is None:
            raise BadInput(name, "expected a time with its offset (e.g. 2026-11-23T10:05:00Z)")
    received = now if received_at is None else received_at
    if received > now:
        raise BadInput("received_at", "the request cannot be received in the future")
    check_began(
        received, began, "received_at", "a regulator asks about an incident once it happened"
    )
    standing = combine(declaration, others)
    if REQUESTABLE[kind][1] and (standing is None or not standing.significant):
        raise Conflict(
            f"incident {incident_id}",
            "it is not declared significant: the CSIRT asks for reports of significant incidents",
        )
    held = () if standing is None else standing.requests
    if any(same_request(r, kind, reference, deadline, received_at) for r in held):
        return declaration, None  # the same request again: nothing changes
    own = () if declaration is None else declaration.requests
    named = [r for r in own if reference and r.kind == kind and r.reference == reference]
    replaced = named[-1] if named else None
    if replaced is not None and received_at is None:
        received = replaced.received_at  # the regulator moved the deadline of that request
    if deadline <= received:
        raise BadInput("deadline", "the deadline must be after the request was received")
    request = ReportRequest(
        received, deadline, reference, actor, now, kind, tuple(sorted(jurisdictions))
    )
    before = declaration or Declaration(incident_id, None, None, "", actor, now, 0)
    changed = replace(
        before,
        revision=before.revision + 1,
        requests=(*(r for r in before.requests if r is not replaced), request),
    )
    detail: dict[str, Any] = {
        "kind": kind,
        "received_at": received.isoformat(),
        "deadline": deadline.isoformat(),
        "reference": reference,
        "revision": changed.revision,
        "jurisdictions": list(jurisdictions),
    }
    if replaced is not None:
        detail["replaced"] = {
            "received_at": replaced.received_at.isoformat(),
            "deadline": replaced.deadline.isoformat(),
        }
    event = AuditEvent(
        at=now,
        actor=actor,
        action="incident.report_requested",
        target=f"incident:{incident_id}",
        detail=detail,
    )
    return changed, event


def events(declaration: Declaration | None) -> dict[str, datetime]:
    """The deadline events a record gives: ``aware`` once declared significant, and per
    requested kind the earliest deadline of its requests as they stand (:func:`due_by`, no
    report settled; the CSIRT's only once declared significant);
    each also as ``EVENT@J`` for the jurisdictions the incident had when the person acted
    (:func:`bridge.core.obligations.at_event`)."""
    return merged_events([] if declaration is None else [declaration])


@dataclass(frozen=True, slots=True)
class Answered:
    """What the settled reports of one kind (sent, kept or rejected) answered: the requests
    they listed (``listed``: reference and deadline, as each report named them), and for
    reports stored before reports recorded that, every request recorded by ``through`` (when
    the last such report's settled version was drafted)."""

    listed: frozenset[tuple[str, datetime]] = frozenset()
    through: datetime | None = None

    def answers(self, request: ReportRequest) -> bool:
        """Whether a settled report answered ``request`` (see the module contract)."""
        return (request.reference, request.deadline) in self.listed or (
            self.through is not None and request.at <= self.through
        )


def request_key(request: ReportRequest) -> tuple[str, ...]:
    """Which request of the regulator's a record is: its kind and reference; without a
    reference nothing says which one it is, so its receipt and deadline too."""
    if request.reference:
        return (request.kind, request.reference)
    return (request.kind, "", request.received_at.isoformat(), request.deadline.isoformat())


def standing(requests: Sequence[ReportRequest]) -> list[ReportRequest]:
    """The regulator's requests as they stand: per reference the one recorded last (the
    regulator moving its own deadline replaces it, on whichever incident merged into the
    same one it was recorded), each request without a reference on its own; oldest first."""
    latest: dict[tuple[str, ...], ReportRequest] = {}
    for request in sorted(requests, key=lambda q: q.at):  # stable: a record's own order
        key = request_key(request)
        latest.pop(key, None)
        latest[key] = request
    return list(latest.values())


def unanswered(
    requests: Sequence[ReportRequest], kind: str, answered: Answered | None
) -> list[ReportRequest]:
    """The standing requests of ``kind`` the next report must answer: those no settled
    report of the kind answered (``answered`` None: none was settled), oldest first."""
    return [
        r
        for r in standing(requests)
        if r.kind == kind and (answered is None or not answered.answers(r))
    ]


def due_by(
    requests: Sequence[ReportRequest], kind: str, answered: Answered | None
) -> datetime | None:
    """When the report of ``kind`` is due: the earliest deadline among the requests the next
    report must answer (:func:`unanswered`); once every one was answered, the earliest
    deadline of those the settled reports answered (what they were owed by). None: never
    asked."""
    open_ = unanswered(requests, kind, answered)
    found = open_ or [r for r in standing(requests) if r.kind == kind]
    return min((r.deadline for r in found), default=None)


def merged_events(
    records: Sequence[Declaration], answered: Mapping[str, Answered] | None = None
) -> dict[str, datetime]:
    """The deadline events of an incident whose own record and those of the incidents merged
    into it are ``records`` (see the module contract): ``aware`` the earliest awareness of
    those declared significant; per requested kind, :func:`due_by` over the requests of them
    all (``answered``: per kind, what its settled reports answered; the CSIRT's only once one
    of them was declared significant); ``EVENT@J`` for the jurisdictions of each request as
    it stands."""
    out: dict[str, datetime] = {}

    def put(name: str, at: datetime, where: Sequence[str]) -> None:
        for key in (name, *(at_event(name, j) for j in where)):
            out[key] = min(out[key], at) if key in out else at

    significant = False
    for r in records:
        if r.significant and r.aware_at is not None:
            significant = True
            put(AWARE, r.aware_at, r.jurisdictions)
    requests = [q for r in records for q in r.requests]
    for kind, (event, needs_declaration) in REQUESTABLE.items():
        if needs_declaration and not significant:
            continue
        at = due_by(requests, kind, (answered or {}).get(kind))
        if at is None:
            continue
        out[event] = at
        for request in standing(requests):
            if request.kind == kind:
                for j in request.jurisdictions:
                    put(at_event(event, j), request.deadline, ())
    return out


def owed_again(records: Sequence[Declaration], answered: Mapping[str, Answered]) -> set[str]:
    """The kinds a settled report of which (``answered`` has the kind) left a request
    unanswered: one recorded after it was drafted, or a deadline the regulator moved since.
    A new report of the kind is owed, whatever state the last one's draft is in."""
    requests = [q for r in records for q in r.requests]
    return {kind for kind, done in answered.items() if unanswered(requests, kind, done)}


def combine(own: Declaration | None, others: Sequence[Declaration]) -> Declaration | None:
    """The record an incident stands by with the incidents merged into it (``others``): the
    declaration of significance with the earliest awareness, else its own declaration, else
    the first of the others'; every request of them all, oldest first; the jurisdictions of
    every declaration of significance. Its ``incident_id`` names the incident the deciding
    declaration was made on. None: no record at all."""
    records = [r for r in (own, *others) if r is not None]
    if not records:
        return None
    if not others:
        return records[0]
    significant = [r for r in records if r.significant and r.aware_at is not None]
    said = [r for r in records if r.significant is not None]
    if significant:
        base = min(significant, key=lambda r: r.aware_at or r.at)  # the first of equals
    else:
        base = said[0] if said else records[0]
    kept = {j for r in significant for j in r.jurisdictions} if significant else set()
    return replace(
        base,
        requests=tuple(sorted((q for r in records for q in r.requests), key=lambda q: q.at)),
        jurisdictions=tuple(sorted(kept or base.jurisdictions)),
    )


def applicable(
    rule_sets: Sequence[RuleSet],
    kind: str | None,
    jurisdictions: Sequence[str],
    known: Mapping[str, datetime],
    started_at: datetime | None = None,
) -> list[RuleSet]:
    """The rule sets a person's act can apply to on an incident of ``jurisdictions`` whose
    declarations' events are ``known`` (:func:`merged_events`) and that began at
    ``started_at``: a declaration (``kind`` None) under the ``track: cyber`` ones, a request
    for a report of ``kind`` under those listing it (:func:`bridge.core.obligations.applies`;
    the CSIRT's request also where the declaration it needs was made while the incident was of
    the rule set's jurisdiction), whose law is in force for the incident
    (:func:`bridge.core.obligations.in_force`: none applies from a day after it began), or
    that a standing declaration of significance (``aware`` in ``known``) already put it under:
    its start moved earlier since, and the clocks a person started run on."""
    checks: tuple[str, ...]
    if kind is None:
        chosen, checks = [rs for rs in rule_sets if rs.track == CYBER], (AWARE,)
    else:
        event, needs_declaration = REQUESTABLE[kind]
        chosen = [rs for rs in rule_sets if kind in rs.obligations]
        checks = (event, AWARE) if needs_declaration else (event,)
    declared = AWARE in known
    return [
        rs
        for rs in chosen
        if (in_force(rs, started_at) or (declared and rs.track == CYBER))
        and any(applies(rs, e, known, jurisdictions) for e in checks)
    ]


def cannot_apply(
    incident_id: str,
    rule_sets: Sequence[RuleSet],
    jurisdictions: Sequence[str],
    started_at: datetime | None = None,
) -> Conflict:
    """Why a person's declaration or recorded request cannot apply to the incident (409): the
    rule sets whose law applies only from a day after the incident began (``started_at``)
    name that day; the others, the incident's jurisdictions."""
    late = [rs for rs in rule_sets if not in_force(rs, started_at)]
    if late and started_at is not None:
        laws = ", ".join(f"{rs.id} ({rs.jurisdiction}) from {rs.in_force_from}" for rs in late)
        return Conflict(
            f"incident {incident_id}",
            f"it began {started_at.isoformat()}, before the law applies: {laws} applies only "
            "to incidents from that day (the jurisdiction's calendar); an earlier one falls "
            "under the law then in force",
        )
    laws = ", ".join(f"{rs.id} ({rs.jurisdiction})" for rs in rule_sets)
    return Conflict(
        f"incident {incident_id}",
        f"its jurisdictions are {', '.join(jurisdictions)}: {laws} cannot apply to it",
    )


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


def _on(declaration: Declaration, incident_id: str) -> str:
    """`` on inc-X (merged into this one)`` when another incident's record decides."""
    if declaration.incident_id == incident_id:
        return ""
    return f" on {declaration.incident_id} (merged into this one)"


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
        "jurisdictions": list(declaration.jurisdictions),
        "requests": [
            {
                "received_at": r.received_at.isoformat(),
                "deadline": r.deadline.isoformat(),
                "reference": r.reference,
                "by": r.by,
                "at": r.at.isoformat(),
                "kind": r.kind,
                "jurisdictions": list(r.jurisdictions),
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
        requests=tuple(request_from_document(r) for r in doc.get("requests") or ()),
        jurisdictions=tuple(str(j) for j in doc.get("jurisdictions") or ()),
    )


def request_from_document(r: Mapping[str, Any]) -> ReportRequest:
    """One request as :func:`to_document` writes it (and an incident's ``report_requests``
    lists it); stored without a kind, it is the CSIRT's (the first kind there was)."""
    return ReportRequest(
        received_at=datetime.fromisoformat(str(r["received_at"])),
        deadline=datetime.fromisoformat(str(r["deadline"])),
        reference=str(r.get("reference", "")),
        by=str(r["by"]),
        at=datetime.fromisoformat(str(r["at"])),
        kind=str(r.get("kind") or INTERMEDIATE),
        jurisdictions=tuple(str(j) for j in r.get("jurisdictions") or ()),
    )


def board(
    rule_sets: Sequence[RuleSet],
    assessments: Sequence[Mapping[str, Any]],
    declaration: Declaration | None,
    events: Mapping[str, datetime],
    now: datetime,
    jurisdictions: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Per ``track: cyber`` rule set that can apply to the incident (its jurisdiction is one
    of the incident's ``jurisdictions``, none is known, or it was when it was declared: see
    :func:`bridge.core.obligations.applies`), what the incident's page and the board show:
    whether its criteria mark the incident *potentially significant* (``assessments``: the
    incident document's), the declaration (the incident's combined one, :func:`combine`), and,
    until a person declared it significant, what would be owed if it were declared at ``now``
    (``events``: the incident's own, :func:`~bridge.core.obligations.incident_events`). For an
    incident that began before the rule set's law applies, ``in_force_from`` names that day
    (else None): it is not potentially significant and nothing would be owed."""
    out: list[dict[str, Any]] = []
    declared_events = merged_events([] if declaration is None else [declaration])
    started = events.get("started")
    for rs in rule_sets:
        if rs.track != CYBER or not applies(rs, AWARE, declared_events, jurisdictions):
            continue
        found = next((a for a in assessments if a.get("rule_set") == rs.id), {})
        late = not in_force(rs, started)
        significant = declaration is not None and bool(declaration.significant)
        person = declared(declaration)
        preview = [] if significant else if_declared(rs, events, now)
        out.append(
            {
                "rule_set": rs.id,
                "regulator": rs.regulator,
                "verified": rs.verified,
                "potentially_significant": bool(found.get("reportable")) and not late,
                # set when the incident began before the law applies: nothing to declare
                "in_force_from": rs.in_force_from.isoformat()
                if late and rs.in_force_from
                else None,
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
