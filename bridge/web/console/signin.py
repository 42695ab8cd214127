"""The sign-in pages: password, TOTP code, TOTP enrolment, sign-out.

Contract (routes):
- ``GET/POST /login`` — user name and password; the form carries the login CSRF token (cookie
  ``bridge_login_csrf``, compared in constant time; 403 without it). A right password starts a
  session (a new id every time) and goes on to ``/login/totp`` (TOTP enrolled),
  ``/enrol/totp`` (roles need TOTP, none enrolled yet) or ``next``.
- ``GET/POST /login/totp`` and ``/enrol/totp`` — need the session of the password step; the
  code completes the session; enrolment shows the otpauth URI, its secret and a QR code (inline
  SVG). Wrong codes count toward the account's lockout like wrong passwords. ``/enrol/totp``
  also serves any signed-in session whose person has no TOTP yet (a trusted proxy's sign-in,
  which is no step-up); its code is then the session's fresh second factor.
- ``POST /logout`` — ends the session (CSRF-checked by the middleware), back to ``/login``.
- Failures answer 401 with the form again (429 while the client address is throttled); the
  message never says whether the name exists. ``next`` is followed only when it is a local path.
- The pages render through the console's frame (bridge/web/console/frame.py); the app factory
  adds :data:`routes` and the session middleware (bridge/web/console/session_middleware.py).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import segno
from aiohttp import web
from markupsafe import Markup

from bridge.core.access import needs_second_factor, safe_next
from bridge.people.rules import add_person_hint
from bridge.web.access import current, sessions
from bridge.web.console import session_middleware as s
from bridge.web.console.frame import render
from bridge.web.sessions import CSRF_FIELD, Current

routes = web.RouteTableDef()
log = logging.getLogger("bridge.web.session")


async def _render(
    request: web.Request, template: str, status: int = 200, **ctx: Any
) -> web.Response:
    return await render(request, f"auth/{template}", status=status, **ctx)


def qr_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code (no external request)."""
    code = segno.make(uri, error="m")
    svg = code.svg_inline(scale=5, title="TOTP enrolment QR code")
    return Markup(svg)  # segno's own markup; the URI inside is XML-escaped by segno


def _next(request: web.Request, form: Any = None) -> str:
    raw = form.get("next") if form is not None else None
    return safe_next(raw if isinstance(raw, str) else request.query.get("next"))


def _with_next(path: str, target: str) -> str:
    return path if target == "/" else f"{path}?next={quote(target, safe='')}"


def _address(request: web.Request) -> str:
    return request.remote or ""


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


def cookie_cannot_stick(request: web.Request) -> bool:
    """Whether the browser reached us over plain http on a host other than loopback while the
    session cookie is Secure-only (``auth.session.cookie_secure``): its browser drops the cookie,
    so signing in fails. A proxy's ``X-Forwarded-Proto: https`` counts as https."""
    if not sessions(request).config.cookie_secure:
        return False
    proto = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
    if proto.lower() == "https":
        return False
    host = (request.url.host or "").lower()
    return not (host in _LOOPBACK or host.startswith("127.") or host.endswith(".localhost"))


PLAIN_HTTP = (
    "This page came over plain http, but the sign-in cookie is sent only over https "
    "(auth.session.cookie_secure: true), so signing in here fails. Open the console over "
    "https, or on a lab host set auth.session.cookie_secure: false in bridge.yaml."
)


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    target = _next(request)
    cur = current(request)
    if cur is not None and cur.complete:
        raise web.HTTPSeeOther(target)
    return await _login_again(request, "", 200, target)


@routes.post("/login")
async def login_submit(request: web.Request) -> web.Response:
    form = await s.read_form(request)
    if not s.login_csrf_ok(request, _field(form, CSRF_FIELD)):
        if cookie_cannot_stick(request):
            raise web.HTTPForbidden(text=PLAIN_HTTP)
        raise web.HTTPForbidden(
            text="CSRF token missing or wrong on the sign-in form: reload the page and retry"
        )
    sess = sessions(request)
    address = _address(request)
    target = _next(request, form)
    wait = sess.address_wait(address)
    if wait is not None:
        minutes = max(1, round(wait / 60))
        return await _login_again(
            request, f"Too many failed sign-ins from here: wait {minutes} min.", 429, target
        )
    result = await sess.directory.signin.check_password(
        _field(form, "username").strip().lower(), _field(form, "password"), address
    )
    if not result.ok or result.user is None:
        sess.address_failed(address)
        return await _login_again(request, result.message, 401, target)
    user = result.user
    old = current(request)
    if old is not None:
        await sess.store.delete_session(old.session.id_hash)
    second_needed = needs_second_factor(user.grants) or user.totp_enrolled
    session_id = await sess.start(user, address, signed_in=False)
    s.begin_session(request, session_id)
    if not second_needed:
        await sess.directory.signin.signed_in(user, address, second_factor=False)
        raise web.HTTPSeeOther(target)
    step = "/login/totp" if user.totp_enrolled else "/enrol/totp"
    raise web.HTTPSeeOther(_with_next(step, target))


async def _login_again(request: web.Request, error: str, status: int, target: str) -> web.Response:
    sess = sessions(request)
    plain_http = cookie_cannot_stick(request)
    if plain_http and not sess.warned_plain_http:
        sess.warned_plain_http = True
        log.warning(
            "the sign-in page was served over plain http to %s while auth.session.cookie_secure "
            "is on: browsers drop the session cookie there, so signing in fails (use https, or "
            "set cookie_secure: false on a lab host)",
            request.url.host,
        )
    nobody = await sess.nobody_yet()
    return await _render(
        request,
        "login.html",
        status=status,
        title="Sign in",
        login_csrf=s.csrf_token(request),
        next=target,
        error=error,
        plain_http=PLAIN_HTTP if plain_http else "",
        add_person=add_person_hint(sess.loaded.path) if nobody else "",
    )


def _pending(request: web.Request, enrolling: bool = False) -> Current:
    """The session of the password step still owing its code, else redirect. ``enrolling``:
    a signed-in session whose person has no TOTP yet may enrol one too (someone who signs in
    only through the trusted proxy, whose sign-in is no step-up: without it they could never
    approve or send)."""
    cur = current(request)
    target = _next(request)
    if cur is None:
        raise web.HTTPSeeOther(_with_next("/login", target))
    if enrolling and not cur.user.totp_enrolled:
        return cur
    if cur.complete and cur.session.second_factor_done:
        raise web.HTTPSeeOther(target)
    return cur


@routes.get("/login/totp")
async def totp_page(request: web.Request) -> web.Response:
    cur = _pending(request)
    if not cur.user.totp_enrolled:
        raise web.HTTPSeeOther(_with_next("/enrol/totp", _next(request)))
    return await _code_page(request, cur, "totp.html")


@routes.get("/enrol/totp")
async def enrol_page(request: web.Request) -> web.Response:
    cur = _pending(request, enrolling=True)
    if cur.user.totp_enrolled:
        raise web.HTTPSeeOther(_with_next("/login/totp", _next(request)))
    return await _code_page(request, cur, "enrol.html")


async def _code_page(
    request: web.Request, cur: Current, template: str, error: str = "", status: int = 200
) -> web.Response:
    ctx: dict[str, Any] = {}
    if template == "enrol.html":
        secret, uri = await sessions(request).directory.signin.enrolment(cur.user.name)
        ctx = {"secret": secret, "uri": uri, "qr": qr_svg(uri)}
    return await _render(
        request,
        template,
        status=status,
        title="Second factor",
        session_csrf=cur.session.csrf_token,
        next=_next(request),
        error=error,
        **ctx,
    )


@routes.post("/login/totp")
@routes.post("/enrol/totp")
async def code_submit(request: web.Request) -> web.Response:
    """POST /login/totp and /enrol/totp: the code completes the session (and enrolment)."""
    enrolling = request.path == "/enrol/totp"
    cur = _pending(request, enrolling)
    template = "enrol.html" if enrolling else "totp.html"
    form = await s.read_form(request)
    target = _next(request, form)
    sess = sessions(request)
    address = _address(request)
    if sess.address_wait(address) is not None:
        return await _code_page(request, cur, template, "Too many failed attempts from here.", 429)
    result = await sess.directory.signin.check_totp(cur.user.name, _field(form, "code"), address)
    if not result.ok or result.user is None:
        sess.address_failed(address)
        if result.locked_until is not None:
            await sess.store.delete_session(cur.session.id_hash)
            s.end_session(request)
            return await _login_again(request, result.message, 401, target)
        return await _code_page(request, cur, template, "That code is not right.", 401)
    now = sess.now()
    await sess.store.put_session(
        replace(cur.session, second_factor_done=True, last_seen=now, second_factor_at=now)
    )
    await sess.directory.signin.signed_in(result.user, address, second_factor=True)
    raise web.HTTPSeeOther(target)


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    cur = current(request)
    if cur is not None:
        sess = sessions(request)
        await sess.store.delete_session(cur.session.id_hash)
        await sess.audit(
            cur.user.name, "logout", f"user:{cur.user.name}", address=_address(request)
        )
    s.end_session(request)
    raise web.HTTPSeeOther("/login")
