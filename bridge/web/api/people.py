"""People (users) and API tokens over HTTP, for the console's users page and for automation.

Contract (every route needs an unscoped ``admin``: ``admin`` or ``admin:all``; 401/403 else):
- ``GET /api/v1/users`` → ``{"users": [user]}``; a user is its name, display name, roles, TOTP
  enrolment, disabled flag, lock, times: never its hash or TOTP secret.
- ``POST /api/v1/users`` ``{"name", "roles": [...], "display_name"?, "password"?}`` → 201
  ``{"user", "password"?}``: without a password a one-time one is made and shown once.
- ``PATCH /api/v1/users/{name}`` with any of ``roles``, ``display_name``, ``disabled``,
  ``reset_totp: true``, ``unlock: true``, ``password`` (sets it) or ``reset_password: true``
  (makes a one-time one, returned once). Disabling, a new password or a TOTP reset ends the
  user's sessions. An admin cannot disable themselves or drop their own admin role (409).
- ``GET /api/v1/tokens`` → ``{"tokens": [token]}`` (never the secret or its hash);
  ``POST /api/v1/tokens`` ``{"name", "roles"}`` → 201 ``{"token", "secret"}`` (the secret is
  shown this once); ``POST /api/v1/tokens/{id}/revoke`` → the revoked token (401 for it at once).
- Bad input is 400 naming the field; unknown names 404; every change is in the audit log.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge.core.access import is_user_admin
from bridge.core.alerts import format_time
from bridge.errors import BadInput, Conflict
from bridge.people.directory import Directory
from bridge.people.rules import check_password, new_password
from bridge.store.records import TokenRecord, UserRecord
from bridge.web import access
from bridge.web.access import body_of
from bridge.web.auth import Principal

routes = web.RouteTableDef()


async def _admin(request: web.Request) -> tuple[Principal, Directory]:
    principal = await access.authorize(request)  # an unscoped admin (bridge/web/decisions.py)
    return principal, access.sessions(request).directory


def _time(value: Any) -> str | None:
    return format_time(value)


def user_json(u: UserRecord) -> dict[str, Any]:
    return {
        "name": u.name,
        "display_name": u.display_name,
        "roles": list(u.grants),
        "totp_enrolled": u.totp_enrolled,
        "disabled": u.disabled,
        "failed_logins": u.failed_logins,
        "locked_until": _time(u.locked_until),
        "created_at": format_time(u.created_at),
        "updated_at": format_time(u.updated_at),
    }


def token_json(t: TokenRecord) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "roles": list(t.grants),
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
    name = _text(body, "name", required=True) or ""
    roles = _roles(body, required=True) or []
    password = _text(body, "password")
    generated = password is None
    if password is None:
        password = new_password()
    if await directory.accounts.get(name) is not None:
        raise Conflict(f"user {name}", "exists already")
    user = await directory.accounts.add_user(
        name, roles, password, principal.name, _text(body, "display_name") or ""
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
    known = {"roles", "display_name", "disabled", "reset_totp", "unlock", "password"}
    unknown = sorted(set(body) - known - {"reset_password"})
    if unknown:
        raise BadInput(unknown[0], f"unknown field; expected some of {', '.join(sorted(known))}")
    roles = _roles(body, required=False)
    disabled = _flag(body, "disabled")
    password = _text(body, "password")
    reset_password = _flag(body, "reset_password")
    if password is not None and reset_password:
        raise BadInput("password", "give a password or reset_password, not both")
    if password is not None:
        check_password(password)
    if name == principal.name and (disabled or (roles is not None and not is_user_admin(roles))):
        raise Conflict(f"user {name}", "you cannot disable yourself or drop your own admin role")
    if await directory.accounts.get(name) is None:
        raise web.HTTPNotFound(text=f"no user {name!r}")
    user = await directory.accounts.update(
        name,
        principal.name,
        grants=roles,
        display_name=_text(body, "display_name"),
        disabled=disabled,
        reset_totp=bool(_flag(body, "reset_totp")),
        unlock=bool(_flag(body, "unlock")),
    )
    answer: dict[str, Any] = {}
    if reset_password:
        password = new_password()
        answer["password"] = password
    if password is not None:
        user = await directory.accounts.set_password(name, password, principal.name)
    answer["user"] = user_json(user)
    return web.json_response(answer)


@routes.get("/api/v1/tokens")
async def list_tokens(request: web.Request) -> web.Response:
    _, directory = await _admin(request)
    tokens = await directory.store.list_tokens()
    return web.json_response({"tokens": [token_json(t) for t in tokens]})


@routes.post("/api/v1/tokens")
async def create_token(request: web.Request) -> web.Response:
    principal, directory = await _admin(request)
    body = await body_of(request)
    token, secret = await directory.tokens.add_token(
        _text(body, "name", required=True) or "", _roles(body, required=True) or [], principal.name
    )
    return web.json_response({"token": token_json(token), "secret": secret}, status=201)


@routes.post("/api/v1/tokens/{id}/revoke")
async def revoke_token(request: web.Request) -> web.Response:
    principal, directory = await _admin(request)
    token_id = request.match_info["id"]
    try:
        token = await directory.tokens.revoke_token(token_id, principal.name)
    except LookupError:
        raise web.HTTPNotFound(text=f"no token {token_id!r}") from None
    return web.json_response({"token": token_json(token)})
