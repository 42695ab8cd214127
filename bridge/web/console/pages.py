"""The NOC console's pages: server-rendered shells (through bridge/web/console/frame.py).

Contract:
- :data:`routes` are every page route; the app factory adds them, the static assets under
  ``/static/`` (:data:`STATIC_DIR`, named ``static``) and :func:`revalidate_static`.
- Pages are shells: their data comes from the JSON API (``/api/v1/…``), fetched by small vanilla
  JavaScript modules under ``bridge/web/console/static/`` and refreshed on the
  ``/api/v1/events`` stream. A page never grants anything: buttons a role does not allow are
  disabled for clarity, and the API refuses anyway. A visitor without a session is sent to
  ``/login`` (303), coming back afterwards.
- The privacy pages (``/privacy``, ``/privacy/{id}``) exist only with the privacy track on
  (else 404) and only for people with viewer on the privacy track: anyone else gets the 403
  page, the refusal audited (``privacy.refused``) like the API's. Their data comes through
  ``/api/v1/privacy/…``, which audits every read; the shells carry only the case id and the
  fields' enumerations (from :mod:`bridge.core.privacy`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from bridge.core import audit_search, privacy
from bridge.web import access, decisions, keys
from bridge.web.auth import Principal
from bridge.web.console.frame import privacy_enabled, render

STATIC_DIR = Path(__file__).parent / "static"

routes = web.RouteTableDef()


async def _user(request: web.Request) -> Principal:
    return await access.require_page_user(request)


async def _shell(request: web.Request, template: str, title: str, **page: str) -> web.Response:
    """A page for any signed-in person; ``page`` goes to its JavaScript."""
    principal = await _user(request)
    return await render(request, template, principal=principal, title=title, page=page)


@routes.get("/")
async def board(request: web.Request) -> web.Response:
    return await render(request, "board.html", principal=await _user(request), title="Board")


async def _of_track(request: web.Request, identifier: str, target: str) -> web.Response | None:
    """None when the route's need (bridge/web/decisions.py) allows the signed-in person on the
    track of ``identifier``; else the 403 page (a privacy refusal audited)."""
    principal = await _user(request)
    track = decisions.track_of_id(identifier)
    if await access.allowed_on(request, principal, track, target):
        return None
    return await _forbidden(request, principal, f"This page needs the viewer role for {track}.")


@routes.get("/report-outage")
async def report_outage(request: web.Request) -> web.Response:
    """The form for an outage monitoring never saw (POST /api/v1/incidents); editors only."""
    principal = await _user(request)
    if not principal.can("editor", "outage"):
        return await _forbidden(request, principal, "Reporting an outage needs the editor role.")
    services = sorted(request.app[keys.SERVICE].topology.service_names())
    return await render(
        request,
        "report_outage.html",
        principal=principal,
        title="Report an outage",
        page={"services": ",".join(services)},
    )


@routes.get("/incidents/{id}")
async def incident(request: web.Request) -> web.Response:
    incident_id = request.match_info["id"]
    refused = await _of_track(request, incident_id, f"privacy:{incident_id}")
    if refused is not None:
        return refused
    service = request.app[keys.SERVICE]
    host = service.incidents.host(incident_id)
    if host != incident_id:  # merged into another (by covering or by a person): go there
        raise web.HTTPSeeOther(f"/incidents/{quote(host, safe='')}")
    alertmanager = request.app[keys.CONFIG].config.alertmanager.url or ""
    services = sorted(request.app[keys.SERVICE].topology.service_names())
    return await _shell(
        request,
        "incident.html",
        f"Incident {incident_id}",
        incident=incident_id,
        alertmanager=alertmanager,
        services=",".join(services),  # the impact override's form
    )


@routes.get("/drafts/{id}")
async def draft(request: web.Request) -> web.Response:
    draft_id = request.match_info["id"]
    refused = await _of_track(request, draft_id, f"draft:{draft_id}")
    if refused is not None:
        return refused
    return await _shell(request, "draft.html", f"Draft {draft_id}", draft=draft_id)


@routes.get("/sent")
async def sent(request: web.Request) -> web.Response:
    return await render(request, "sent.html", principal=await _user(request), title="Sent")


async def _forbidden(request: web.Request, principal: Principal, reason: str) -> web.Response:
    return await render(
        request, "forbidden.html", status=403, principal=principal, title="Forbidden", reason=reason
    )


@routes.get("/audit")
async def audit(request: web.Request) -> web.Response:
    """The audit log's search (audit.js): its page data names the tracks whose entries the
    person reads (the API shows those only) and the actions worth suggesting for them."""
    principal = await _user(request)
    if not await access.allowed_on(request, principal):
        return await _forbidden(request, principal, "The audit log needs the admin or auditor role")
    tracks = decisions.tracks_allowed(decisions.need_of(request), principal.grants)
    return await render(
        request,
        "audit.html",
        principal=principal,
        title="Audit log",
        page={"tracks": tracks, "actions": audit_search.suggested_actions(tracks)},
    )


@routes.get("/users")
async def users(request: web.Request) -> web.Response:
    principal = await _user(request)
    if not await access.allowed_on(request, principal):
        return await _forbidden(request, principal, "Managing people needs the admin role.")
    return await render(request, "users.html", principal=principal, title="Users")


async def _privacy_page(request: web.Request, target: str) -> Principal | web.Response:
    """The signed-in person, once known to hold viewer on the privacy track; else the answer
    to give: 404 with the track off, the 403 page to anyone else (the refusal audited like the
    API's: ``privacy.refused`` naming the page, never a case's contents)."""
    principal = await _user(request)
    if not privacy_enabled(request.app[keys.CONFIG]):
        raise web.HTTPNotFound(text="the privacy track is off (no privacy section in config)")
    if await access.allowed_on(request, principal, "privacy", target):  # a refusal is audited
        return principal
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
        "outcomes": list(privacy.OUTCOMES),
    }


async def _privacy_shell(
    request: web.Request, target: str, template: str, title: str, **page: str
) -> web.Response:
    """A privacy page (see :func:`_privacy_page`); ``page`` and the form's choices go to its
    JavaScript."""
    principal = await _privacy_page(request, target)
    if isinstance(principal, web.Response):
        return principal
    return await render(
        request,
        template,
        principal=principal,
        title=title,
        page={**page, "choices": _form_choices()},
    )


@routes.get("/privacy")
async def privacy_cases(request: web.Request) -> web.Response:
    return await _privacy_shell(request, "privacy:cases", "privacy.html", "Privacy incidents")


@routes.get("/privacy/{id}")
async def privacy_case(request: web.Request) -> web.Response:
    case_id = request.match_info["id"]
    return await _privacy_shell(
        request, f"privacy:{case_id}", "privacy_case.html", f"Privacy case {case_id}", case=case_id
    )


async def revalidate_static(request: web.Request, response: web.StreamResponse) -> None:
    """Modules import each other without the version hash: the browser revalidates every asset
    (a cheap 304) so an upgraded bridge never runs with a stale module (``on_response_prepare``)."""
    if request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
