"""The console's live updates over HTTP: ``GET /api/v1/events`` and the poke after changes.

Contract: the stream (Server-Sent Events from the app's
:class:`~bridge.web.live.LiveFeed`) needs viewer on either track, and each subscriber
is told only of the ids of the tracks it may view. :func:`poke_middleware` (registered by the
app factory, innermost) asks the feed to compare at once after every successful
state-changing request.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from bridge.privacy.cases import is_case
from bridge.web import keys, live
from bridge.web.access import principal, viewer_of_either

routes = web.RouteTableDef()


@routes.get("/api/v1/events")
async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events for the console (bridge/web/live.py): viewer on either
    track; each subscriber is told only of the ids of the tracks it may view."""
    outage, privacy = viewer_of_either(await principal(request))

    def visible(event: dict[str, Any]) -> dict[str, Any] | None:
        return live.trim(event, outage, privacy, is_case)

    return await request.app[keys.FEED].stream(request, visible)


@web.middleware
async def poke_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """After a successful state-changing API request, compare at once."""
    response = await handler(request)
    if request.method not in ("GET", "HEAD", "OPTIONS") and response.status < 400:
        request.app[keys.FEED].poke()
    return response
