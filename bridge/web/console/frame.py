"""The frame of every console page: one renderer used by the pages and by the sign-in pages.

Contract:
- :func:`environment` is the app's Jinja2 environment over ``bridge/web/console/templates/``
  (autoescape on, strict undefined); the app factory keeps it under ``keys.JINJA``.
- :func:`render` renders a template with what every page needs: the signed-in principal (or
  None), the session's CSRF token for ``<meta name="csrf-token">``, the one time zone people
  read times in (``console.time_zone``), the reports' and regulators' names in plain words
  (:mod:`bridge.core.report_names`), the criteria's descriptions, and the rule sets not
  verified against the regulation in force (a banner on every page), and whether a mail relay
  is configured (without one an approved notice is never sent: a banner on every page too).
- Every page answer carries a strict Content-Security-Policy (:data:`CSP`): scripts only from
  this origin, no inline script, no third-party host (the console runs on closed networks), and
  the notice preview's HTML lives in a sandboxed ``iframe srcdoc`` that can run nothing.
"""

from __future__ import annotations

from typing import Any

import jinja2
import markupsafe
import orjson
from aiohttp import web

from bridge.config import LoadedConfig
from bridge.core import report_names
from bridge.core.access import is_user_admin, needs_second_factor
from bridge.web import access, keys, regulators
from bridge.web.auth import ROLE_RANK, Principal
from bridge.web.console import session_middleware

#: Local time of each jurisdiction's regulator; deadlines are shown in it.
TIME_ZONES = {"SE": "Europe/Stockholm", "NO": "Europe/Oslo"}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

_ROLES = (*ROLE_RANK, "auditor")
_TRACKS = ("outage", "privacy")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bridge.web.console", "templates"),
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


def repealed_rule_sets(loaded: LoadedConfig) -> list[dict[str, str]]:
    """Enabled rule sets that encode a repealed regime (shown on every page, with the day and
    what replaced it: e.g. PTS's outage reporting, repealed 2026-01-15)."""
    return [
        {
            "id": rs.id,
            "regulator": rs.regulator,
            "repealed_on": rs.repealed_on.isoformat(),
            "repealed_by": rs.repealed_by,
        }
        for rs in loaded.enabled_rule_sets()
        if rs.repealed_on is not None
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


def _enrol_needed(request: web.Request) -> bool:
    """A signed-in person whose roles send (approver, admin) has no TOTP yet: someone who signs
    in only through the trusted proxy, who cannot approve or send until they enrol one."""
    cur = access.current(request)
    return (
        cur is not None
        and cur.complete
        and not cur.user.totp_enrolled
        and needs_second_factor(cur.user.grants)
    )


async def render(
    request: web.Request, template: str, *, status: int = 200, **ctx: Any
) -> web.Response:
    """The page ``template`` with the common context; see the module contract."""
    loaded = request.app[keys.CONFIG]
    principal: Principal | None = ctx.pop("principal", None)
    if principal is None:
        principal = await access.session_principal(request)
    csrf = session_middleware.csrf_token(request) or None
    page = {
        "user": None
        if principal is None
        else {"name": principal.name, "grants": list(principal.grants)},
        "can": _abilities(principal) if principal is not None else {},
        "zones": regulator_zones(loaded),
        "jurisdiction_zones": TIME_ZONES,
        # every time people read, in this one zone (console.time_zone), labelled
        "zone": loaded.config.console.time_zone,
        # False: no smtp section, so the outbox sends nothing (what approved means then)
        "relay": loaded.config.smtp is not None,
        "names": report_names.table(),
        "criteria": regulators.criteria(loaded),
        **ctx.pop("page", {}),
    }
    html = (
        request.app[keys.JINJA]
        .get_template(template)
        .render(
            principal=principal,
            csrf_token=csrf,
            unverified=unverified_rule_sets(loaded),
            repealed=repealed_rule_sets(loaded),
            no_relay=loaded.config.smtp is None,
            operator=loaded.config.operator.name,
            privacy_on=privacy_enabled(loaded),
            page=page,
            path=request.path,
            enrol_needed=_enrol_needed(request),
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
