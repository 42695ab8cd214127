"""The incidents, read-only: ``GET /api/v1/incidents`` and ``GET /api/v1/incidents/{id}``.

Contract: viewer on the outage track (bridge/web/decisions.py); one incident with a privacy
case's id (``priv-…``) is the privacy track's: it needs viewer on the privacy track, its read
and a refusal are audited (``privacy.read`` / ``privacy.refused``). The list takes ``state``
(open, closed or all; open by default; else 400), is caught up with the store first and is
paged (``limit``, ``cursor``, ``next``: bridge/web/paging.py) over the engine's incidents sorted
in memory, newest first (start, then id); one
incident comes in full with its drafts' summaries (404 for an unknown id). Outage incidents
carry people's handling (bridge/web/api/handling.py: ``number``, ``title``, ``acknowledged``,
``assignee``; in full also ``notes`` and ``applies``, the regulators that can apply to its
jurisdictions, whose verdicts the console shows).
"""

from __future__ import annotations

from aiohttp import web

from bridge.core.incident_state import Incident
from bridge.errors import BadInput
from bridge.web import decisions, keys, paging, regulators
from bridge.web.access import authorize, privacy_read
from bridge.web.api.drafts import summary
from bridge.web.api.handling import incident_of, named, named_in_full

routes = web.RouteTableDef()


@routes.get("/api/v1/incidents")
async def list_incidents(request: web.Request) -> web.Response:
    await authorize(request)
    state = request.query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise BadInput("state", f"expected open, closed or all, got {state!r}")
    service = request.app[keys.SERVICE]
    await service.catch_up()
    chosen = paging.page(service.incidents_newest_first(state), _key, 2, request.query)
    handling = await named(service, chosen.items)
    summaries = [
        {**s, **handling[s["id"]]} for s in service.incidents.summaries(state, chosen.items)
    ]
    return web.json_response(chosen.answer("incidents", summaries))


def _key(incident: Incident) -> paging.Key:
    return (paging.instant(incident.started_at), incident.id)


@routes.get("/api/v1/incidents/{id}")
async def get_incident(request: web.Request) -> web.Response:
    incident_id = request.match_info["id"]
    track = decisions.track_of_id(incident_id)
    target = f"privacy:{incident_id}" if track == "privacy" else f"incident:{incident_id}"
    caller = await authorize(request, track, target)
    service = request.app[keys.SERVICE]
    await service.settle_notices()
    doc = service.get_incident(incident_id)
    if doc is None:
        raise web.HTTPNotFound(text=f"no incident {incident_id!r}")
    if track == "privacy":
        await privacy_read(request, caller, target)
    drafts = service.desk.select(incident=incident_id)
    doc["drafts"] = [summary(d) for d in drafts]
    inc = incident_of(service, incident_id)
    if track == "outage" and inc is not None:
        doc.update(await named_in_full(service, inc))
        doc["applies"] = regulators.applicable(request.app[keys.CONFIG], doc["jurisdictions"])
    return web.json_response(doc)
