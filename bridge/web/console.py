"""The NOC console: server-rendered page shells (Jinja2) and the bundled static assets.

Contract:
- :func:`setup` registers every page route and ``/static/`` on an app; ``make_app`` calls it once.
- :func:`render` renders a template under ``bridge/web/templates/`` (autoescape on) with what
  every page needs: the signed-in principal (or None), the session's CSRF token for
  ``<meta name="csrf-token">``, the regulators' time zones and the rule sets not verified against
  the regulation in force (a banner on every page). Other modules' pages (login) use it too.
- Pages are shells: their data comes from the JSON API (``/api/v1/…``), fetched by small vanilla
  JavaScript modules under ``bridge/web/static/`` and refreshed on the ``/api/v1/events`` stream.
  A page never grants anything: buttons a role does not allow are disabled for clarity, and the
  API refuses anyway.
- The privacy pages (``/privacy``, ``/privacy/{id}``) exist only with the privacy track on
  (else 404) and only for people with viewer on the privacy track: anyone else gets the 403
  page, the refusal audited (``privacy.refused``) like the API's. Their data comes through
  ``/api/v1/privacy/…``, which audits every read; the shells carry only the case id and the
  fields' enumerations (from :mod:`bridge.core.privacy`).
- Every page answer carries a strict Content-Security-Policy: scripts only from this origin, no
  inline script, no third-party host (the console runs on closed networks), and the notice
  preview's HTML lives in a sandboxed ``iframe srcdoc`` that can run nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import orjson
from aiohttp import web

from bridge.config import LoadedConfig
from bridge.core import privacy
from bridge.core.access import is_user_admin
from bridge.service import BridgeService
from bridge.web import live
from bridge.web.auth import ROLE_RANK, Principal

STATIC_DIR = Path(__file__).parent / "static"
JINJA = web.AppKey("console_jinja", jinja2.Environment)
LOADED = web.AppKey("console_config", LoadedConfig)
SERVICE_KEY = web.AppKey("console_service", BridgeService)

#: Local time of each jurisdiction's regulator; deadlines are shown in it.
TIME_ZONES = {"SE": "Europe/Stockholm", "NO": "Europe/Oslo"}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

_ROLES = (*ROLE_RANK, "auditor")
_TRACKS = ("outage", "privacy")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bridge.web", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["json"] = script_json
    env.globals["is_user_admin"] = is_user_admin
    return env


def script_json(value: Any) -> markupsafe.Markup:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` that
    could close the element or start markup."""
    text = orjson.dumps(value).decode()
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return markupsafe.Markup(text)


def _abilities(principal: Principal) -> dict[str, dict[str, bool]]:
    """role → track → allowed, for the page's JavaScript (display only; the API decides)."""
    return {role: {t: principal.can(role, t) for t in _TRACKS} for role in _ROLES}


def unverified_rule_sets(loaded: LoadedConfig) -> list[dict[str, str]]:
    """Enabled rule sets not verified against the regulation in force (shown on every page)."""
    return [
        {"id": rs.id, "regulator": rs.regulator, "source": rs.source}
        for rs in loaded.enabled_rule_sets()
        if not rs.verified
    ]


def regulator_zones(loaded: LoadedConfig) -> dict[str, str]:
    """regulator → IANA time zone of its jurisdiction (Europe/Stockholm for PTS …), for the
    outage and the privacy rule sets."""
    zones: dict[str, str] = {}
    for rs in (*loaded.enabled_rule_sets(), *loaded.privacy_rule_sets()):
        zones.setdefault(rs.regulator, TIME_ZONES.get(rs.jurisdiction, "UTC"))
    return zones


def privacy_enabled(loaded: LoadedConfig) -> bool:
    """True when the config has a ``privacy`` section (the track is on)."""
    return loaded.config.privacy is not None


async def render(
    request: web.Request, template: str, *, status: int = 200, **ctx: Any
) -> web.Response:
    """The page ``template`` with the common context; see the module contract."""
    loaded = request.app[LOADED]
    from bridge.web import session  # late: the login pages render through this module

    principal: Principal | None = ctx.pop("principal", None)
    if principal is None:
        principal = await session.session_principal(request)
    csrf = session.csrf_token(request) or None
    page = {
        "user": None
        if principal is None
        else {"name": principal.name, "grants": list(principal.grants)},
        "can": _abilities(principal) if principal is not None else {},
        "zones": regulator_zones(loaded),
        "jurisdiction_zones": TIME_ZONES,
        **ctx.pop("page", {}),
    }
    html = (
        request.app[JINJA]
        .get_template(template)
        .render(
            principal=principal,
            csrf_token=csrf,
            unverified=unverified_rule_sets(loaded),
            operator=loaded.config.operator.name,
            privacy_on=privacy_enabled(loaded),
            page=page,
            path=request.path,
            static=lambda name: str(request.app.router["static"].url_for(filename=name)),
            **ctx,
        )
    )
    return web.Response(
        text=html,
        status=status,
        content_type="text/html",
        headers={
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
        },
    )


async def _user(request: web.Request) -> Principal:
    from bridge.web import session

    return await session.require_page_user(request)


# ---- pages --------------------------------------------------------------------------------


async def board(request: web.Request) -> web.Response:
    return await render(request, "board.html", principal=await _user(request), title="Board")


async def incident(request: web.Request) -> web.Response:
    principal = await _user(request)
    incident_id = request.match_info["id"]
    return await render(
        request,
        "incident.html",
        principal=principal,
        title=f"Incident {incident_id}",
        page={"incident": incident_id},
    )


async def draft(request: web.Request) -> web.Response:
    principal = await _user(request)
    draft_id = request.match_info["id"]
    return await render(
        request,
        "draft.html",
        principal=principal,
        title=f"Draft {draft_id}",
        page={"draft": draft_id},
    )


async def sent(request: web.Request) -> web.Response:
    return await render(request, "sent.html", principal=await _user(request), title="Sent")


async def _forbidden(request: web.Request, principal: Principal, reason: str) -> web.Response:
    return await render(
        request, "forbidden.html", status=403, principal=principal, title="Forbidden", reason=reason
    )


async def audit(request: web.Request) -> web.Response:
    principal = await _user(request)
    if not (principal.can("admin") or principal.can("auditor")):
        return await _forbidden(request, principal, "The audit log needs the admin or auditor role")
    return await render(request, "audit.html", principal=principal, title="Audit log")


async def users(request: web.Request) -> web.Response:
    principal = await _user(request)
    if not is_user_admin(principal.grants):
        return await _forbidden(request, principal, "Managing people needs the admin role.")
    return await render(request, "users.html", principal=principal, title="Users")


async def _privacy_page(request: web.Request, target: str) -> Principal | web.Response:
    """The signed-in person, once known to hold viewer on the privacy track; else the answer
    to give: 404 with the track off, the 403 page to anyone else (the refusal audited like the
    API's: ``privacy.refused`` naming the page, never a case's contents)."""
    principal = await _user(request)
    if not privacy_enabled(request.app[LOADED]):
        raise web.HTTPNotFound(text="the privacy track is off (no privacy section in config)")
    if principal.can("viewer", "privacy"):
        return principal
    await request.app[SERVICE_KEY].privacy.audit_access(
        principal.name,
        "privacy.refused",
        target,
        {"method": request.method, "path": request.path, "role": "viewer"},
    )
    return await _forbidden(request, principal, "Privacy incidents need the privacy viewer role.")


def _form_choices() -> dict[str, list[str]]:
    """The enumerations of the privacy case fields, from the core (the form offers exactly
    what the API accepts)."""
    return {
        "natures": list(privacy.NATURES),
        "jurisdictions": list(privacy.JURISDICTIONS),
        "circumstances": list(privacy.CIRCUMSTANCES),
        "data_categories": list(privacy.DATA_CATEGORIES),
        "exemption_reasons": list(privacy.EXEMPTION_REASONS),
    }


async def privacy_cases(request: web.Request) -> web.Response:
    principal = await _privacy_page(request, "privacy:cases")
    if isinstance(principal, web.Response):
        return principal
    return await render(
        request,
        "privacy.html",
        principal=principal,
        title="Privacy incidents",
        page={"choices": _form_choices()},
    )


async def privacy_case(request: web.Request) -> web.Response:
    case_id = request.match_info["id"]
    principal = await _privacy_page(request, f"privacy:{case_id}")
    if isinstance(principal, web.Response):
        return principal
    return await render(
        request,
        "privacy_case.html",
        principal=principal,
        title=f"Privacy case {case_id}",
        page={"case": case_id, "choices": _form_choices()},
    )


def setup(app: web.Application, loaded: LoadedConfig, service: BridgeService) -> None:
    """Register the console's pages, static assets and live feed (see bridge.web.live)."""
    live.setup(app, service)
    app[JINJA] = _environment()
    app[LOADED] = loaded
    app[SERVICE_KEY] = service
    app.router.add_get("/", board)
    app.router.add_get("/incidents/{id}", incident)
    app.router.add_get("/drafts/{id}", draft)
    app.router.add_get("/sent", sent)
    app.router.add_get("/audit", audit)
    app.router.add_get("/users", users)
    app.router.add_get("/privacy", privacy_cases)
    app.router.add_get("/privacy/{id}", privacy_case)
    app.router.add_static("/static/", STATIC_DIR, name="static", append_version=True)
    app.on_response_prepare.append(_revalidate_static)


async def _revalidate_static(request: web.Request, response: web.StreamResponse) -> None:
    """Modules import each other without the version hash: the browser revalidates every asset
    (a cheap 304) so an upgraded bridge never runs with a stale module."""
    if request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
