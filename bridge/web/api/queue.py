"""The deadline queue over HTTP: ``GET /api/v1/queue``, everything owed, nearest due first.

Contract:
- Viewer on either track (bridge/web/decisions.py, ``own``): an outage viewer sees what the
  incidents (open and closed) owe and their drafts waiting for a person, a privacy viewer what
  the privacy cases owe (that read is audited before it is answered: one ``privacy.read`` naming
  every privacy case it shows, ``privacy:<case id>`` each, so an audit search by any of those
  cases finds it: :func:`bridge.web.access.privacy_list_read`).
  Ordered by :func:`bridge.core.queue.deadline_queue`: overdue on top.
- An incident's items are every obligation the core says it owes
  (:func:`bridge.core.obligations.owed`, the authority), whatever its current jurisdictions:
  a report a person started (a declaration, a recorded request) while the incident was of a
  jurisdiction stays owed, dated and turning overdue, after an alert split out takes that
  jurisdiction away, until a person rejects its draft with the reason.
- Each item says in plain words what is owed to whom (``report``: "Nkom – første varsel",
  ``regulator_name``, ``country``), by when (``due_at``, ``seconds_left``, ``overdue``), or
  what it waits for (``waiting_for``), its ``state``, its draft, and the incident's ``number``,
  ``title``, ``acknowledged`` and ``assignee`` (privacy cases: their id only, no contents);
  ``attention``: what a person must look at on the case first, in words (a privacy case opened
  under every jurisdiction: :func:`bridge.core.privacy.attention`; an incident whose country is
  unknown, none of its alerts placed: :func:`_unplaced`), else null.
  ``binding``: whether it is owed to a regulator by law in force; ``binding_note`` says why
  not when it is not (a repealed law's internal threshold), else null.
- An incident a cybersecurity rule set's criteria mark potentially significant, open or
  closed, held in memory and not yet declared (significant or not) by a person, has one item
  of kind ``significance_decision`` (state ``to_decide``) per such rule set: no deadline of its
  own (never overdue), not binding (nothing is owed before a person declares), with
  ``decision``: the rule set, the ``reasons`` its criteria met and ``if_declared_now``, what it
  would owe if declared now (:func:`bridge.core.awareness.board`); after the dated items,
  before those owed once something happens.
  Only regulators that apply to the incident's jurisdictions get a decision
  (bridge/web/regulators.py). Not paged: it holds what is owed, nothing older.
- ``cases`` (1 to 100 incident or privacy case ids separated by commas, else a 400 naming it:
  bridge/web/paging.py :func:`~bridge.web.paging.ids_of`) narrows it to those cases' items:
  exactly the whole queue's items of those cases, in its order (what the board reads after a
  live change names them). The tracks are the caller's as without it: a privacy case's items
  only for a privacy viewer (absent for an outage-only caller, nothing audited then), an
  incident's only for an outage viewer; an unknown id is simply absent.
- ``track`` (``outage`` or ``privacy``, else a 400 naming it) narrows it to that track's items
  (of the caller's tracks: none for a track the caller may not view, and then nothing is
  audited): the board reads the outage items alone after a storm's change that names no
  privacy case, so no privacy item is read, nor audited, for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from bridge.core import privacy, privacy_reach, queue, report_names
from bridge.core.access import TRACKS
from bridge.core.alerts import format_time
from bridge.core.incident_state import Incident
from bridge.core.repeal import internal_threshold
from bridge.core.rules import RuleSet
from bridge.errors import BadInput
from bridge.service import BridgeService
from bridge.web import decisions, keys, paging, regulators
from bridge.web.access import authorize, privacy_list_read
from bridge.web.api.handling import incident_of, named

routes = web.RouteTableDef()


def _waiting(
    service: BridgeService, tracks: list[str], cases: set[str] | None
) -> list[queue.Waiting]:
    out = []
    for d in service.desk.select():
        if d.track in tracks and (cases is None or d.incident_id in cases):
            out.append(
                queue.Waiting(
                    d.id, d.incident_id, d.track, d.regulator, d.kind, d.state, d.latest.number
                )
            )
    return out


def _incidents(service: BridgeService, cases: list[str] | None) -> list[Incident]:
    """The live incidents (open, closed or merged away), newest first; only those of ``cases``
    when given (looked up by id, not every incident read; the caller settled evaluation first:
    :meth:`~bridge.service.BridgeService.settle_notices`)."""
    if cases is None:
        return service.incidents_newest_first("all")
    found = (incident_of(service, c) for c in cases if decisions.track_of_id(c) == "outage")
    return [i for i in found if i is not None]


def _incident_owed(incidents: list[Incident]) -> list[queue.Owed]:
    """Every obligation the core says the incidents owe, as it says it: never narrowed to the
    regulators of an incident's current jurisdictions (a duty a person started stands after
    the incident loses that jurisdiction: :func:`bridge.core.obligations.applies`)."""
    out: list[queue.Owed] = []
    for inc in incidents:
        out.extend(
            queue.Owed(
                inc.id,
                "outage",
                o.regulator,
                o.kind,
                o.due_at,
                o.state,
                o.waiting_for,
                inc.state == "open",
                o.binding,
            )
            for o in inc.obligations
        )
    return out


def _decisions(request: web.Request, incidents: list[Incident]) -> list[queue.Decide]:
    """One per live incident and cybersecurity rule set that marks it potentially significant
    and that no person declared on yet (see the module contract)."""
    loaded = request.app[keys.CONFIG]
    service = request.app[keys.SERVICE]
    out: list[queue.Decide] = []
    for inc in incidents:
        if inc.merged_into is not None or not any(
            a.track == "cyber" and a.reportable for a in inc.assessments
        ):
            continue
        applies = set(regulators.applicable(loaded, inc.jurisdictions))
        for c in service.cases.cyber(inc.id) or ():
            regulator = str(c["regulator"])
            if regulator not in applies or not c["potentially_significant"] or c["declaration"]:
                continue
            preview = [
                {
                    "kind": o["kind"],
                    "report": report_names.report_name(regulator, o["kind"]),
                    "due_at": None
                    if o["due_at"] is None
                    else format_time(datetime.fromisoformat(o["due_at"])),
                    "waiting_for": report_names.waiting_words(o["waiting_for"]) or None,
                }
                for o in c["if_declared_now"]
            ]
            decision = {
                "rule_set": c["rule_set"],
                "reasons": c["reasons"],
                "if_declared_now": preview,
            }
            out.append(queue.Decide(inc.id, "outage", regulator, decision))
    return out


def _unplaced(inc: Incident | None) -> str | None:
    """Why an incident's country is unknown: none of its alerts could be placed, so no
    regulator can be ruled out (bridge/web/regulators.py), else None."""
    if inc is None or inc.jurisdictions or not inc.unmapped:
        return None
    return (
        f"country unknown: {len(inc.unmapped)} alert(s) could not be placed in the inventory; "
        "owed only if the incident is in this regulator's country: state its impact and "
        "jurisdiction on the incident"
    )


def _binding_note(e: queue.Entry, by_regulator: dict[str, RuleSet]) -> str | None:
    """Why an entry binds no regulator (None when it binds)."""
    if e.binding:
        return None
    if e.kind == queue.DECISION:
        return (
            "a person decides whether the incident is significant; nothing is owed to the "
            "regulator until it is declared"
        )
    found = by_regulator.get(e.regulator)
    if found is not None and found.repealed_on is not None:
        return internal_threshold(found.repealed_on)
    return "owed to no regulator"


def _privacy_owed(service: BridgeService, cases: set[str] | None) -> list[queue.Owed]:
    every = list(service.privacy.cases.values())
    chosen = every if cases is None else [c for c in every if c.id in cases]
    return _distributions(service, chosen) + [
        queue.Owed(
            case.id,
            "privacy",
            o.regulator,
            o.kind,
            o.due_at,
            o.state,
            o.waiting_for,
            case.state == "open",
        )
        for case in chosen
        for o in service.privacy_owed.obligations(case.id)
    ]


def _distributions(service: BridgeService, chosen: list[privacy.PrivacyCase]) -> list[queue.Owed]:
    """One item per subscriber notice handed to the operator's address whose distribution no
    person recorded yet (:mod:`bridge.core.privacy_reach`): no deadline of its own, shown
    whether the case is open or closed until it is recorded."""
    return [
        queue.Owed(
            case.id,
            "privacy",
            d["regulator"],
            privacy_reach.QUEUE_KIND,
            None,
            privacy_reach.NOT_RECORDED,
            "distribution_recorded",
        )
        for case in chosen
        for d in service.privacy_owed.distribution(case.id)
        if d["state"] == privacy_reach.NOT_RECORDED
    ]


def _item(
    e: queue.Entry,
    incident: dict[str, Any] | None,
    state: str | None,
    attention: str | None,
    note: str | None,
) -> dict[str, Any]:
    names = report_names.REPORTS.get(e.kind, {})
    return {
        "case": e.case,
        "track": e.track,
        "case_state": state,
        "attention": attention,
        "number": incident["number"] if incident else None,
        "title": incident["title"] if incident else None,
        "acknowledged": incident["acknowledged"] if incident else None,
        "assignee": incident["assignee"] if incident else None,
        "regulator": e.regulator,
        "regulator_name": report_names.regulator_name(e.regulator),
        "country": report_names.country_of(e.regulator),
        "kind": e.kind,
        "report": report_names.report_name(e.regulator, e.kind),
        "report_en": names.get("en", e.kind.replace("_", " ")),
        "due_at": format_time(e.due_at),
        "seconds_left": e.seconds_left,
        "overdue": e.overdue,
        "state": e.state,
        "waiting_for": report_names.waiting_words(e.waiting_for) or None,
        "binding": e.binding,
        "binding_note": note,
        "decision": e.decision,
        "draft": None
        if e.draft is None
        else {"id": e.draft.id, "state": e.draft.state, "version": e.draft.version},
    }


@routes.get("/api/v1/queue")
async def deadline_queue(request: web.Request) -> web.Response:
    caller = await authorize(request)
    tracks = decisions.tracks_allowed(decisions.need_of(request), caller.grants)
    track = request.query.get("track")
    if track is not None:
        if track not in TRACKS:
            raise BadInput("track", f"expected {' or '.join(TRACKS)}, got {track!r}")
        tracks = [t for t in tracks if t == track]
    named_cases = paging.ids_of(request.query, "cases", "incident or privacy case ids")
    cases = None if named_cases is None else set(named_cases)
    service = request.app[keys.SERVICE]
    await service.settle_notices()
    now = service.clock.now()
    owed: list[queue.Owed] = []
    incidents: list[Incident] = []
    to_decide: list[queue.Decide] = []
    if "outage" in tracks:
        live = _incidents(service, named_cases)
        to_decide = _decisions(request, live)
        incidents = [i for i in live if i.obligations]
        owed.extend(_incident_owed(incidents))
    if "privacy" in tracks and service.privacy.enabled:
        owed.extend(_privacy_owed(service, cases))
    # each case's entries depend on that case alone and the order's key starts with the due
    # time and the case: a case's items are the same and in the same order whether or not
    # `cases` narrows the queue
    entries = queue.deadline_queue(owed, _waiting(service, tracks, cases), now, to_decide)
    outage = {e.case for e in entries if e.track == "outage"}
    by_id = {i.id: i for i in incidents}
    for case in outage - by_id.keys():
        inc = incident_of(service, case)
        if inc is not None:
            by_id[case] = inc
    shown = [by_id[c] for c in outage if c in by_id]
    handling = await named(service, shown)
    # one audit entry naming every privacy case the answer shows
    await privacy_list_read(request, caller, (e.case for e in entries if e.track == "privacy"))
    by_regulator = {rs.regulator: rs for rs in service.engine.rule_sets if rs.track != "privacy"}
    items = []
    for e in entries:
        inc = by_id.get(e.case)
        state = inc.state if inc else None
        attention = _unplaced(inc)
        if e.track == "privacy":
            found = service.privacy.cases.get(e.case)
            state = found.state if found else None
            attention = privacy.attention(found) if found else None
        items.append(
            _item(e, handling.get(e.case), state, attention, _binding_note(e, by_regulator))
        )
    return web.json_response({"at": format_time(now), "items": items})
