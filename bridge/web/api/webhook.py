"""The Alertmanager webhook: ``POST /api/v1/alertmanager`` (version 4 payloads).

Contract: needs a configured webhook bearer token or basic credential (401 else); a body over
``server.max_body_bytes`` is 413, and so is one over ``server.limits`` (a body with far too
many alerts is refused before it is decoded); bad JSON or schema 400 naming the field; a store
that cannot take the alerts 503 (nothing stored: Alertmanager retries 5xx; logged once per
outage, :class:`bridge.store.outage.Refusals`); else 200 with how
many alerts were accepted and the incidents they touched. Every answer is counted in
``bridge_webhook_requests_total`` by status code.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from bridge.errors import BadInput, StoreUnavailable
from bridge.metrics import child
from bridge.web import keys
from bridge.web.answers import bridge_error, error, too_large
from bridge.web.auth import WEBHOOK_PATH, webhook_allowed

routes = web.RouteTableDef()


@routes.post(WEBHOOK_PATH)
async def alertmanager_webhook(request: web.Request) -> web.Response:
    metrics = request.app[keys.METRICS]
    response = await _webhook(request)
    child(metrics.webhook_requests, str(response.status)).inc()
    return response


async def _webhook(request: web.Request) -> web.Response:
    cfg = request.app[keys.CONFIG].config
    if webhook_allowed(cfg.auth, request.headers.get("Authorization")) is None:
        return error(
            401,
            "unauthorized",
            "webhook needs a configured bearer token or basic auth",
            **{"WWW-Authenticate": 'Bearer realm="incident-bridge"'},
        )
    limit = cfg.server.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return _too_large(limit)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _too_large(limit)
    try:  # decoded and validated in one pass (bridge.evaluation.ingest); bad JSON is BadInput
        result = await request.app[keys.SERVICE].ingest(raw)
    except (BadInput, StoreUnavailable) as exc:  # answered here so that the count sees them
        return bridge_error(exc)  # a store's refusal is logged once per outage by the ingest
    body = orjson.dumps({"accepted": result.accepted, "incidents": result.incidents})
    return web.Response(body=body, content_type="application/json", charset="utf-8")


def _too_large(limit: int) -> web.Response:
    return error(413, "payload too large", too_large(limit))
