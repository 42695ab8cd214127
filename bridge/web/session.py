"""Browser sessions: the interface console pages use (internals being filled in).

Contract for the console pages:
- :func:`session_principal` — the signed-in person of this request, or None (no cookie, unknown,
  expired or disabled; a session still waiting for its second factor is not signed in).
- :func:`require_page_user` — the same, or a 303 redirect to ``/login?next=<this path>``.
- :func:`csrf_token` — the token a page must put in every state-changing form
  (``<input type="hidden" name="csrf_token">``) or request (header ``X-CSRF-Token``).
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from bridge.web.auth import Principal

CSRF_KEY = "bridge.csrf"


async def session_principal(request: web.Request) -> Principal | None:
    """The fully authenticated person of this request's session, or None."""
    return None


def login_redirect(request: web.Request) -> web.HTTPSeeOther:
    """303 to the login page, coming back to this local path afterwards."""
    return web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")


async def require_page_user(request: web.Request) -> Principal:
    """The signed-in person, or raise a 303 redirect to ``/login?next=…``."""
    principal = await session_principal(request)
    if principal is None:
        raise login_redirect(request)
    return principal


def csrf_token(request: web.Request) -> str:
    """The CSRF token for forms on this page (the session's, or the pre-login one)."""
    token = request.get(CSRF_KEY)
    return token if isinstance(token, str) else ""
