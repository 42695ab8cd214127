"""The incidents, read-only: ``GET /api/v1/incidents`` and ``GET /api/v1/incidents/{id}``.

Contract: viewer on the outage track; the list takes ``state`` (open, closed or all; open by
default; else 400) and is caught up with the store first; one incident comes in full with its
drafts' summaries (404 for an unknown id).
"""

from __future__ import annotations

from aiohttp import web

from bridge.errors import BadInput
from bridge.web import keys
from bridge.web.access import require
from bridge.web.api.drafts import summary

routes = web.RouteTableDef()


@routes.get("/api/v1/incidents")
async def list_incidents(request: web.Request) -> web.Response:
    await require(request, "viewer")
    state = request.query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise BadInput("state", f"expected open, closed or all, got {state!r}")
    service = request.app[keys.SERVICE]
    await service.catch_up()
    return web.json_response({"incidents": service.list_incidents(state)})


@routes.get("/api/v1/incidents/{id}")
async def get_incident(request: web.Request) -> web.Response:
    await require(request, "viewer")
    incident_id = request.match_info["id"]
    service = request.app[keys.SERVICE]
    await service.settle_notices()
    doc = service.get_incident(incident_id)
    if doc is None:
        raise web.HTTPNotFound(text=f"no incident {incident_id!r}")
    drafts = service.desk.select(incident=incident_id)
    doc["drafts"] = [summary(d) for d in drafts]
    return web.json_response(doc)
