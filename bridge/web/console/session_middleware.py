"""Sessions per request: the middleware that loads them, CSRF, and the cookies handlers ask for.

Contract:
- :func:`session_middleware` loads the session once per request (bridge/web/access.py's
  :func:`~bridge.web.access.current` then answers from it), signs in the user a trusted proxy
  vouches for, refuses any POST, PUT, PATCH or DELETE carrying the session cookie (and no
  ``Authorization`` header) without the session's CSRF token (403, nothing done), and sets
  cookies the handler asked for (:func:`begin_session`, :func:`end_session`).
  The probes (``/healthz``, ``/metrics``, ``/readyz``) start, end and renew no session and
  sign nobody in; only ``/readyz`` looks at the session (its details are for a credential; a
  look is no use of it: a page polling /readyz keeps no session alive), and a session the
  store cannot check now counts as none there: a browser's probe while the store
  is down gets ``/readyz``'s own 503, its cookie kept, and no warning per probe.
- :func:`read_form` — the request's form (URL-encoded or multipart); a body that cannot be
  read as one (a broken multipart body, an unknown charset) is a 400 naming ``(form)``.
- :func:`csrf_token` — the token a page puts in every state-changing form
  (``<input type="hidden" name="csrf_token">``) or request (header ``X-CSRF-Token``): the
  session's, or before sign-in the login form's (kept in cookie ``bridge_login_csrf``).
"""

from __future__ import annotations

import hmac
import logging
import secrets

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import MultiDictProxy

from bridge.errors import BadInput, StoreUnavailable
from bridge.web import keys
from bridge.web.access import current, sessions
from bridge.web.auth import PROBES, WEBHOOK_PATH
from bridge.web.sessions import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    LOGIN_COOKIE,
    UNSAFE,
    Current,
)

log = logging.getLogger("bridge.web.session")


async def read_form(
    request: web.Request,
) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """The request's form, or BadInput (400) when its body cannot be read as one."""
    try:
        return await request.post()  # aiohttp keeps it: a second call reads no body
    except (ValueError, LookupError, AssertionError) as exc:  # the parser's ways to refuse
        raise BadInput("(form)", f"not a readable form body ({exc})") from None


def csrf_token(request: web.Request) -> str:
    """The CSRF token for forms on this page: the session's, or the login form's (made on
    first use; the middleware sets its cookie)."""
    cur = current(request)
    if cur is not None:
        return cur.session.csrf_token
    token = request.get(keys.LOGIN_CSRF)
    if token is None:
        token = secrets.token_urlsafe(32)
        request[keys.LOGIN_CSRF] = token
        request[keys.LOGIN_CSRF_NEW] = True
    return token


def login_csrf_ok(request: web.Request, sent: str) -> bool:
    """Whether ``sent`` is the login form's token from this browser's cookie."""
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), sent.encode())


def begin_session(request: web.Request, session_id: str) -> None:
    """Ask the middleware to set the cookie of a new session on this response."""
    request[keys.NEW_SESSION] = session_id


def end_session(request: web.Request) -> None:
    """Ask the middleware to clear the session cookie on this response."""
    request[keys.CLEAR_SESSION] = True


async def _sent_csrf(request: web.Request) -> str:
    sent = request.headers.get(CSRF_HEADER)
    if sent:
        return sent
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await read_form(request)  # aiohttp keeps it: the handler reads it again
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def _proxy_sign_in(request: web.Request, cur: Current | None) -> Current | None:
    sess = sessions(request)
    name = sess.trusted_proxy_user(request)
    if name is None or (cur is not None and cur.user.name == name and cur.complete):
        return cur
    user = await sess.store.get_user(name)
    if user is None or user.disabled:
        log.warning("trusted proxy named %r: no such enabled user", name)
        return None
    # The proxy did the sign-in's second factor, not a step-up: sending still takes a TOTP code.
    session_id = await sess.start(user, request.remote or "", signed_in=True)
    await sess.audit(user.name, "login.success", f"user:{user.name}", via="trusted proxy")
    begin_session(request, session_id)
    return await sess.load(session_id)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the session, check CSRF on state-changing requests, set requested cookies.
    Not for the webhook: Alertmanager authenticates each delivery by its own credentials,
    so no session is read, started (a trusted proxy's user header is not a sign-in there)
    or changed on its way, and it pays nothing for sessions."""
    if request.path == WEBHOOK_PATH:
        return await handler(request)
    if request.path in PROBES:  # no session work but /readyz's look at one
        return await _probe(request, handler)
    sess = sessions(request)
    session_id = request.cookies.get(COOKIE)
    cur = await sess.load(session_id) if session_id else None
    if session_id and cur is None:
        end_session(request)
    cur = await _proxy_sign_in(request, cur)
    if cur is not None:
        request[keys.CURRENT] = cur
    login_cookie = request.cookies.get(LOGIN_COOKIE)
    if login_cookie:
        request[keys.LOGIN_CSRF] = login_cookie
    if (
        request.method in UNSAFE
        and cur is not None
        and "Authorization" not in request.headers
        and request.path != "/login"
    ):
        sent = await _sent_csrf(request)
        if not sent or not hmac.compare_digest(sent.encode(), cur.session.csrf_token.encode()):
            raise web.HTTPForbidden(
                text=f"CSRF token missing or wrong: send the session's token in the "
                f"{CSRF_HEADER} header or the {CSRF_FIELD} form field; nothing was done"
            )
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _cookies(request, exc)
        raise
    _cookies(request, response)
    return response


async def _probe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A probe's request (see the module contract): ``/readyz`` learns of a live session."""
    session_id = request.cookies.get(COOKIE)
    if session_id and request.path == "/readyz":
        try:
            cur = await sessions(request).peek(session_id)
        except StoreUnavailable:
            cur = None  # cannot be checked now: counts as none
        if cur is not None:
            request[keys.CURRENT] = cur
    return await handler(request)


def _cookies(request: web.Request, response: web.StreamResponse) -> None:
    sess = sessions(request)
    new = request.get(keys.NEW_SESSION)
    if new is not None:
        sess.set_cookie(response, new)
    elif request.get(keys.CLEAR_SESSION):
        response.del_cookie(COOKIE, path="/")
    if request.get(keys.LOGIN_CSRF_NEW):
        response.set_cookie(
            LOGIN_COOKIE,
            request[keys.LOGIN_CSRF],
            path="/",
            secure=sess.config.cookie_secure,
            httponly=True,
            samesite="Strict",
        )
