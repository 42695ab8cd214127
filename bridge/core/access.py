"""Who may do what, and whether a sign-in may go on: pure decisions with ``now`` passed in.

Contract:
- Role grants are ``role`` or ``role:track`` (tracks ``outage``, ``privacy``, or ``all``); roles
  rank ``viewer`` < ``editor`` < ``approver`` < ``admin``; ``auditor`` stands apart (reads the
  audit log). :func:`grants_allow` is the one check every caller uses. An unscoped grant
  (``approver``) covers the outage track only; the privacy track needs ``…:privacy`` or
  ``…:all``.
- An audit entry belongs to a track, derived from its target (:func:`audit_track`): entries
  about a privacy case or a privacy case's draft are the privacy track's, every other entry
  (outage incidents and drafts, sign-in, people, tokens) the outage track's.
- People holding ``approver`` or ``admin`` (any track) need a second factor (TOTP):
  :func:`needs_second_factor`. Managing users and tokens takes an unscoped ``admin``
  (:func:`is_user_admin`) and, for a change, ``admin`` on each track of the roles it gives,
  takes or touches (:func:`grant_tracks`; the decision: bridge/web/decisions.py); nobody adds
  to their own roles (:func:`raised_grants`). A role that approves or administers given through
  the API waits for a second admin: :func:`withheld`.
- Lockout (per account, stored with the user): :func:`after_failure` counts a failed password or
  code; the ``max_failures``-th locks the account for ``lock_for`` and starts a new count;
  :func:`locked_until` says whether a lock is still in force at ``now``.
- Throttle (per client address, a sliding window of failure instants): :func:`address_wait`.
- Sessions end ``idle`` after no request for ``idle_timeout`` and always ``absolute_timeout``
  after sign-in: :func:`session_end`; :func:`should_touch` limits last-seen writes.
- :func:`safe_next` keeps post-login redirects on this site (local absolute paths only).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

ROLE_RANK = {"viewer": 0, "editor": 1, "approver": 2, "admin": 3}
ROLES = (*ROLE_RANK, "auditor")
TRACKS = ("outage", "privacy")
SECOND_FACTOR_ROLES = frozenset({"approver", "admin"})
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


def grant_problem(grant: str) -> str | None:
    """Why ``grant`` is not a valid role grant, or None."""
    role, sep, track = grant.partition(":")
    if role not in ROLES:
        return f"unknown role {role!r}; expected one of {', '.join(ROLES)}"
    if sep and track not in (*TRACKS, "all"):
        return f"unknown track {track!r}; expected one of {', '.join(TRACKS)}, all"
    return None


def grants_allow(grants: Iterable[str], role: str, track: str = "outage") -> bool:
    """True when some grant gives ``role`` (or a higher-ranked one) on ``track``; an unscoped
    grant is a grant on the outage track."""
    for grant in grants:
        granted, _, scope = grant.partition(":")
        if (scope or "outage") not in ("all", track):
            continue
        if granted == role:
            return True
        if granted in ROLE_RANK and role in ROLE_RANK and ROLE_RANK[granted] >= ROLE_RANK[role]:
            return True
    return False


def audit_track(target: str, privacy_prefix: str = "priv-") -> str:
    """The track of an audit entry about ``target`` (``privacy:…``, ``draft:priv-….kind``,
    ``incident:priv-…``: privacy; anything else: outage)."""
    kind, _, rest = target.partition(":")
    return "privacy" if kind == "privacy" or rest.startswith(privacy_prefix) else "outage"


def step_up_fresh(given_at: datetime | None, window: timedelta, now: datetime) -> bool:
    """Whether a second factor given at ``given_at`` still covers an action at ``now``."""
    return given_at is not None and now - given_at <= window


def grant_tracks(grants: Iterable[str]) -> tuple[str, ...]:
    """The tracks on which ``grants`` give any role, by :func:`grants_allow`: an unscoped
    grant the outage track, ``…:privacy`` the privacy track, ``…:all`` both."""
    grants = tuple(grants)
    return tuple(
        t for t in TRACKS if any(grants_allow((g,), g.partition(":")[0], t) for g in grants)
    )


def raised_grants(held: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The grants of ``wanted`` that ``held`` does not already give: its role (or a higher one)
    on each of its tracks, by :func:`grants_allow`. ``admin`` is given by ``admin:all``;
    ``auditor`` by no ``admin`` (it stands apart)."""
    held = tuple(held)
    return [
        g
        for g in wanted
        if not all(grants_allow(held, g.partition(":")[0], t) for t in grant_tracks((g,)))
    ]


@dataclass(frozen=True, slots=True)
class Withheld:
    """What a change of roles from ``held`` to ``wanted`` gives at once and what waits for a
    second admin (:func:`withheld`)."""

    now: tuple[str, ...]  #: the roles held from now on
    pending: tuple[str, ...]  #: the roles that approve or administer, waiting
    kept: tuple[str, ...]  #: held roles kept only until ``pending`` (which gives them) is given


def withheld(held: Iterable[str], wanted: Sequence[str]) -> Withheld:
    """Split a change of roles from ``held`` to ``wanted`` (the roles the person should hold)
    into what is done at once and what waits for a second admin: every grant of ``wanted``
    that approves or administers (approver, admin: :data:`SECOND_FACTOR_ROLES`, any track) and
    that ``held`` does not already give (:func:`raised_grants`) waits; the rest is done now,
    taking roles away too. A held role that a waiting one would give (``editor`` for
    ``approver``, ``admin`` for ``admin:all``) and ``wanted`` otherwise drops is kept until the
    waiting one is confirmed, so the wait takes nothing away."""
    held = tuple(held)
    pending = tuple(
        g for g in raised_grants(held, wanted) if g.partition(":")[0] in SECOND_FACTOR_ROLES
    )
    base = tuple(dict.fromkeys(g for g in wanted if g not in pending))
    kept = tuple(
        g
        for g in held
        if g not in base and not raised_grants(pending, (g,)) and raised_grants(base, (g,))
    )
    return Withheld((*base, *kept), tuple(dict.fromkeys(pending)), kept)


def needs_second_factor(grants: Iterable[str]) -> bool:
    """True when any grant is approver or admin (on any track)."""
    return any(g.partition(":")[0] in SECOND_FACTOR_ROLES for g in grants)


def is_user_admin(grants: Iterable[str]) -> bool:
    """True for an unscoped admin (``admin`` or ``admin:all``): manages people and tokens."""
    return any(g in ("admin", "admin:all") for g in grants)


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be set, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters"
    if not password.strip():
        return "must not be only spaces"
    return None


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)
    address_max_failures: int = 20
    address_window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class FailureState:
    """An account's failed sign-ins since the last success or lock, and its lock."""

    failed: int
    locked_until: datetime | None


def locked_until(state: FailureState, now: datetime) -> datetime | None:
    """The end of a lock still in force at ``now``, or None."""
    if state.locked_until is not None and now < state.locked_until:
        return state.locked_until
    return None


def after_failure(state: FailureState, policy: LockoutPolicy, now: datetime) -> FailureState:
    """The state after one more failure at ``now``: the max_failures-th locks the account."""
    failed = state.failed + 1
    if failed >= policy.max_failures:
        return FailureState(0, now + policy.lock_for)
    return FailureState(failed, state.locked_until)


def after_success() -> FailureState:
    return FailureState(0, None)


def address_wait(
    failures: Sequence[datetime], policy: LockoutPolicy, now: datetime
) -> timedelta | None:
    """How long a client address must wait before trying again, or None: at most
    ``address_max_failures`` failures within the last ``address_window``."""
    recent = sorted(t for t in failures if now - t < policy.address_window)
    if len(recent) < policy.address_max_failures:
        return None
    oldest_counted = recent[-policy.address_max_failures]
    return oldest_counted + policy.address_window - now


def recent_failures(
    failures: Sequence[datetime], policy: LockoutPolicy, now: datetime
) -> list[datetime]:
    """The failures still inside the window (what an address throttle needs to keep)."""
    return [t for t in failures if now - t < policy.address_window]


@dataclass(frozen=True, slots=True)
class SessionTimeouts:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


def session_end(
    created: datetime, last_seen: datetime, timeouts: SessionTimeouts, now: datetime
) -> str | None:
    """Why a session is over at ``now`` (``"absolute timeout"``, ``"idle timeout"``), or None."""
    if now >= created + timeouts.absolute:
        return "absolute timeout"
    if now >= last_seen + timeouts.idle:
        return "idle timeout"
    return None


def should_touch(last_seen: datetime, timeouts: SessionTimeouts, now: datetime) -> bool:
    """Whether to store a new last-seen: once a minute at most, or more often for short idle
    timeouts, so a busy page does not write on every request."""
    return now - last_seen >= min(timedelta(minutes=1), timeouts.idle / 10)


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a local absolute path on this site, else ``default`` (no scheme,
    no ``//host``, no backslash tricks, no control characters)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return default
    return target
