"""People (users) and API tokens over HTTP, for the console's users page and for automation.

Contract (who may: ``NEEDS`` in bridge/web/decisions.py; 401/403 else):
- Reading the lists (``GET``) takes an unscoped admin (``admin`` or ``admin:all``), person or
  API token. Every change (``POST``, ``PATCH``) takes a signed-in person holding an unscoped
  admin, with a fresh second factor (a TOTP code with the request, body field ``totp``, or one
  given in this session within ``auth.session.step_up_window``: what sending a notice takes),
  never an API token (403 naming why), and admin on every track of the roles the change gives,
  takes or touches (the roles given, and those the person or token changed holds): so a person
  holding a privacy-track role (``…:privacy``, ``…:all``) is added, changed, reset, unlocked or
  disabled, and a token with one made or revoked, only by an admin of the privacy track
  (``admin:all``, or ``admin:privacy`` beside ``admin``); else 403 naming the track, nothing
  done. Nobody adds a role to their own (403): another admin gives it. The audit entry of a
  change names the person and ``second_factor_at``. The CLI (``bridge users``, ``bridge
  tokens``) is the way in for whoever runs the server and is not bound by these.
- Two admins for power: a person's roles that approve or administer (``approver``, ``admin``,
  any track) asked for by ``POST``/``PATCH`` are not given at once but wait (the user's
  ``pending``: roles, who asked, when; bridge/people/accounts.py) until a different person,
  with an unscoped admin and admin on every track of the roles waiting and held, confirms them
  with their own fresh second factor: ``POST /api/v1/users/{name}/pending-roles/confirm``
  ``{"roles": [the roles waiting], "totp"?}`` → ``{"user"}`` (409 when none or others wait;
  403 for the admin who asked and for the person the roles are for). Either admin cancels:
  ``POST /api/v1/users/{name}/pending-roles/cancel`` (body optional: ``{"roles"?, "totp"?}``).
  What raises nothing, taking roles away too, is done at once; API tokens are not covered
  (they never approve, send or manage people).
- ``GET /api/v1/users`` → ``{"users": [user]}``; a user is its name, display name, roles, the
  tracks of its roles, TOTP enrolment, disabled flag, lock, times, the grant waiting
  (``pending``: roles, tracks, requested_by, requested_at; or null): never its hash or TOTP
  secret.
- ``POST /api/v1/users`` ``{"name", "roles": [...], "display_name"?, "password"?, "totp"?}`` → 201
  ``{"user", "password"?}``: without a password a one-time one is made and shown once.
- ``PATCH /api/v1/users/{name}`` with any of ``roles``, ``display_name``, ``disabled``,
  ``reset_totp: true``, ``unlock: true``, ``password`` (sets it) or ``reset_password: true``
  (makes a one-time one, returned once), and ``totp``. Disabling, a new password or a TOTP
  reset ends the user's sessions. An admin cannot disable themselves or drop their own admin
  role (409). A change whose person's roles changed meanwhile is 409 (nothing done).
- ``GET /api/v1/tokens`` → ``{"tokens": [token]}`` (never the secret or its hash);
  ``POST /api/v1/tokens`` ``{"name", "roles", "totp"?}`` → 201 ``{"token", "secret"}`` (the
  secret is shown this once; the name: bridge/people/tokens.py, one live token per name);
  ``POST /api/v1/tokens/{id}/revoke`` (body optional: ``{"totp"}``) → the revoked token (401
  for it at once).
- Bad input is 400 naming the field; unknown names 404; every change is in the audit log.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge.core.access import grant_tracks, is_user_admin, raised_grants
from bridge.core.alerts import format_time
from bridge.errors import BadInput, Conflict
from bridge.people.accounts import still_waiting
from bridge.people.directory import Directory
from bridge.people.rules import check_grants, check_name, check_password, new_password
from bridge.store.records import TokenRecord, UserRecord
from bridge.web import access
from bridge.web.access import body_of, known_fields
from bridge.web.api.drafts import attested
from bridge.web.auth import Principal

routes = web.RouteTableDef()


async def _admin(request: web.Request) -> tuple[Principal, Directory]:
    """The caller, once the route's need allows it (bridge/web/decisions.py: an unscoped admin;
    for a change, a signed-in person), and the directory."""
    principal = await access.authorize(request)
    return principal, access.sessions(request).directory


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON body, or nothing (a revoke within the step-up window needs none)."""
    return await body_of(request) if request.body_exists else {}


def _time(value: Any) -> str | None:
    return format_time(value)


def user_json(u: UserRecord) -> dict[str, Any]:
    return {
        "name": u.name,
        "display_name": u.display_name,
        "roles": list(u.grants),
        "tracks": list(grant_tracks(u.grants)),
        "totp_enrolled": u.totp_enrolled,
        "disabled": u.disabled,
        "failed_logins": u.failed_logins,
        "locked_until": _time(u.locked_until),
        # the TOTP step's own (bridge.people.signin: the two steps count apart)
        "totp_failures": u.totp_failures,
        "totp_locked_until": _time(u.totp_locked_until),
        "created_at": format_time(u.created_at),
        "updated_at": format_time(u.updated_at),
        "pending": {
            "roles": list(u.pending_roles),
            "tracks": list(grant_tracks(u.pending_roles)),
            "requested_by": u.pending_by,
            "requested_at": _time(u.pending_at),
        }
        if u.pending_roles
        else None,
    }


def token_json(t: TokenRecord) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "roles": list(t.grants),
        "tracks": list(grant_tracks(t.grants)),
        "created_at": format_time(t.created_at),
        "created_by": t.created_by,
        "last_used_at": _time(t.last_used_at),
        "revoked_at": _time(t.revoked_at),
    }


def _roles(body: dict[str, Any], required: bool) -> list[str] | None:
    value = body.get("roles")
    if value is None and not required:
        return None
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise BadInput("roles", 'expected a list of roles like ["viewer", "approver:outage"]')
    return value


def _text(body: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadInput(name, "expected text" if value is not None else "required")
    return value


def _flag(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise BadInput(name, "expected true or false")
    return value


@routes.get("/api/v1/users")
async def list_users(request: web.Request) -> web.Response:
    _, directory = await _admin(request)
    users = await directory.store.list_users()
    return web.json_response({"users": [user_json(u) for u in users]})


@routes.post("/api/v1/users")
async def create_user(request: web.Request) -> web.Response:
    principal, directory = await _admin(request)
    body = await body_of(request)
    name = check_name(_text(body, "name", required=True) or "")
    roles = list(check_grants(_roles(body, required=True) or []))
    password = _text(body, "password")
    if password is not None:
        check_password(password)
    await access.may_change(request, principal, roles, f"user:{name}")
    if await directory.accounts.get(name) is not None:
        raise Conflict(f"user {name}", "exists already")
    factor_at = await access.second_factor(request, body)
    generated = password is None
    if password is None:
        password = new_password()
    user = await directory.accounts.add_user(
        name,
        roles,
        password,
        principal.name,
        _text(body, "display_name") or "",
        attested(factor_at),
        second_admin=True,
    )
    answer: dict[str, Any] = {"user": user_json(user)}
    if generated:
        answer["password"] = password
    return web.json_response(answer, status=201)


@routes.patch("/api/v1/users/{name}")
async def update_user(request: web.Request) -> web.Response:
    principal, directory = await _admin(request)
    name = request.match_info["name"]
    body = await body_of(request)
    known = {"roles", "display_name", "disabled", "reset_totp", "unlock", "password", "totp"}
    unknown = sorted(set(body) - known - {"reset_password"})
    if unknown:
        raise BadInput(unknown[0], f"unknown field; expected some of {', '.join(sorted(known))}")
    given = _roles(body, required=False)
    roles = list(check_grants(given)) if given is not None else None
    disabled = _flag(body, "disabled")
    password = _text(body, "password")
    reset_password = _flag(body, "reset_password")
    if password is not None and reset_password:
        raise BadInput("password", "give a password or reset_password, not both")
    if password is not None:
        check_password(password)
    if name == principal.name and (disabled or (roles is not None and not is_user_admin(roles))):
        raise Conflict(f"user {name}", "you cannot disable yourself or drop your own admin role")
    user = await directory.accounts.get(name)
    if user is None:
        raise web.HTTPNotFound(text=f"no user {name!r}")
    if name == principal.name and roles is not None:
        raised = raised_grants(user.grants, roles)
        if raised:
            raise web.HTTPForbidden(
                text=f"{name} cannot raise their own roles ({', '.join(raised)}): another admin "
                "with admin on that track gives them; nothing was done"
            )
    await access.may_change(request, principal, (*user.grants, *(roles or ())), f"user:{name}")
    attest = attested(await access.second_factor(request, body))
    user = await directory.accounts.update(
        name,
        principal.name,
        grants=roles,
        display_name=_text(body, "display_name"),
        disabled=disabled,
        reset_totp=bool(_flag(body, "reset_totp")),
        unlock=bool(_flag(body, "unlock")),
        attest=attest,
        expect_grants=user.grants,
        second_admin=True,
    )
    answer: dict[str, Any] = {}
    if reset_password:
        password = new_password()
        answer["password"] = password
    if password is not None:
        user = await directory.accounts.set_password(
            name, password, principal.name, attest, expect_grants=user.grants
        )
    answer["user"] = user_json(user)
    return web.json_response(answer)


async def _waiting(
    request: web.Request,
    principal: Principal,
    directory: Directory,
    roles: list[str] | None,
    confirming: bool,
) -> UserRecord:
    """The user named in the path, once a grant waits for them (of ``roles``, when given) and
    ``principal`` may confirm it (``confirming``: neither the person the roles are for nor the
    admin who asked for them) or cancel it (admin on the tracks of the roles waiting and
    held): 404, 409, 403 else (nothing done)."""
    name = request.match_info["name"]
    user = await directory.accounts.get(name)
    if user is None:
        raise web.HTTPNotFound(text=f"no user {name!r}")
    still_waiting(user, roles)
    if confirming and principal.name == user.name:
        raise web.HTTPForbidden(
            text=f"{principal.name} cannot confirm roles given to themselves: another admin "
            "confirms them; nothing was done"
        )
    if confirming and principal.name == user.pending_by:
        raise web.HTTPForbidden(
            text=f"{principal.name} asked for these roles: a different admin with admin on "
            "their tracks confirms them (or, with a single admin, `bridge users` on the "
            "server); nothing was done"
        )
    await access.may_change(request, principal, (*user.grants, *user.pending_roles), f"user:{name}")
    return user


@routes.post("/api/v1/users/{name}/pending-roles/confirm")
async def confirm_roles(request: web.Request) -> web.Response:
    principal, directory = await _admin(request)
    body = await body_of(request)
    known_fields(body, ("roles", "totp"))
    seen = _roles(body, required=True) or []
    user = await _waiting(request, principal, directory, seen, confirming=True)
    attest = attested(await access.second_factor(request, body))
    confirmed = await directory.accounts.confirm_roles(
        user.name, principal.name, seen, user.pending_by, attest
    )
    return web.json_response({"user": user_json(confirmed)})


@routes.post("/api/v1/users/{name}/pending-roles/cancel")
async def cancel_roles(request: web.Request) -> web.Response:
    principal, directory = await _admin(request)
    body = await _body(request)
    known_fields(body, ("roles", "totp"))
    seen = _roles(body, required=False)
    user = await _waiting(request, principal, directory, seen, confirming=False)
    attest = attested(await access.second_factor(request, body))
    cancelled = await directory.accounts.cancel_roles(user.name, principal.name, seen, attest)
    return web.json_response({"user": user_json(cancelled)})


@routes.get("/api/v1/tokens")
async def list_tokens(request: web.Request) -> web.Response:
    _, directory = await _admin(request)
    tokens = await directory.store.list_tokens()
    return web.json_response({"tokens": [token_json(t) for t in tokens]})


@routes.post("/api/v1/tokens")
async def create_token(request: web.Request) -> web.Response:
    principal, directory = await _admin(request)
    body = await body_of(request)
    name = _text(body, "name", required=True) or ""
    roles = await directory.tokens.check_new(name, _roles(body, required=True) or [])
    await access.may_change(request, principal, roles, f"token:{name}")
    attest = attested(await access.second_factor(request, body))
    token, secret = await directory.tokens.add_token(name, roles, principal.name, **attest)
    return web.json_response({"token": token_json(token), "secret": secret}, status=201)


@routes.post("/api/v1/tokens/{id}/revoke")
async def revoke_token(request: web.Request) -> web.Response:
    principal, directory = await _admin(request)
    token_id = request.match_info["id"]
    body = await _body(request)
    found = await directory.store.get_token(token_id)
    if found is None:
        raise web.HTTPNotFound(text=f"no token {token_id!r}")
    await access.may_change(request, principal, found.grants, f"token:{token_id}")
    attest = attested(await access.second_factor(request, body))
    try:
        token = await directory.tokens.revoke_token(token_id, principal.name, **attest)
    except LookupError:
        raise web.HTTPNotFound(text=f"no token {token_id!r}") from None
    return web.json_response({"token": token_json(token)})
