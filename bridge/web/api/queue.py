"""The deadline queue over HTTP: ``GET /api/v1/queue``, everything owed, nearest due first.

Contract:
- Viewer on either track (bridge/web/decisions.py, ``own``): an outage viewer sees what the
  incidents (open and closed) owe and their drafts waiting for a person, a privacy viewer what
  the privacy cases owe (that read is audited, ``privacy.read`` of ``privacy:queue``, before it
  is answered). Ordered by :func:`bridge.core.queue.deadline_queue`: overdue on top.
- Each item says in plain words what is owed to whom (``report``: "Nkom – første varsel",
  ``regulator_name``, ``country``), by when (``due_at``, ``seconds_left``, ``overdue``), or
  what it waits for (``waiting_for``), its ``state``, its draft, and the incident's ``number``,
  ``title``, ``acknowledged`` and ``assignee`` (privacy cases: their id only, no contents).
  Only regulators that apply to the incident's jurisdictions are listed
  (bridge/web/regulators.py). Not paged: it holds what is owed, nothing older.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge.core import queue, report_names
from bridge.core.alerts import format_time
from bridge.core.incident_state import Incident
from bridge.service import BridgeService
from bridge.web import decisions, keys, regulators
from bridge.web.access import authorize, privacy_read
from bridge.web.api.handling import incident_of, named

routes = web.RouteTableDef()


def _waiting(service: BridgeService, tracks: list[str]) -> list[queue.Waiting]:
    out = []
    for d in service.desk.select():
        if d.track in tracks:
            out.append(
                queue.Waiting(
                    d.id, d.incident_id, d.track, d.regulator, d.kind, d.state, d.latest.number
                )
            )
    return out


def _incident_owed(request: web.Request, incidents: list[Incident]) -> list[queue.Owed]:
    loaded = request.app[keys.CONFIG]
    out: list[queue.Owed] = []
    for inc in incidents:
        applies = set(regulators.applicable(loaded, inc.jurisdictions))
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
            )
            for o in inc.obligations
            if o.regulator in applies
        )
    return out


def _privacy_owed(service: BridgeService) -> list[queue.Owed]:
    return [
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
        for case in list(service.privacy.cases.values())
        for o in service.privacy_owed.obligations(case.id)
    ]


def _item(e: queue.Entry, incident: dict[str, Any] | None, state: str | None) -> dict[str, Any]:
    names = report_names.REPORTS.get(e.kind, {})
    return {
        "case": e.case,
        "track": e.track,
        "case_state": state,
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
        "draft": None
        if e.draft is None
        else {"id": e.draft.id, "state": e.draft.state, "version": e.draft.version},
    }


@routes.get("/api/v1/queue")
async def deadline_queue(request: web.Request) -> web.Response:
    caller = await authorize(request)
    tracks = decisions.tracks_allowed(decisions.need_of(request), caller.grants)
    service = request.app[keys.SERVICE]
    await service.settle_notices()
    now = service.clock.now()
    owed: list[queue.Owed] = []
    incidents: list[Incident] = []
    if "outage" in tracks:
        incidents = [i for i in service.incidents_newest_first("all") if i.obligations]
        owed.extend(_incident_owed(request, incidents))
    if "privacy" in tracks and service.privacy.enabled:
        owed.extend(_privacy_owed(service))
    entries = queue.deadline_queue(owed, _waiting(service, tracks), now)
    outage = {e.case for e in entries if e.track == "outage"}
    by_id = {i.id: i for i in incidents}
    for case in outage - by_id.keys():
        inc = incident_of(service, case)
        if inc is not None:
            by_id[case] = inc
    shown = [by_id[c] for c in outage if c in by_id]
    handling = await named(service, shown)
    if any(e.track == "privacy" for e in entries):
        await privacy_read(request, caller, "privacy:queue")
    items = []
    for e in entries:
        inc = by_id.get(e.case)
        state = inc.state if inc else None
        if e.track == "privacy":
            found = service.privacy.cases.get(e.case)
            state = found.state if found else None
        items.append(_item(e, handling.get(e.case), state))
    return web.json_response({"at": format_time(now), "items": items})
