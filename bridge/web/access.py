"""Shared request helpers: who is calling, what they may do, and the JSON body's fields.

Contract:
- :func:`current` — the session the session middleware loaded for this request (complete or
  still owing its second factor), or None.
- :func:`session_principal` — the signed-in person of this request, or None (no cookie,
  unknown, expired or disabled; a session still owing its second factor is not signed in).
- :func:`require_page_user` — the same, or a 303 redirect to ``/login?next=<this path>``.
- :func:`request_principal` is who calls an API route: a bearer token (configured, or stored
  and not revoked) when an ``Authorization`` header is present, else the session's person;
  :func:`principal` is the same or 401, :func:`allow` / :func:`require` add the role check
  (403 naming the role and track), :func:`viewer_of_either` the check of routes open to viewers
  of either track (each sees only its own).
- :func:`body_of` — the request's JSON object (else 400 ``body: …``); :func:`int_field` and
  :func:`str_field` read one field of it (400 naming the field).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from bridge.errors import BadInput
from bridge.web import keys
from bridge.web.auth import Principal, api_principal
from bridge.web.sessions import Current, Sessions

# ---- who is calling -------------------------------------------------------------------------


def sessions(request: web.Request) -> Sessions:
    return request.app[keys.SESSIONS]


def current(request: web.Request) -> Current | None:
    """The session loaded for this request (any, complete or not), or None."""
    return request.get(keys.CURRENT)


async def session_principal(request: web.Request) -> Principal | None:
    """The fully authenticated person of this request's session, or None."""
    cur = current(request)
    return Principal(cur.user.name, cur.user.grants) if cur is not None and cur.complete else None


def login_redirect(request: web.Request) -> web.HTTPSeeOther:
    """303 to the login page, coming back to this local path afterwards."""
    return web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")


async def require_page_user(request: web.Request) -> Principal:
    """The signed-in person, or raise a 303 redirect to ``/login?next=…``."""
    principal = await session_principal(request)
    if principal is None:
        raise login_redirect(request)
    return principal


async def request_principal(request: web.Request) -> Principal | None:
    """Who calls: a bearer token when an Authorization header is present (configured token,
    or stored live token), else the session's signed-in person; None when neither."""
    header = request.headers.get("Authorization")
    if header:
        principal = api_principal(request.app[keys.CONFIG].config.auth.api_tokens, header)
        if principal is not None:
            return principal
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = await sessions(request).directory.tokens.token_for(value.strip())
        return None if token is None else Principal(f"token:{token.name}", token.grants)
    return await session_principal(request)


async def principal(request: web.Request) -> Principal:
    """The caller (API token, or the signed-in person's session), or 401."""
    found = await request_principal(request)
    if found is None:
        raise web.HTTPUnauthorized(
            text="sign in, or send an API token (Authorization: Bearer …)",
            headers={"WWW-Authenticate": 'Bearer realm="incident-bridge"'},
        )
    return found


# ---- what they may do ---------------------------------------------------------------------


def allow(caller: Principal, role: str, track: str) -> Principal:
    """``caller`` when it holds ``role`` on ``track``, else 403."""
    if not caller.can(role, track):
        raise web.HTTPForbidden(text=f"{caller.name} lacks the {role} role for the {track} track")
    return caller


async def require(request: web.Request, role: str, track: str = "outage") -> Principal:
    """The caller, once known to hold ``role`` on ``track`` (401/403 else)."""
    return allow(await principal(request), role, track)


def viewer_of_either(caller: Principal) -> tuple[bool, bool]:
    """(outage viewer, privacy viewer) for a route open to viewers of either track; 403 (as
    for the outage track) when neither."""
    outage, privacy = caller.can("viewer", "outage"), caller.can("viewer", "privacy")
    if not (outage or privacy):
        allow(caller, "viewer", "outage")
    return outage, privacy


# ---- the JSON body ------------------------------------------------------------------------


async def body_of(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise BadInput("body", f"not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BadInput("body", "expected a JSON object")
    return body


def int_field(
    body: dict[str, Any], name: str, expected: str = "the version number (an integer)"
) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(name, f"expected {expected}, got {value!r}")
    return value


def str_field(body: dict[str, Any], name: str, required: bool = False) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise BadInput(name, f"expected text, got {type(value).__name__}")
    if required and not value.strip():
        raise BadInput(name, "required")
    return value
