"""Error pages for people: a browser gets HTML with a way back, API clients keep their JSON.

Contract (:func:`html_errors`, outermost on the app, outside the JSON error middleware):
- an error answer (4xx/5xx) in JSON to a request whose ``Accept`` names ``text/html`` for a path
  outside the API (``/api/``) and the probes (``/metrics``, ``/healthz``, ``/readyz``) is
  re-rendered as the console's error page (``error.html``): the status, its reason, the JSON's
  ``detail``, and links back to the board (and to sign-in when nobody is signed in); status and
  the headers that matter (``WWW-Authenticate``, ``Allow``) are kept;
- everything else passes unchanged: every API client and every JSON error body stays as it was.
"""

from __future__ import annotations

import logging

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

from bridge.errors import traced
from bridge.web.auth import PROBES
from bridge.web.console.frame import render

log = logging.getLogger("bridge.web")

_MACHINE_PREFIXES = ("/api/", *PROBES, "/static/")
_KEPT_HEADERS = ("WWW-Authenticate", "Allow")


def wants_html(request: web.Request) -> bool:
    """A person's browser on a console route (not the API or a probe)."""
    if request.path.startswith(_MACHINE_PREFIXES):
        return False
    return "text/html" in request.headers.get("Accept", "")


@web.middleware
async def html_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """See the module contract."""
    response = await handler(request)
    if (
        response.status < 400
        or response.content_type != "application/json"
        or not isinstance(response, web.Response)
        or not wants_html(request)
    ):
        return response
    try:
        body = orjson.loads(response.body if isinstance(response.body, bytes) else b"{}")
        detail = str(body.get("detail", "")) if isinstance(body, dict) else ""
        page = await render(
            request,
            "error.html",
            status=response.status,
            title=f"{response.status} {response.reason}",
            code=response.status,
            reason=response.reason,
            detail=detail,
        )
    except Exception as exc:  # the page must never hide the error behind another: keep the JSON
        log.error("could not render the error page for %s\n%s", request.path, traced(exc))
        return response
    for name in _KEPT_HEADERS:
        if name in response.headers:
            page.headers[name] = response.headers[name]
    return page
