"""The aiohttp application: one factory used by ``bridge serve`` and by every test.

Contract: :func:`create_app` builds the service and its metrics collectors, sets every app key
(bridge/web/keys.py), registers the middlewares (outermost first: errors, sessions, the live
feed's poke), every handler module's ``routes``, the console's static assets and the
lifecycles (the service, then the live feed's poller). Handlers live in bridge/web/api/ (the
JSON API, one module per resource) and bridge/web/console/ (pages and sign-in); errors are
answered as bridge/web/answers.py says.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import CollectorRegistry

from bridge.config import LoadedConfig
from bridge.core.topology import Topology
from bridge.metrics import Metrics, PrivacyCollector, StateCollector
from bridge.service import BridgeService, Clock, SystemClock
from bridge.store import Store, make_store
from bridge.web import keys, live
from bridge.web.answers import api_not_stored, bridge_time, error_middleware
from bridge.web.api import (
    audit,
    drafts,
    events,
    handling,
    health,
    incidents,
    openapi,
    people,
    privacy,
    privacy_reach,
    queue,
    webhook,
)
from bridge.web.console import error_pages, frame, pages, signin
from bridge.web.console.session_middleware import session_middleware
from bridge.web.sessions import Sessions

#: Every handler module's routes, in registration order (each route is documented in openapi.yaml).
ROUTES = (
    signin.routes,
    people.routes,
    webhook.routes,
    incidents.routes,
    handling.routes,
    queue.routes,
    drafts.routes,
    audit.routes,
    privacy.routes,
    privacy_reach.routes,
    openapi.routes,
    health.routes,
    events.routes,
    pages.routes,
)


def create_app(
    loaded: LoadedConfig,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    registry: CollectorRegistry | None = None,
    topology: Topology | None = None,
    accept_empty_store: bool = False,
) -> web.Application:
    """Build the application; the service starts and stops with it (``cleanup_ctx``).
    ``accept_empty_store``: ``bridge serve --accept-empty-store`` (:mod:`bridge.notices.in_use`)."""
    metrics = Metrics(registry if registry is not None else CollectorRegistry())
    service = BridgeService(
        loaded,
        store if store is not None else make_store(loaded.store_url()),
        metrics,
        clock or SystemClock(),
        topology,
        accept_empty_store=accept_empty_store,
    )
    _collect(metrics, service)
    openapi.document()  # read once, at start: a broken file stops the bridge here
    # one byte over the limit lets the handler tell "too large" from "exactly at the limit"
    app = web.Application(
        client_max_size=loaded.config.server.max_body_bytes + 1,
        middlewares=[
            error_pages.html_errors,
            error_middleware,
            session_middleware,
            events.poke_middleware,
        ],
    )
    feed = live.LiveFeed(lambda: live.service_snapshot(service))
    app[keys.SERVICE] = service
    app[keys.REFUSALS] = service.refusals
    app[keys.METRICS] = metrics
    app[keys.CONFIG] = loaded
    app[keys.SESSIONS] = Sessions(loaded, service.store, service.clock.now)
    app[keys.JINJA] = frame.environment()
    app[keys.FEED] = feed

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await service.start()
        yield
        await service.stop()

    app.cleanup_ctx.append(lifecycle)
    app.cleanup_ctx.append(feed.running)
    app.on_shutdown.append(feed.close)
    for table in ROUTES:
        app.add_routes(table)
    app.router.add_static("/static/", pages.STATIC_DIR, name="static", append_version=True)
    app.on_response_prepare.append(pages.revalidate_static)
    app.on_response_prepare.append(api_not_stored)
    app.on_response_prepare.append(bridge_time)
    return app


def _collect(metrics: Metrics, service: BridgeService) -> None:
    """The scrape-time collectors: the service's state (on the leader), privacy counts and the
    privacy deadlines (on the leader)."""
    metrics.attach_state(
        StateCollector(
            lambda: service.engine if service.leading else None,
            service.clock.now,
            lambda: service.book.counts() if service.leading else {},
            lambda: service.book.outbox_pending() if service.leading else 0,
            lambda: (service.replica_id, service.leading),
        )
    )
    metrics.attach_state(
        PrivacyCollector(
            service.privacy_owed.counts,
            lambda: service.privacy_owed.next_due() if service.leading else {},
        )
    )
