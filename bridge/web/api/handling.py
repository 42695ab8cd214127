"""People's handling of an incident over HTTP: its name, who is on it, notes, and its one
timeline (docs/api.md "Handling an incident").

Contract:
- ``POST /api/v1/incidents/{id}/title`` ``{"title"}`` (empty: back to the name from its alerts),
  ``POST …/ack`` ``{}``, ``POST …/assign`` ``{"assignee": name | null}`` and
  ``POST …/notes`` ``{"text"}`` need the editor role on the incident's track (a token or a
  person: bridge/web/decisions.py) and answer the incident's handling (:func:`handling_json`);
  each change is audited with it (``incident.renamed`` …, target ``incident:ID``), a change that
  changes nothing writes nothing. Bad input is a 400 naming the field (``title``, ``assignee``:
  a person who exists, is enabled and may view the incident's track; ``text``), an unknown
  incident a 404. Privacy cases (``priv-…``) have no casebook: their own register keeps what
  people did (a 404 here once the caller holds the privacy role; outage roles get 403).
- ``GET …/timeline`` (viewer) answers ``{"incident", "number", "title", "events", "chart"}``
  (:mod:`bridge.core.timeline`; the incident's audit entries found by incident, its drafts'
  too once retention pruned them); ``?format=csv`` gives the events as CSV (at, kind, actor,
  regulator, summary; a cell that would start a spreadsheet formula is quoted), for the
  evidence file.
- ``PUT /api/v1/incidents/{id}/impact-override`` ``{"impacts": [{"service", "region",
  "connections", <flag>: bool}], "reason", "jurisdiction"?, "from"?}`` overrides the impact
  of a live incident; ``DELETE`` on the same path with ``{"reason"}`` lifts it
  (:mod:`bridge.core.impact_override`; editor on the incident's track, as above). Each is
  audited (``incident.impact_overridden`` / ``.impact_override_lifted``: who, when, reason,
  the override before and after, and ``impact_before``: the figures and verdicts the person
  saw), written before the incident is evaluated again; the answer is the
  incident as then evaluated (its verdicts, obligations and ``impact_override``). A bad body is
  a 400 naming the field (``impacts[0].connections``, ``reason``, ``from`` …), an incident that
  left memory (settled long ago) or was merged into another a 409: nothing is written.
- ``GET /api/v1/assignees`` (editor on the outage track) lists the people one may assign.
- :func:`named` adds ``number``, ``title``, ``title_source``, ``acknowledged`` and
  ``assignee`` to incident summaries and documents (numbering the incidents seen for the first
  time; with the store down they show without a number).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

from bridge.core import documents, handling, impact_override, timeline
from bridge.core.alerts import AlertEpisode, format_time
from bridge.core.audit_search import AuditFilter
from bridge.core.incident_state import Incident
from bridge.errors import BadInput, Conflict, StoreUnavailable
from bridge.privacy.register_export import safe
from bridge.service import BridgeService
from bridge.store.records import AuditEntry, CasebookRecord, IncidentRecord
from bridge.web import decisions, keys, regulators
from bridge.web.access import authorize, body_of, known_fields
from bridge.web.auth import Principal

routes = web.RouteTableDef()


def derived_title(service: BridgeService, inc: Incident | IncidentRecord) -> tuple[str, str]:
    """The name of an incident nobody named, and where it comes from (``alerts`` or
    ``element``); one that left memory (a stored record) is named from its key."""
    episodes = service.engine.episodes
    held = [ep for k in inc.episodes if (ep := episodes.get(k)) is not None]
    found = handling.title_sources(held)
    if found.summary is not None:
        return handling.derived_title([found.summary], None), "alerts"
    top = inc.key.removeprefix("topo:") if inc.key.startswith("topo:") else None
    top = top or found.element
    topology = service.topology
    element = topology.elements.get(top) if top else None
    region = topology.region_names.get(element.region) if element else None
    kind = element.kind if element else ""
    title = handling.derived_title([], top, kind, region, found.alertname)
    return title, "element"


def handling_json(
    record: CasebookRecord | None, derived: tuple[str, str], notes: bool = False
) -> dict[str, Any]:
    """The handling fields of an incident (``notes`` too when asked)."""
    view = handling.view(record.document if record else {})
    out: dict[str, Any] = {
        "number": record.number if record else None,
        "title": view.title["text"] if view.title else derived[0],
        "title_source": "person" if view.title else derived[1],
        "acknowledged": view.acknowledged,
        "assignee": view.assignee,
    }
    if view.title:
        out["renamed"] = {"by": view.title["by"], "at": view.title["at"]}
    if notes:
        out["notes"] = view.notes
        out["impact_override"] = impact_override.standing(record.document if record else {})
    return out


async def named(
    service: BridgeService, incidents: Sequence[Incident | IncidentRecord]
) -> dict[str, dict[str, Any]]:
    """incident id → its handling fields (see the module contract)."""
    try:
        records = await service.casebooks.numbered([(i.id, i.started_at) for i in incidents])
    except StoreUnavailable:
        records = {}
    return {i.id: handling_json(records.get(i.id), derived_title(service, i)) for i in incidents}


async def named_in_full(service: BridgeService, inc: Incident | IncidentRecord) -> dict[str, Any]:
    """One incident's handling fields, its notes included (numbered when first shown)."""
    try:
        record: CasebookRecord | None = await service.casebooks.record(inc.id)
    except StoreUnavailable:
        record = None
    return handling_json(record, derived_title(service, inc), notes=True)


def incident_of(service: BridgeService, incident_id: str) -> Incident | None:
    """The engine's incident (open, closed or merged), or None: the one place these routes
    read the engine's incidents."""
    return service.engine.incidents.get(incident_id)


async def incident_or_record(
    service: BridgeService, incident_id: str
) -> Incident | IncidentRecord | None:
    """The live incident, else its stored record when it left memory, else None."""
    live = incident_of(service, incident_id)
    return live if live is not None else await service.store.get_incident(incident_id)


async def _incident(request: web.Request) -> tuple[Principal, Incident | IncidentRecord]:
    """The caller, once allowed on the incident's track, and the incident: the live one, or
    its stored record when it left memory (404 unknown)."""
    incident_id = request.match_info["id"]
    track = decisions.track_of_id(incident_id)
    target = f"privacy:{incident_id}" if track == "privacy" else f"incident:{incident_id}"
    caller = await authorize(request, track, target)
    if track == "privacy":
        raise web.HTTPNotFound(
            text="privacy cases keep what people did in their own register: see /privacy"
        )
    service = request.app[keys.SERVICE]
    await service.catch_up()
    inc = await incident_or_record(service, incident_id)
    if inc is None:
        raise web.HTTPNotFound(text=f"no incident {incident_id!r}")
    return caller, inc


async def _changed(
    request: web.Request, inc: Incident | IncidentRecord, change: Any
) -> web.Response:
    service = request.app[keys.SERVICE]
    record = await service.casebooks.change(inc.id, change)
    return web.json_response(
        {"id": inc.id, **handling_json(record, derived_title(service, inc), notes=True)}
    )


@routes.post("/api/v1/incidents/{id}/title")
async def rename(request: web.Request) -> web.Response:
    caller, inc = await _incident(request)
    body = await body_of(request)
    if "title" not in body:
        raise BadInput("title", "required (empty text: back to the name from its alerts)")
    title = handling.clean_title(body["title"])  # a bad one is refused before anything is written
    return await _changed(
        request, inc, lambda doc, now: handling.rename(doc, inc.id, title, caller.name, now)
    )


@routes.post("/api/v1/incidents/{id}/ack")
async def acknowledge(request: web.Request) -> web.Response:
    caller, inc = await _incident(request)
    await body_of(request)
    return await _changed(
        request, inc, lambda doc, now: handling.acknowledge(doc, inc.id, caller.name, now)
    )


@routes.post("/api/v1/incidents/{id}/assign")
async def assign(request: web.Request) -> web.Response:
    caller, inc = await _incident(request)
    body = await body_of(request)
    if "assignee" not in body:
        raise BadInput("assignee", "required: a person's name, or null to unassign")
    name = body["assignee"]
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            raise BadInput("assignee", f"expected a person's name or null, got {name!r}")
        await _assignable(request, name, decisions.track_of_id(inc.id))
    return await _changed(
        request, inc, lambda doc, now: handling.assign(doc, inc.id, name, caller.name, now)
    )


async def _assignable(request: web.Request, name: str, track: str) -> None:
    user = await request.app[keys.SERVICE].store.get_user(name)
    if user is None or user.disabled:
        raise BadInput("assignee", f"no enabled person named {name!r}")
    if not Principal(user.name, user.grants, True).can("viewer", track):
        raise BadInput("assignee", f"{name} may not view {track} incidents")


@routes.post("/api/v1/incidents/{id}/notes")
async def add_note(request: web.Request) -> web.Response:
    caller, inc = await _incident(request)
    body = await body_of(request)
    if "text" not in body:
        raise BadInput("text", "required")
    text = handling.clean_note(body["text"])  # a bad one is refused before anything is written
    response = await _changed(
        request, inc, lambda doc, now: handling.add_note(doc, inc.id, text, caller.name, now)
    )
    response.set_status(201)
    return response


@routes.put("/api/v1/incidents/{id}/impact-override")
async def override_impact(request: web.Request) -> web.Response:
    caller, inc = await _incident(request)
    body = await body_of(request)
    service = request.app[keys.SERVICE]
    # a bad body is refused before anything is written
    engine = service.engine
    known = {rs.jurisdiction for rs in engine.rule_sets}
    known |= {str(k[1]) for k in service.topology.totals if k[0] == "conn"}
    stated = impact_override.parse_override(
        body,
        service.clock.now(),
        service.topology.service_names(),
        known,
        engine.mapping.default_jurisdiction,
    )
    ended = inc.remedied_at if isinstance(inc, Incident) else None
    if stated.from_at is not None and ended is not None and stated.from_at >= ended:
        raise BadInput("from", f"is not before the incident's end ({format_time(ended)})")
    seen = _figures(inc)
    return await _impact_changed(
        request,
        inc,
        lambda doc, now: impact_override.override(doc, inc.id, stated, caller.name, now, seen),
    )


@routes.delete("/api/v1/incidents/{id}/impact-override")
async def lift_override(request: web.Request) -> web.Response:
    caller, inc = await _incident(request)
    reason = impact_override.parse_lift(await body_of(request))
    seen = _figures(inc)
    return await _impact_changed(
        request,
        inc,
        lambda doc, now: impact_override.lift(doc, inc.id, reason, caller.name, now, seen),
    )


def _figures(inc: Incident | IncidentRecord) -> dict[str, Any] | None:
    """The incident's impact and verdicts as the person changing its override sees them (for
    the audit entry's ``impact_before``)."""
    if not isinstance(inc, Incident):
        return None
    return {
        "current": inc.impact.current,
        "peak": inc.impact.peak,
        "known": not documents.impact_unknown(inc),
        "overridden": inc.overridden,
        "verdicts": {a.regulator: documents.verdict(a, inc) for a in inc.assessments},
    }


async def _impact_changed(
    request: web.Request, inc: Incident | IncidentRecord, change: Any
) -> web.Response:
    service = request.app[keys.SERVICE]
    record = await service.change_impact(inc.id, change)
    if record is None:
        raise Conflict(
            f"incident {inc.id}",
            "settled and no longer in memory: its impact no longer changes (add a note instead)",
        )
    doc = await service.read_incident(inc.id, details=False)
    if doc is None:  # left memory in the meantime
        raise web.HTTPNotFound(text=f"no incident {inc.id!r}")
    doc.update(handling_json(record, derived_title(service, inc), notes=True))
    return web.json_response(documents.answered(doc))


@routes.get("/api/v1/assignees")
async def assignees(request: web.Request) -> web.Response:
    await authorize(request)
    users = await request.app[keys.SERVICE].store.list_users()
    people = [
        {"name": u.name, "display_name": u.display_name}
        for u in users
        if not u.disabled and Principal(u.name, u.grants, True).can("viewer", "outage")
    ]
    return web.json_response({"people": people})


@routes.get("/api/v1/incidents/{id}/timeline")
async def incident_timeline(request: web.Request) -> web.Response:
    _, inc = await _incident(request)
    form = request.query.get("format", "json")
    if form not in ("json", "csv"):
        raise BadInput("format", f"expected json or csv, got {form!r}")
    view = request.query.get("view", "all")
    if view not in ("all", "grouped"):
        raise BadInput("view", f"expected all or grouped, got {view!r}")
    service = request.app[keys.SERVICE]
    await service.settle_notices()
    # from the store when it left memory; the grouped view reads the alerts, not their JSON
    doc = await service.read_incident(inc.id, details=view == "all")
    episodes = await service.incident_episodes(inc.id) if view == "grouped" else []
    if doc is None or episodes is None:
        raise web.HTTPNotFound(text=f"no incident {inc.id!r}")
    record = await service.casebooks.record(inc.id)
    drafts = await service.desk.listed(incident=inc.id)  # those of long ago too
    # by incident: pruned drafts' entries too (and any draft listed under another id's)
    audit = await _audit_of(service, inc.id, [d.id for d in drafts])
    loaded = request.app[keys.CONFIG]
    applies = regulators.applicable(loaded, doc["jurisdictions"])
    # a pruned draft's regulator: the one its incident owes that kind of report
    by_kind = {o["kind"]: o["regulator"] for o in doc.get("obligations", [])}
    owners = {
        str(e["detail"]["draft"]): by_kind[str(e["detail"].get("kind"))]
        for e in audit
        if isinstance(e["detail"], dict)
        and e["detail"].get("draft")
        and str(e["detail"].get("kind")) in by_kind
    }
    owners.update({d.id: d.regulator for d in drafts})
    notes = handling.view(record.document).notes
    words = regulators.criteria(loaded)
    if view == "grouped":
        kind = _element_kind(service)
        events = timeline.grouped(doc, episodes, kind, audit, notes, applies, owners, words)
    else:
        events = timeline.events(doc, audit, notes, applies, owners, words)
    head = handling_json(record, derived_title(service, inc))
    if form == "csv":
        return _csv(inc.id, events)
    return web.json_response(
        {
            "incident": inc.id,
            "number": head["number"],
            "title": head["title"],
            "events": events,
            "chart": timeline.chart(doc, regulators.thresholds(loaded), applies),
        }
    )


#: the most audit entries one timeline reads (oldest dropped beyond it)
TIMELINE_AUDIT = 5000


async def _audit_of(
    service: BridgeService, incident_id: str, draft_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """The incident's audit entries, oldest first: its own (``incident:ID``) and its drafts'
    (``draft:ID.…``), found by incident (:meth:`~bridge.store.interfaces.AuditLog.
    search_audit`), so a draft retention pruned still has its story told, and those of any
    draft in ``draft_ids`` named otherwise; at most :data:`TIMELINE_AUDIT`."""
    where = AuditFilter(incident=incident_id)
    found: list[AuditEntry] = []
    before: int | None = None
    while len(found) < TIMELINE_AUDIT:
        page = await service.store.search_audit(where, TIMELINE_AUDIT - len(found), before)
        found.extend(page.entries)
        if page.resume is None:
            break
        before = page.resume
    seen = {e.seq for e in found}
    for other in draft_ids:
        if not other.startswith(f"{incident_id}."):
            for e in await service.store.audit_log(limit=1000, target=f"draft:{other}"):
                if e.seq not in seen:
                    seen.add(e.seq)
                    found.append(e)
    found.sort(key=lambda e: e.seq, reverse=True)
    listed = {f"draft:{d}" for d in draft_ids}
    return [
        {"at": format_time(e.at), "actor": e.actor, "action": e.action, "detail": e.detail}
        for e in reversed(found)
        if e.target == f"incident:{incident_id}"
        or e.target.startswith(f"draft:{incident_id}.")
        or e.target in listed
    ]


def _element_kind(service: BridgeService) -> Callable[[AlertEpisode], str]:
    """The kind of inventory element an alert is on (by the configured element labels, as
    mapping reads them), ``""`` when the inventory holds none of them."""
    elements = service.topology.elements
    names = service.engine.mapping.element_labels
    seen: dict[str, str | None] = {}  # label value → its element's kind (None: not held)

    def kind(ep: AlertEpisode) -> str:
        for name in names:
            value = ep.labels.get(name) or ep.annotations.get(name)
            if not value:
                continue
            found = seen.get(value, "")
            if found == "":
                element = elements.get(value.strip())
                found = seen[value] = element.kind if element is not None else None
            if found is not None:
                return found
        return ""

    return kind


def _csv(incident_id: str, events: list[dict[str, Any]]) -> web.Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "kind", "actor", "regulator", "summary"])
    for e in events:
        row = [e["at"], e["kind"], e["actor"], e.get("regulator", ""), e["summary"]]
        writer.writerow([safe(c) for c in row])
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="timeline-{incident_id}.csv"'},
    )


@routes.post("/api/v1/incidents/{id}/merge")
async def merge(request: web.Request) -> web.Response:
    """``{"into", "reason"}``: this incident is merged into ``into`` (its id, or its number
    ``#2``; see
    bridge/evaluation/regroup.py); answers ``{"merged", "into"}`` with the incident that holds
    both now. Its old id keeps answering, merged into that one."""
    caller, inc = await _incident(request)
    body = await body_of(request)
    known_fields(body, ("into", "reason"))
    service = request.app[keys.SERVICE]
    into_ = await service.incident_named(body.get("into"))  # "#2" as the console shows it
    into = await service.regroup.merge(inc.id, into_, body.get("reason"), caller.name)
    return web.json_response({"merged": inc.id, "into": into})


@routes.post("/api/v1/incidents/{id}/split")
async def split(request: web.Request) -> web.Response:
    """``{"alerts": [fingerprint, …], "reason"}``: those alerts leave this incident for one
    of their own; answers ``{"incident", "split_into"}``."""
    caller, inc = await _incident(request)
    body = await body_of(request)
    known_fields(body, ("alerts", "reason"))
    service = request.app[keys.SERVICE]
    taken = await service.regroup.split(inc.id, body.get("alerts"), body.get("reason"), caller.name)
    return web.json_response({"incident": inc.id, "split_into": taken})
