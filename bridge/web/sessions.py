"""Browser sessions of one app: the store records, the sign-in policy and the address throttle.

How it works:
- Cookie ``bridge_session`` (HttpOnly, SameSite=Strict, Path=/, Secure unless
  ``auth.session.cookie_secure: false``) holds a random id (256 bits); the store keeps only its
  SHA-256 with the user, creation, last use, the CSRF token and whether the second factor was
  given. A session ends after ``idle_timeout`` without requests and ``absolute_timeout`` after
  sign-in, when the user is disabled, their password is reset, or they sign out.
- A person is signed in when the session exists (password given) and, if their roles need it
  (approver, admin) or they enrolled TOTP, a TOTP code was given in this session
  (:attr:`Current.complete`). Roles are read from the user on every request, so a change
  applies at once.
- Optional SSO: with ``trusted_proxy_header`` set, a request from a ``trusted_proxies`` address
  carrying that header signs in the named (existing, enabled) user; the sign-in's second factor
  is the proxy's job (:meth:`Sessions.trusted_proxy_user`), but it is no step-up: sending still
  takes a TOTP code of the bridge's own enrolment.
- Step-up: ``second_factor_at`` (what bridge/web/access.py's ``second_factor`` counts as a fresh
  factor) is set only when the bridge itself checked a TOTP code in the session (the sign-in
  code or :meth:`Sessions.second_factor_given`), never by :meth:`Sessions.start`.

Per request (loading, CSRF, cookies): bridge/web/console/session_middleware.py; who a request
comes from: bridge/web/access.py; the sign-in pages: bridge/web/console/signin.py.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from aiohttp import web

from bridge.config import LoadedConfig, SessionConfig
from bridge.core import access
from bridge.people.directory import Directory
from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry, SessionRecord, UserRecord

COOKIE = "bridge_session"
LOGIN_COOKIE = "bridge_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MAX_ADDRESSES = 10_000  # throttle memory bound: forget the quietest addresses beyond this


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
        self.directory = Directory(store, now, self.policy, configured=loaded.config.auth)
        self.store = store
        self._failures: dict[str, list[datetime]] = {}
        self._proxies = [ipaddress.ip_network(str(n)) for n in cfg.trusted_proxies]
        self._someone = False  # a person was seen once: the login page stops saying how to add one
        self.warned_plain_http = False

    async def nobody_yet(self) -> bool:
        """Whether no person exists yet (remembered once one does: people are never deleted)."""
        if not self._someone:
            self._someone = bool(await self.store.list_users())
        return not self._someone

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
    async def start(self, user: UserRecord, address: str, *, signed_in: bool) -> str:
        """A new session for ``user``; returns the id for the cookie (never stored).

        ``signed_in``: the sign-in is complete already (a trusted proxy did its second factor),
        else a TOTP code is still owed where :attr:`Current.complete` asks for one. Either way
        the session starts with no step-up (``second_factor_at`` None): only a TOTP code the
        bridge checks in it (:meth:`second_factor_given`, the sign-in's code step) gives one."""
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
                second_factor_done=signed_in,
                address=address,
                second_factor_at=None,
            )
        )
        return session_id

    async def load(self, session_id: str) -> Current | None:
        """The live session with this id and its enabled user, or None (an ended one is
        deleted); a use of it (the idle timeout starts again)."""
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

    async def peek(self, session_id: str) -> Current | None:
        """The live session with this id and its enabled user, or None; changes nothing and
        does not count as use (a probe's look: the idle timeout still ends the session)."""
        record = await self.store.get_session(_hash(session_id))
        if record is None:
            return None
        if access.session_end(record.created_at, record.last_seen, self.timeouts, self.now()):
            return None
        user = await self.store.get_user(record.user)
        return None if user is None or user.disabled else Current(record, user)

    async def still(self, id_hash: str, grants: tuple[str, ...]) -> bool:
        """Whether the session ``id_hash`` is still live with its user enabled and holding
        exactly ``grants`` (for a long request such as the live stream; it does not count as
        use, so the idle timeout still ends the session)."""
        record = await self.store.get_session(id_hash)
        if record is None:
            return False
        if access.session_end(record.created_at, record.last_seen, self.timeouts, self.now()):
            return False
        user = await self.store.get_user(record.user)
        return user is not None and not user.disabled and user.grants == grants

    async def second_factor_given(self, current: Current, at: datetime) -> Current:
        """Record that the session's person gave a TOTP code the bridge checked at ``at`` (a
        step-up code): approving within ``step_up_window`` after it needs no new code. Call it
        only after such a check: sending actions are audited as ``second_factor: totp``."""
        record = replace(current.session, second_factor_done=True, second_factor_at=at)
        await self.store.put_session(record)
        return Current(record, current.user)

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
