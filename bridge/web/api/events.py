"""The console's live updates over HTTP: ``GET /api/v1/events`` and the poke after changes.

Contract: the stream (Server-Sent Events from the app's
:class:`~bridge.web.live.LiveFeed`) needs viewer on either track, and each subscriber
is told only of the ids of the tracks it may view. :func:`poke_middleware` (registered by the
app factory, innermost) asks the feed to compare at once after every successful
state-changing request, and every stream to check it may go on (a stream ends when its
session ends or its person's roles change; a token's, when the token is revoked).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from bridge.privacy.cases import is_case
from bridge.web import decisions, keys, live
from bridge.web.access import authorize, current, request_principal, sessions
from bridge.web.auth import Principal

routes = web.RouteTableDef()


@routes.get("/api/v1/events")
async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events for the console (bridge/web/live.py): viewer on either
    track; each subscriber is told only of the ids of the tracks it may view."""
    caller = await authorize(request)
    tracks = decisions.tracks_allowed(decisions.need_of(request), caller.grants)
    outage, privacy = "outage" in tracks, "privacy" in tracks

    def visible(event: dict[str, Any]) -> dict[str, Any] | None:
        return live.trim(event, outage, privacy, is_case)

    return await request.app[keys.FEED].stream(request, visible, _alive(request, caller))


def _alive(request: web.Request, caller: Principal) -> Callable[[], Awaitable[bool]]:
    """Whether the stream may go on: the person's session is live with the same roles (an API
    token: still valid with the same roles)."""
    cur = current(request)
    if caller.person and cur is not None:
        id_hash, grants = cur.session.id_hash, cur.user.grants
        return lambda: sessions(request).still(id_hash, grants)

    async def token_alive() -> bool:
        now = await request_principal(request)
        return now is not None and now.grants == caller.grants

    return token_alive


@web.middleware
async def poke_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """After a successful state-changing API request, compare at once; after any
    state-changing request (a sign-out, a role change), streams check they may go on."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return await handler(request)
    try:
        response = await handler(request)
    finally:
        request.app[keys.FEED].recheck()
    if response.status < 400:
        request.app[keys.FEED].poke()
    return response
