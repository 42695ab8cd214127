"""Browser sessions, the sign-in pages, CSRF, and who a request comes from.

Contract for the console pages:
- :func:`session_principal` — the signed-in person of this request, or None (no cookie, unknown,
  expired or disabled; a session still owing its second factor is not signed in).
- :func:`require_page_user` — the same, or a 303 redirect to ``/login?next=<this path>``.
- :func:`csrf_token` — the token a page puts in every state-changing form
  (``<input type="hidden" name="csrf_token">``) or request (header ``X-CSRF-Token``): the
  session's, or before sign-in the login form's (kept in cookie ``bridge_login_csrf``).

How it works:
- Cookie ``bridge_session`` (HttpOnly, SameSite=Strict, Path=/, Secure unless
  ``auth.session.cookie_secure: false``) holds a random id (256 bits); the store keeps only its
  SHA-256 with the user, creation, last use, the CSRF token and whether the second factor was
  given. A session ends after ``idle_timeout`` without requests and ``absolute_timeout`` after
  sign-in, when the user is disabled, their password is reset, or they sign out.
- A person is signed in when the session exists (password given) and, if their roles need it
  (approver, admin) or they enrolled TOTP, a TOTP code was given in this session. Roles are read
  from the user on every request, so a change applies at once.
- :func:`session_middleware` loads the session once per request, refuses any POST, PUT, PATCH or
  DELETE carrying the session cookie (and no ``Authorization`` header) without the session's
  CSRF token (403, nothing done), and sets cookies the handler asked for.
- :func:`request_principal` is who calls an API route: a bearer token (configured, or stored and
  not revoked) when an ``Authorization`` header is present, else the session's person.
- Optional SSO: with ``trusted_proxy_header`` set, a request from a ``trusted_proxies`` address
  carrying that header signs in the named (existing, enabled) user; TOTP is the proxy's job.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

import segno
from aiohttp import web
from markupsafe import Markup

from bridge.config import LoadedConfig, SessionConfig
from bridge.core import access
from bridge.people.directory import Directory
from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry, SessionRecord, UserRecord
from bridge.web.auth import Principal, api_principal

log = logging.getLogger("bridge.web.session")

COOKIE = "bridge_session"
LOGIN_COOKIE = "bridge_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MAX_ADDRESSES = 10_000  # throttle memory bound: forget the quietest addresses beyond this

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Current:
    """The session a request carries and its user, as loaded for this request."""

    session: SessionRecord
    user: UserRecord

    @property
    def complete(self) -> bool:
        """Password given, and the second factor too where it is owed."""
        owed = access.needs_second_factor(self.user.grants) or self.user.totp_enrolled
        return self.session.second_factor_done or not owed


class Sessions:
    """Sessions of one app: the directory of users, the policy and the address throttle."""

    def __init__(self, loaded: LoadedConfig, store: Store, now: Callable[[], datetime]) -> None:
        cfg = loaded.config.auth.session
        self.loaded = loaded
        self.config: SessionConfig = cfg
        self.now = now
        self.timeouts = access.SessionTimeouts(cfg.idle_timeout, cfg.absolute_timeout)
        self.policy = access.LockoutPolicy(
            cfg.lockout.max_failures,
            cfg.lockout.lock_for,
            cfg.lockout.address_max_failures,
            cfg.lockout.address_window,
        )
        self.directory = Directory(store, now, self.policy)
        self.store = store
        self._failures: dict[str, list[datetime]] = {}
        self._proxies = [ipaddress.ip_network(str(n)) for n in cfg.trusted_proxies]

    # ---- address throttle ----------------------------------------------------------------
    def address_wait(self, address: str) -> float | None:
        """Seconds this address must wait before another sign-in attempt, or None."""
        wait = access.address_wait(self._failures.get(address, []), self.policy, self.now())
        return None if wait is None else wait.total_seconds()

    def address_failed(self, address: str) -> None:
        now = self.now()
        kept = access.recent_failures(self._failures.pop(address, []), self.policy, now)
        self._failures[address] = [*kept, now]  # re-inserted: dict order is recency
        while len(self._failures) > _MAX_ADDRESSES:
            del self._failures[next(iter(self._failures))]

    # ---- sessions ------------------------------------------------------------------------
    async def start(self, user: UserRecord, address: str, second_factor: bool) -> str:
        """A new session for ``user``; returns the id for the cookie (never stored)."""
        now = self.now()
        await self.store.prune_sessions(now)
        session_id = secrets.token_urlsafe(32)
        await self.store.put_session(
            SessionRecord(
                id_hash=_hash(session_id),
                user=user.name,
                created_at=now,
                last_seen=now,
                expires_at=now + self.timeouts.absolute,
                csrf_token=secrets.token_urlsafe(32),
                second_factor_done=second_factor,
                address=address,
            )
        )
        return session_id

    async def load(self, session_id: str) -> Current | None:
        """The live session with this id and its enabled user, or None (an ended one is
        deleted)."""
        record = await self.store.get_session(_hash(session_id))
        if record is None:
            return None
        now = self.now()
        ended = access.session_end(record.created_at, record.last_seen, self.timeouts, now)
        user = None if ended else await self.store.get_user(record.user)
        if ended or user is None or user.disabled:
            await self.store.delete_session(record.id_hash)
            return None
        if access.should_touch(record.last_seen, self.timeouts, now):
            record = replace(record, last_seen=now)
            await self.store.put_session(record)
        return Current(record, user)

    def set_cookie(self, response: web.StreamResponse, session_id: str) -> None:
        response.set_cookie(
            COOKIE,
            session_id,
            max_age=int(self.timeouts.absolute.total_seconds()),
            path="/",
            secure=self.config.cookie_secure,
            httponly=True,
            samesite="Strict",
        )

    def trusted_proxy_user(self, request: web.Request) -> str | None:
        """The user name a trusted proxy vouches for, or None."""
        header = self.config.trusted_proxy_header
        if not header or not request.remote:
            return None
        name = request.headers.get(header, "").strip()
        if not name:
            return None
        try:
            remote = ipaddress.ip_address(request.remote)
        except ValueError:
            return None
        return name if any(remote in net for net in self._proxies) else None

    async def audit(self, actor: str, action: str, target: str, **detail: Any) -> None:
        await self.store.append_audit([AuditEntry(self.now(), actor, action, target, detail)])


SESSIONS = web.AppKey("sessions", Sessions)
_CURRENT = web.RequestKey("session_current", Current)
_NEW_SESSION = web.RequestKey("session_new_id", str)
_CLEAR = web.RequestKey("session_clear", bool)
_LOGIN_CSRF = web.RequestKey("session_login_csrf", str)
_LOGIN_CSRF_NEW = web.RequestKey("session_login_csrf_new", bool)


def sessions(request: web.Request) -> Sessions:
    return request.app[SESSIONS]


def current(request: web.Request) -> Current | None:
    """The session loaded for this request (any, complete or not), or None."""
    return request.get(_CURRENT)


def _principal_of(cur: Current) -> Principal:
    return Principal(cur.user.name, cur.user.grants)


async def session_principal(request: web.Request) -> Principal | None:
    """The fully authenticated person of this request's session, or None."""
    cur = current(request)
    return _principal_of(cur) if cur is not None and cur.complete else None


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
    """The CSRF token for forms on this page: the session's, or the login form's (made on
    first use; the middleware sets its cookie)."""
    cur = current(request)
    if cur is not None:
        return cur.session.csrf_token
    token = request.get(_LOGIN_CSRF)
    if token is None:
        token = secrets.token_urlsafe(32)
        request[_LOGIN_CSRF] = token
        request[_LOGIN_CSRF_NEW] = True
    return token


def login_csrf_ok(request: web.Request, sent: str) -> bool:
    """Whether ``sent`` is the login form's token from this browser's cookie."""
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), sent.encode())


def begin_session(request: web.Request, session_id: str) -> None:
    """Ask the middleware to set the cookie of a new session on this response."""
    request[_NEW_SESSION] = session_id


def end_session(request: web.Request) -> None:
    """Ask the middleware to clear the session cookie on this response."""
    request[_CLEAR] = True


async def request_principal(request: web.Request) -> Principal | None:
    """Who calls: a bearer token when an Authorization header is present (configured token,
    or stored live token), else the session's signed-in person; None when neither."""
    header = request.headers.get("Authorization")
    if header:
        principal = api_principal(request.app[SESSIONS].loaded.config.auth.api_tokens, header)
        if principal is not None:
            return principal
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = await sessions(request).directory.token_for(value.strip())
        return None if token is None else Principal(f"token:{token.name}", token.grants)
    return await session_principal(request)


async def _sent_csrf(request: web.Request) -> str:
    sent = request.headers.get(CSRF_HEADER)
    if sent:
        return sent
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()  # aiohttp keeps it: the handler reads it again
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def _forbidden(detail: str) -> web.HTTPForbidden:
    return web.HTTPForbidden(text=detail)


async def _proxy_sign_in(request: web.Request, cur: Current | None) -> Current | None:
    sess = sessions(request)
    name = sess.trusted_proxy_user(request)
    if name is None or (cur is not None and cur.user.name == name and cur.complete):
        return cur
    user = await sess.store.get_user(name)
    if user is None or user.disabled:
        log.warning("trusted proxy named %r: no such enabled user", name)
        return None
    session_id = await sess.start(user, request.remote or "", second_factor=True)
    await sess.audit(user.name, "login.success", f"user:{user.name}", via="trusted proxy")
    begin_session(request, session_id)
    return await sess.load(session_id)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the session, check CSRF on state-changing requests, set requested cookies."""
    sess = sessions(request)
    session_id = request.cookies.get(COOKIE)
    cur = await sess.load(session_id) if session_id else None
    if session_id and cur is None:
        end_session(request)
    cur = await _proxy_sign_in(request, cur)
    if cur is not None:
        request[_CURRENT] = cur
    login_cookie = request.cookies.get(LOGIN_COOKIE)
    if login_cookie:
        request[_LOGIN_CSRF] = login_cookie
    if (
        request.method in UNSAFE
        and cur is not None
        and "Authorization" not in request.headers
        and request.path != "/login"
    ):
        sent = await _sent_csrf(request)
        if not sent or not hmac.compare_digest(sent.encode(), cur.session.csrf_token.encode()):
            raise _forbidden(
                f"CSRF token missing or wrong: send the session's token in the {CSRF_HEADER} "
                f"header or the {CSRF_FIELD} form field; nothing was done"
            )
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _cookies(request, exc)
        raise
    _cookies(request, response)
    return response


def _cookies(request: web.Request, response: web.StreamResponse) -> None:
    sess = sessions(request)
    new = request.get(_NEW_SESSION)
    if new is not None:
        sess.set_cookie(response, new)
    elif request.get(_CLEAR):
        response.del_cookie(COOKIE, path="/")
    if request.get(_LOGIN_CSRF_NEW):
        response.set_cookie(
            LOGIN_COOKIE,
            request[_LOGIN_CSRF],
            path="/",
            secure=sess.config.cookie_secure,
            httponly=True,
            samesite="Strict",
        )


def qr_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code (no external request)."""
    code = segno.make(uri, error="m")
    svg = code.svg_inline(scale=5, title="TOTP enrolment QR code")
    return Markup(svg)  # segno's own markup; the URI inside is XML-escaped by segno


def setup(
    app: web.Application, loaded: LoadedConfig, store: Store, now: Callable[[], datetime]
) -> None:
    """Register sessions, the middleware and the sign-in routes on ``app``."""
    from bridge.web import login  # the pages render through the console: imported late

    app[SESSIONS] = Sessions(loaded, store, now)
    app.middlewares.append(session_middleware)
    login.setup(app)
