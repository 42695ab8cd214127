"""The aiohttp application: one factory used by ``bridge serve`` and by every test.

Errors are mapped in one middleware: BadInput → 400 naming the field, StoreUnavailable → 503
(Alertmanager retries only 5xx), aiohttp's own HTTP errors keep their status, anything else → 500.
Every error body is ``{"error": …, "detail": …}``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.aiohttp import make_aiohttp_handler

from bridge.config import LoadedConfig
from bridge.core.topology import Topology
from bridge.errors import BadInput, StoreUnavailable
from bridge.metrics import Metrics, StateCollector
from bridge.service import BridgeService, Clock, SystemClock
from bridge.store import Store, make_store
from bridge.web import openapi
from bridge.web.auth import Principal, api_principal, webhook_allowed

log = logging.getLogger("bridge.web")

SERVICE = web.AppKey("service", BridgeService)
METRICS = web.AppKey("metrics", Metrics)
CONFIG = web.AppKey("config", LoadedConfig)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, error_: str, detail: str, **headers: str) -> web.Response:
    return web.json_response({"error": error_, "detail": detail}, status=status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadInput as exc:
        return error(400, "bad request", str(exc))
    except StoreUnavailable as exc:
        log.warning("store unavailable on %s %s: %s", request.method, request.path, exc)
        return error(503, "store unavailable", f"{exc}; nothing was stored, retry")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        reason = exc.reason
        detail = exc.text or reason
        if exc.status == 413:
            limit = request.app[CONFIG].config.server.max_body_bytes
            detail = f"request body exceeds the limit of {limit} bytes"
        return error(
            exc.status,
            reason.lower(),
            detail,
            **{k: v for k, v in exc.headers.items() if k.lower() in ("www-authenticate", "allow")},
        )
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error(500, "internal error", "see the bridge's log")


# ---- webhook ------------------------------------------------------------------------------


async def alertmanager_webhook(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    response = await _webhook(request)
    metrics.webhook_requests.labels(code=str(response.status)).inc()
    return response


async def _webhook(request: web.Request) -> web.Response:
    cfg = request.app[CONFIG].config
    if webhook_allowed(cfg.auth, request.headers.get("Authorization")) is None:
        return error(
            401,
            "unauthorized",
            "webhook needs a configured bearer token or basic auth",
            **{"WWW-Authenticate": 'Bearer realm="incident-bridge"'},
        )
    limit = cfg.server.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return error(413, "payload too large", f"request body exceeds the limit of {limit} bytes")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return error(413, "payload too large", f"request body exceeds the limit of {limit} bytes")
    try:
        body = orjson.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return error(400, "bad request", f"body: not valid JSON ({exc})")
    try:
        result = await request.app[SERVICE].ingest(body)
    except BadInput as exc:
        return error(400, "bad request", str(exc))
    except StoreUnavailable as exc:
        log.warning("webhook refused, store unavailable: %s", exc)
        return error(503, "store unavailable", f"{exc}; nothing was stored, retry")
    return web.json_response({"accepted": result.accepted, "incidents": result.incidents})


# ---- read API -----------------------------------------------------------------------------


def _require(request: web.Request, role: str) -> Principal:
    principal = api_principal(
        request.app[CONFIG].config.auth.api_tokens, request.headers.get("Authorization")
    )
    if principal is None:
        raise web.HTTPUnauthorized(
            text="an API token is required (Authorization: Bearer …)",
            headers={"WWW-Authenticate": 'Bearer realm="incident-bridge"'},
        )
    if not principal.can(role, "outage"):
        raise web.HTTPForbidden(text=f"{principal.name} lacks the {role} role for outages")
    return principal


async def list_incidents(request: web.Request) -> web.Response:
    _require(request, "viewer")
    state = request.query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise BadInput("state", f"expected open, closed or all, got {state!r}")
    return web.json_response({"incidents": request.app[SERVICE].list_incidents(state)})


async def get_incident(request: web.Request) -> web.Response:
    _require(request, "viewer")
    incident_id = request.match_info["id"]
    doc = request.app[SERVICE].get_incident(incident_id)
    if doc is None:
        raise web.HTTPNotFound(text=f"no incident {incident_id!r}")
    return web.json_response(doc)


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(openapi.document())


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        await request.app[SERVICE].ready()
    except StoreUnavailable as exc:
        return error(503, "not ready", str(exc))
    return web.json_response({"status": "ready", "store": request.app[SERVICE].store.url})


# ---- factory ------------------------------------------------------------------------------


def create_app(
    loaded: LoadedConfig,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    registry: CollectorRegistry | None = None,
    topology: Topology | None = None,
) -> web.Application:
    """Build the application; the service starts and stops with it (``cleanup_ctx``)."""
    cfg = loaded.config
    registry = registry if registry is not None else CollectorRegistry()
    metrics = Metrics(registry)
    service = BridgeService(
        loaded,
        store if store is not None else make_store(loaded.store_url()),
        metrics,
        clock or SystemClock(),
        topology,
    )
    metrics.attach_state(StateCollector(lambda: service.engine, service.clock.now))
    # one byte over the limit lets the handler tell "too large" from "exactly at the limit"
    app = web.Application(
        client_max_size=cfg.server.max_body_bytes + 1, middlewares=[error_middleware]
    )
    app[SERVICE] = service
    app[METRICS] = metrics
    app[CONFIG] = loaded

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await service.start()
        yield
        await service.stop()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_post("/api/v1/alertmanager", alertmanager_webhook)
    app.router.add_get("/api/v1/incidents", list_incidents)
    app.router.add_get("/api/v1/incidents/{id}", get_incident)
    app.router.add_get("/api/v1/openapi.json", openapi_json)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", make_aiohttp_handler(registry))
    return app
