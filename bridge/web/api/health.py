"""Operational endpoints: ``/healthz`` (alive), ``/readyz`` (started and the store reachable:
200 with the store, replica and leadership, else 503 saying why) and ``/metrics`` (Prometheus
text exposition of the app's registry). No authentication: they say nothing about incidents.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from bridge.errors import StoreUnavailable
from bridge.store.holders import replica_of
from bridge.web import keys
from bridge.web.answers import error

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    service = request.app[keys.SERVICE]
    try:
        await service.ready()
    except StoreUnavailable as exc:
        return error(503, "not ready", str(exc))
    leader = service.leadership.leader_id  # the leading process's lease holder, as last seen
    return web.json_response(
        {
            "status": "ready",
            "store": service.store.url,
            "replica": service.replica_id,
            "holder": service.leadership.holder,
            "leader": service.leading,
            "leader_replica": replica_of(leader) if leader else None,
            "leader_holder": leader,
        }
    )


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.StreamResponse:
    return await make_aiohttp_handler(request.app[keys.METRICS].registry)(request)
