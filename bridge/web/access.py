"""Shared request helpers: who is calling, what they may do, and the JSON body's fields.

Contract:
- :func:`current` — the session the session middleware loaded for this request (complete or
  still owing its second factor), or None.
- :func:`session_principal` — the signed-in person of this request, or None (no cookie,
  unknown, expired or disabled; a session still owing its second factor is not signed in).
- :func:`require_page_user` — the same, or a 303 redirect to ``/login?next=<this path>``.
- :func:`request_principal` is who calls an API route: a bearer token (configured, or stored
  and not revoked) when an ``Authorization`` header is present, else the session's person;
  :func:`principal` is the same or 401.
- :func:`authorize` — the caller, once the route's need (bridge/web/decisions.py, the one table
  of route decisions) allows it on the route's track (or the target's, which the handler
  names): else 403 naming what is missing, a refusal on the privacy track audited
  (``privacy.refused``) before it is answered. ``person+factor`` routes (those that send
  notices, and changes to people and tokens) refuse API tokens, naming why.
  :func:`privacy_read` audits a read of privacy data before it is answered;
  :func:`privacy_list_read` a list's read: ONE entry naming every privacy case it shows
  (``privacy:<case id>``: the first as its target, the others as its further targets, ``also``),
  so an audit search by ``incident=<case id>`` or ``target=privacy:<case id>`` finds it.
- :func:`may_change` — for a change to people or tokens (``roles`` routes): 403 naming the
  track unless the caller holds admin on every track of the roles the change gives, takes or
  touches; a refusal that names the privacy track is audited (``privacy.refused``).
- :func:`second_factor` — for the routes that send (``person+factor``): when the signed-in
  person gave the second factor, either a TOTP code with the request (body field ``totp``,
  single use) or one the bridge checked in this session at most ``auth.session.step_up_window``
  ago (a trusted proxy's sign-in is none); else 403 naming why, nothing done.
- :func:`body_of` — the request's JSON object (else 400 ``body: …``, or ``Content-Type: …``
  for a charset it cannot be decoded by); :func:`int_field` and :func:`str_field` read one
  field of it (400 naming the field).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bridge.core import access as rules
from bridge.core import instants
from bridge.errors import BadInput
from bridge.web import decisions, keys
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
    if cur is None or not cur.complete:
        return None
    return Principal(cur.user.name, cur.user.grants, person=True)


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
    """Who calls: a bearer token when an Authorization header is present, even empty
    (configured token, or stored live token; the session's cookie is then not used, as the
    CSRF check assumes), else the session's signed-in person; None when neither."""
    header = request.headers.get("Authorization")
    if header is not None:
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


def _refusal(caller: Principal, need: decisions.Need, track: str) -> str:
    roles = " or ".join(need.roles_on(track))
    if need.track in ("-", "roles"):
        return f"{caller.name} lacks an unscoped admin role (admin or admin:all)"
    if need.track == "own":
        return f"{caller.name} lacks the {roles} role for the outage or privacy track"
    return f"{caller.name} lacks the {roles} role for the {track} track"


async def privacy_audit(
    request: web.Request, caller: Principal, action: str, target: str, **detail: str
) -> None:
    """One ``privacy.*`` audit entry about ``target`` (written before the answer)."""
    await request.app[keys.SERVICE].access_audit.record(
        caller.name, action, target, {"method": request.method, "path": request.path, **detail}
    )


async def allowed_on(
    request: web.Request, caller: Principal, track: str | None = None, target: str = ""
) -> bool:
    """Whether the route's need allows ``caller`` on ``track`` (the target's, for ``target``
    routes); a refusal on the privacy track is audited."""
    need = decisions.need_of(request)
    on = track if need.track == "target" and track else need.track
    if decisions.allowed(need, caller.grants, on):
        return True
    if on == "privacy":
        await privacy_audit(
            request,
            caller,
            "privacy.refused",
            target or "privacy:route",
            role="|".join(need.roles_on("privacy")),
        )
    return False


async def authorize(
    request: web.Request,
    track: str | None = None,
    target: str = "",
    caller: Principal | None = None,
) -> Principal:
    """The caller (known already, or found now), once the route's need allows it (see the
    module contract)."""
    need = decisions.need_of(request)
    caller = caller or await principal(request)
    if not await allowed_on(request, caller, track, target):
        on = track if need.track == "target" and track else need.track
        raise web.HTTPForbidden(text=_refusal(caller, need, on))
    if need.who == "person+factor" and not caller.person:
        never = "manage people or tokens" if need.track == "roles" else "send notices"
        raise web.HTTPForbidden(
            text=f"{caller.name} is an API token: to {need.what} a person signs in and confirms "
            f"it with a TOTP code; API tokens never {never}"
        )
    return caller


async def may_change(
    request: web.Request, caller: Principal, touched: Iterable[str], target: str
) -> None:
    """403 unless ``caller`` holds what the route's need asks (admin) on every track of the
    roles ``touched`` (given, taken, or held by ``target``, the person or token changed):
    :func:`bridge.web.decisions.unmanaged_tracks`. Nothing is done before it."""
    need = decisions.need_of(request)
    missing = decisions.unmanaged_tracks(need, caller.grants, touched)
    if not missing:
        return
    if "privacy" in missing:
        await privacy_audit(
            request, caller, "privacy.refused", target, role="|".join(need.roles_on("privacy"))
        )
    tracks = " and ".join(f"the {t} track" for t in missing)
    raise web.HTTPForbidden(
        text=f"{caller.name} lacks admin on {tracks}: to {need.what} that gives, takes or "
        f"touches roles on it (here {target}) takes admin there (admin:{missing[0]} or "
        "admin:all); nothing was done"
    )


async def privacy_read(
    request: web.Request, caller: Principal, target: str, action: str = "privacy.read"
) -> None:
    """Audit a read of privacy data by ``caller`` before it is answered."""
    await privacy_audit(request, caller, action, target)


async def privacy_list_read(request: web.Request, caller: Principal, cases: Iterable[str]) -> None:
    """Audit a list's read of privacy data by ``caller`` before it is answered: ONE
    ``privacy.read`` entry naming the route and every case in ``cases`` (the privacy cases whose
    items the answer shows), in id order: ``privacy:<id>`` of the first as its target, of the
    others as its further targets (``also``; a read of one case is an entry as any other read of
    it); none for none. One entry a read, however many cases it shows: an open console page
    reads its list at every privacy change, and each entry is kept for ever."""
    targets = [f"privacy:{c}" for c in sorted(set(cases))]
    if targets:
        await request.app[keys.SERVICE].access_audit.record(
            caller.name,
            "privacy.read",
            targets[0],
            {"method": request.method, "path": request.path},
            targets[1:],
        )


async def second_factor(request: web.Request, body: dict[str, Any]) -> datetime:
    """When the signed-in person gave the second factor that covers this action (see the
    module contract); 403 else."""
    cur = current(request)
    if cur is None or not cur.complete:  # authorize let only people through
        raise web.HTTPForbidden(text="a signed-in person must confirm this with a TOTP code")
    sess = sessions(request)
    now = sess.now()
    code = body.get("totp")
    if code is not None and code != "":
        if not isinstance(code, str):
            raise BadInput("totp", "expected the 6-digit code as text")
        result = await sess.directory.signin.check_totp(cur.user.name, code, request.remote or "")
        if not result.ok:
            sess.address_failed(request.remote or "")
            why = (
                "locked"
                if result.locked_until is not None
                else "not possible: no TOTP enrolled for this person (enrol one at /enrol/totp)"
                if result.reason == "no second factor possible"
                else "wrong or used already"
            )
            raise web.HTTPForbidden(text=f"the TOTP code is {why}: nothing was done")
        await sess.second_factor_given(cur, now)
        return now
    given = cur.session.second_factor_at
    if given is not None and rules.step_up_fresh(given, sess.config.step_up_window, now):
        return given
    last = (
        "no code was given in this session (a trusted proxy's sign-in is no step-up)"
        if given is None
        else "the last one in this session is older than auth.session.step_up_window"
    )
    raise web.HTTPForbidden(
        text=f"confirm this with a TOTP code (field totp): {last}; nothing was done"
    )


# ---- the JSON body ------------------------------------------------------------------------


#: deeper than any body this API takes (a handful of levels); a deeper one is refused whole
BODY_DEPTH = 32


async def body_of(request: web.Request) -> dict[str, Any]:
    """The JSON object of the body, decoded by the ``charset`` of its Content-Type (UTF-8 by
    default); 400 naming ``Content-Type`` for a charset Python does not know as text, 400
    naming ``body`` for anything else: not JSON, not an object, or nested more than
    :data:`BODY_DEPTH` levels (far deeper, decoding itself would exhaust the recursion
    limit)."""
    try:
        body = await request.json()
    except LookupError:  # bytes.decode: an unknown charset (or not a text encoding)
        raise BadInput("Content-Type", f"unknown charset {request.charset!r}") from None
    except RecursionError:
        raise BadInput("body", f"nested more than {BODY_DEPTH} levels deep") from None
    except ValueError as exc:
        raise BadInput("body", f"not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BadInput("body", "expected a JSON object")
    if _deeper_than(body, BODY_DEPTH):
        raise BadInput("body", f"nested more than {BODY_DEPTH} levels deep")
    return body


def _deeper_than(value: object, levels: int) -> bool:
    """Whether decoded JSON nests objects and lists more than ``levels`` deep (level by level,
    without recursion: each object or list is looked into once)."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(levels):
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return bool(level)


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


def instant_field(body: dict[str, Any], name: str, now: datetime) -> datetime | None:
    """An optional ISO 8601 time with its offset (absent or null: None), in UTC and in the
    plausible window at ``now`` (:func:`bridge.core.instants.given`); 400 naming ``name``
    otherwise."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadInput(name, f"expected an ISO 8601 time, got {type(value).__name__}")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(name, f"expected an ISO 8601 time, got {value!r}") from None
    return instants.given(at, name, now)


def known_fields(body: dict[str, Any], known: tuple[str, ...]) -> None:
    """400 naming the first field of ``body`` not in ``known``."""
    stray = sorted(set(body) - set(known))
    if stray:
        raise BadInput(stray[0], f"unknown field; expected {', '.join(known)}")
