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
from bridge.core.alerts import format_time
from bridge.core.casework import Draft
from bridge.core.topology import Topology
from bridge.errors import BadInput, Conflict, StoreUnavailable
from bridge.metrics import Metrics, PrivacyCollector, StateCollector
from bridge.notices.attachments import attachment_for
from bridge.service import BridgeService, Clock, SystemClock
from bridge.store import Store, make_store
from bridge.web import console, live, notices_api, openapi, session, users_api
from bridge.web.auth import Principal, webhook_allowed
from bridge.web.privacy_api import PrivacyApi

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
    except Conflict as exc:
        return error(409, "conflict", str(exc))
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


async def _principal(request: web.Request) -> Principal:
    """The caller (API token, or the signed-in person's session), or 401."""
    principal = await session.request_principal(request)
    if principal is None:
        raise web.HTTPUnauthorized(
            text="sign in, or send an API token (Authorization: Bearer …)",
            headers={"WWW-Authenticate": 'Bearer realm="incident-bridge"'},
        )
    return principal


def _allow(principal: Principal, role: str, track: str) -> Principal:
    if not principal.can(role, track):
        raise web.HTTPForbidden(
            text=f"{principal.name} lacks the {role} role for the {track} track"
        )
    return principal


async def _require(request: web.Request, role: str, track: str = "outage") -> Principal:
    return _allow(await _principal(request), role, track)


async def list_incidents(request: web.Request) -> web.Response:
    await _require(request, "viewer")
    state = request.query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise BadInput("state", f"expected open, closed or all, got {state!r}")
    await request.app[SERVICE].catch_up()
    return web.json_response({"incidents": request.app[SERVICE].list_incidents(state)})


async def get_incident(request: web.Request) -> web.Response:
    await _require(request, "viewer")
    incident_id = request.match_info["id"]
    await request.app[SERVICE].settle_notices()
    doc = request.app[SERVICE].get_incident(incident_id)
    if doc is None:
        raise web.HTTPNotFound(text=f"no incident {incident_id!r}")
    drafts = request.app[SERVICE].desk.select(incident=incident_id)
    doc["drafts"] = [notices_api.summary(d) for d in drafts]
    return web.json_response(doc)


# ---- drafts and audit ------------------------------------------------------------------------


async def _draft(request: web.Request, role: str) -> tuple[Draft, Principal]:
    """The draft named in the path, once the caller is known to hold ``role`` on its track."""
    principal = await _principal(request)  # authenticated before anything is read or said
    draft_id = request.match_info["id"]
    await request.app[SERVICE].settle_notices()
    found = await request.app[SERVICE].desk.get(draft_id)
    if found is None:
        _allow(principal, "viewer", "outage")  # a stranger to both tracks learns nothing
        raise web.HTTPNotFound(text=f"no draft {draft_id!r}")
    if found.track == "privacy":  # privacy drafts: every read and every refusal is audited
        allowed = principal.can(role, "privacy")
        if allowed and role != "viewer":
            return found, principal  # the change itself is audited with the draft
        await request.app[SERVICE].privacy.audit_access(
            principal.name,
            "privacy.read" if allowed else "privacy.refused",
            f"draft:{found.id}",
            {"method": request.method, "path": request.path, "role": role},
        )
    return found, _allow(principal, role, found.track)


async def list_drafts(request: web.Request) -> web.Response:
    principal = await _principal(request)  # viewer on either track: each sees its own drafts
    if not (principal.can("viewer", "outage") or principal.can("viewer", "privacy")):
        _allow(principal, "viewer", "outage")
    states = notices_api.states_param(request.query.get("state"))
    incident = request.query.get("incident")
    await request.app[SERVICE].settle_notices()
    desk = request.app[SERVICE].desk
    regulator = request.query.get("regulator")
    drafts = [
        d
        for d in desk.select(states, incident)
        if principal.can("viewer", d.track) and regulator in (None, d.regulator)
    ]
    if any(d.track == "privacy" for d in drafts):  # a read of privacy drafts is audited
        await request.app[SERVICE].privacy.audit_access(
            principal.name,
            "privacy.read",
            "privacy:drafts",
            {"method": request.method, "path": request.path},
        )
    return web.json_response({"drafts": [notices_api.summary(d) for d in drafts]})


async def get_draft(request: web.Request) -> web.Response:
    draft, _ = await _draft(request, "viewer")
    return web.json_response(notices_api.detail(draft))


async def get_draft_version(request: web.Request) -> web.Response:
    draft, _ = await _draft(request, "viewer")
    number = request.match_info["n"]
    if not number.isdigit():
        raise BadInput("n", f"expected a version number, got {number!r}")
    return web.json_response(notices_api.version_json(draft, draft.version(int(number))))


async def draft_diff(request: web.Request) -> web.Response:
    draft, _ = await _draft(request, "viewer")
    latest = draft.latest.number
    try:
        new = int(request.query.get("to", latest))
        old = int(request.query.get("from", max(1, new - 1)))
    except ValueError:
        raise BadInput("from/to", "expected version numbers") from None
    return web.json_response(request.app[SERVICE].desk.diff(draft, old, new))


async def draft_attachment(request: web.Request) -> web.Response:
    draft, _ = await _draft(request, "viewer")
    version = draft.approved_version or draft.latest
    found = attachment_for(draft, version, request.app[SERVICE].desk.sender)
    if found is None:
        raise web.HTTPNotFound(text=f"{draft.kind} notices carry no attachment")
    name, mime, body = found
    return web.Response(
        body=body,
        content_type=mime,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def edit_draft(request: web.Request) -> web.Response:
    draft, principal = await _draft(request, "editor")
    body = await notices_api.body_of(request)
    fields = body.get("fields")
    if not isinstance(fields, dict):
        raise BadInput("fields", "expected an object of field key → new text")
    changed = await request.app[SERVICE].desk.edit(
        draft.id, notices_api.int_field(body, "version"), fields, principal.name
    )
    return web.json_response(notices_api.detail(changed))


async def approve_draft(request: web.Request) -> web.Response:
    draft, principal = await _draft(request, "approver")
    body = await notices_api.body_of(request)
    incomplete_ok = body.get("incomplete_ok", False)
    if not isinstance(incomplete_ok, bool):
        raise BadInput("incomplete_ok", "expected true or false")
    changed = await request.app[SERVICE].desk.approve(
        draft.id,
        notices_api.int_field(body, "version"),
        principal.name,
        notices_api.str_field(body, "comment"),
        incomplete_ok,
    )
    return web.json_response(notices_api.detail(changed))


async def reject_draft(request: web.Request) -> web.Response:
    draft, principal = await _draft(request, "approver")
    body = await notices_api.body_of(request)
    changed = await request.app[SERVICE].desk.reject(
        draft.id, notices_api.str_field(body, "reason", required=True), principal.name
    )
    return web.json_response(notices_api.detail(changed))


async def resolve_draft(request: web.Request) -> web.Response:
    draft, principal = await _draft(request, "approver")
    body = await notices_api.body_of(request)
    changed = await request.app[SERVICE].desk.resolve(
        draft.id,
        notices_api.str_field(body, "action", required=True),
        notices_api.str_field(body, "comment"),
        principal.name,
    )
    return web.json_response(notices_api.detail(changed))


async def audit_log(request: web.Request) -> web.Response:
    principal = await _require(request, "viewer")
    if not (principal.can("admin", "outage") or principal.can("auditor", "outage")):
        raise web.HTTPForbidden(text=f"{principal.name} lacks the admin or auditor role")
    try:
        limit = min(1000, max(1, int(request.query.get("limit", "100"))))
        before = request.query.get("before")
        before_seq = int(before) if before else None
    except ValueError:
        raise BadInput("limit/before", "expected whole numbers") from None
    entries = await request.app[SERVICE].store.audit_log(
        limit, before_seq, request.query.get("target")
    )
    return web.json_response(
        {
            "entries": [
                {
                    "seq": e.seq,
                    "at": format_time(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "target": e.target,
                    "detail": e.detail,
                }
                for e in entries
            ]
        }
    )


async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events for the console (bridge/web/live.py): viewer on either track; each
    subscriber is told only of the ids of the tracks it may view."""
    principal = await _principal(request)
    outage, privacy = principal.can("viewer", "outage"), principal.can("viewer", "privacy")
    if not (outage or privacy):
        _allow(principal, "viewer", "outage")

    def visible(event: dict[str, object]) -> dict[str, object] | None:
        return live.trim(event, outage, privacy, request.app[SERVICE].privacy.is_case)

    return await request.app[live.FEED].stream(request, visible)


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(openapi.document())


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        await request.app[SERVICE].ready()
    except StoreUnavailable as exc:
        return error(503, "not ready", str(exc))
    service = request.app[SERVICE]
    return web.json_response(
        {
            "status": "ready",
            "store": service.store.url,
            "replica": service.replica_id,
            "leader": service.leading,
            "leader_replica": service.leadership.leader_id,
        }
    )


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
    metrics.attach_state(
        StateCollector(
            lambda: service.engine if service.leading else None,
            service.clock.now,
            lambda: service.book.counts() if service.leading else {},
            lambda: service.book.outbox_pending() if service.leading else 0,
            lambda: (service.replica_id, service.leading),
        )
    )
    metrics.registry.register(PrivacyCollector(service.privacy.counts))
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
    session.setup(app, loaded, service.store, service.clock.now)
    users_api.setup(app)
    app.router.add_post("/api/v1/alertmanager", alertmanager_webhook)
    app.router.add_get("/api/v1/incidents", list_incidents)
    app.router.add_get("/api/v1/incidents/{id}", get_incident)
    app.router.add_get("/api/v1/drafts", list_drafts)
    app.router.add_get("/api/v1/drafts/{id}", get_draft)
    app.router.add_patch("/api/v1/drafts/{id}", edit_draft)
    app.router.add_get("/api/v1/drafts/{id}/versions/{n}", get_draft_version)
    app.router.add_get("/api/v1/drafts/{id}/diff", draft_diff)
    app.router.add_get("/api/v1/drafts/{id}/attachment", draft_attachment)
    app.router.add_post("/api/v1/drafts/{id}/approve", approve_draft)
    app.router.add_post("/api/v1/drafts/{id}/reject", reject_draft)
    app.router.add_post("/api/v1/drafts/{id}/resolve", resolve_draft)
    app.router.add_get("/api/v1/audit", audit_log)
    PrivacyApi(SERVICE, _principal).add_routes(app)
    app.router.add_get("/api/v1/openapi.json", openapi_json)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", make_aiohttp_handler(registry))
    app.router.add_get("/api/v1/events", events)
    console.setup(app, loaded, service)
    return app
