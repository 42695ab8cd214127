"""Operational endpoints: ``/healthz`` (alive), ``/readyz`` (started and the store reachable)
and ``/metrics`` (Prometheus text exposition of the app's registry). No credential is needed:
they say nothing about incidents.

Contract of ``/metrics``: the body prometheus_client's own handler would answer (text format
0.0.4, or OpenMetrics when the ``Accept`` header asks for it; gzip when accepted), but the
event loop only takes a snapshot (:meth:`~bridge.metrics.Metrics.snapshot`): the exposition is
written in a worker thread, so a scrape at 10^4 open incidents does not hold up webhooks.
``name[]`` parameters keep only the samples of those names, as prometheus_client does.

Contract of ``/readyz``: an anonymous caller (an orchestrator's probe) is told the status
only, ``{"status": "ready"}`` (200) or a 503 with the fixed detail
:data:`~bridge.web.answers.NOT_READY`: the store's URL, the replica and the lease holders, and
the cause of a 503 (which names the store's host and port) describe the internal topology. A
caller with any valid credential, an API token or a signed-in person's session of any role
(:func:`~bridge.web.access.request_principal`), gets them: ``store`` (password redacted),
``replica``, ``holder``, ``leader``, ``leader_replica``, ``leader_holder``, and on a 503 the
cause. A credential that is wrong, or that cannot be checked because the store is down, counts
as none: never a 401 (probes send no credential). The cause reaches the bridge's log once per
change (:meth:`~bridge.service.BridgeService.ready`).
"""

from __future__ import annotations

import asyncio

from aiohttp import hdrs, web

from bridge.errors import StoreUnavailable
from bridge.store.holders import replica_of
from bridge.web import keys
from bridge.web.access import request_principal
from bridge.web.answers import NOT_READY, error

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _known(request: web.Request) -> bool:
    """Whether the caller presents a valid credential (a stored token the store cannot check
    now counts as none)."""
    try:
        return await request_principal(request) is not None
    except StoreUnavailable:
        return False


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    service = request.app[keys.SERVICE]
    try:
        await service.ready()
    except StoreUnavailable as exc:
        return error(503, "not ready", str(exc) if await _known(request) else NOT_READY)
    if not await _known(request):
        return web.json_response({"status": "ready"})
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
    scrape = request.app[keys.METRICS].snapshot()  # on the loop: cheap, the engine's state now
    accept = ",".join(request.headers.getall(hdrs.ACCEPT, []))
    names = request.query.getall("name[]", [])
    body, content_type = await asyncio.to_thread(scrape.render, accept, names)
    response = web.Response(body=body, headers={"Content-Type": content_type})
    response.enable_compression()
    return response
