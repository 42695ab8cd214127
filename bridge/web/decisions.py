"""Who may call which route: the one table of route decisions, as data.

Contract:
- :data:`NEEDS` maps every route of the app (``"METHOD /path/{template}"``, as aiohttp names
  its resource) to a :class:`Need`. The handlers read their route's need from here
  (:func:`need_of`), the tests derive the app's route table from ``app.router`` and check that
  every route has exactly one entry and that every role gets what the entry says, and the
  role × action table of docs/security.md is checked against :func:`allowed`. A new route
  without an entry fails those tests (and answers 500 if it asks for its need).
- The one rule of tracks (bridge/core/access.py :func:`~bridge.core.access.grants_allow`): an
  unscoped grant covers the outage track only; the privacy track needs ``…:privacy`` or
  ``…:all``.
- :class:`Need` says who may call (``who``), which roles do (``roles``: any one of them) and on
  which track (``track``): a fixed track, ``target`` (the track of the incident, case or draft
  named in the path, privacy for ``priv-…`` ids), ``own`` (a viewer of either track, who is
  shown only what belongs to the tracks it may view), ``-`` (no track: reading the people and
  token lists, which takes an unscoped admin: ``admin`` or ``admin:all``) or ``roles`` (a change
  to people or tokens: an unscoped admin to call it, and ``admin`` on each track of the roles
  the change gives, takes or touches, which the handler names: :func:`unmanaged_tracks`).
  Changes to people and tokens are ``person+factor`` like sending: an API token never makes a
  person, a role or another token.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp import web

from bridge.core.access import TRACKS, grant_tracks, grants_allow, is_user_admin
from bridge.core.privacy import PREFIX

#: who may call: nobody in particular, Alertmanager, a token or a person, a signed-in person
#: (console pages), or a signed-in person who gave a fresh second factor for this action
WHO = ("public", "webhook", "caller", "person", "person+factor")


@dataclass(frozen=True, slots=True)
class Need:
    who: str
    roles: tuple[str, ...] = ()
    track: str = "-"
    what: str = ""  # the action, as docs/security.md's table names it

    def allows(self, grants: Iterable[str], track: str) -> bool:
        """Whether ``grants`` hold one of the roles on ``track`` (for ``-``: an unscoped
        admin; for ``roles``: an unscoped admin who holds the role on ``track`` too; no roles:
        anyone who may call)."""
        grants = tuple(grants)
        if not self.roles:
            return True
        if self.track == "-":
            return is_user_admin(grants)
        if self.track == "roles" and not is_user_admin(grants):
            return False
        return any(grants_allow(grants, role, track) for role in self.roles_on(track))

    def roles_on(self, track: str) -> list[str]:
        """The roles that count on ``track``: ``ROLE@TRACK`` (:data:`_READ`'s
        ``auditor@outage``) on that track only, as ``ROLE``; a track that is none of
        :data:`TRACKS` (an ``own`` route's refusal) takes them all."""
        found = []
        for spelt in self.roles:
            role, _, only = spelt.partition("@")
            if not only or only == track or track not in TRACKS:
                found.append(role)
        return found


def _n(who: str, roles: str = "", track: str = "-", what: str = "") -> Need:
    return Need(who, tuple(r for r in roles.split("|") if r), track, what)


_VIEW = "viewer"
#: reading what was sent and its history (read-only): a viewer, or an auditor on the outage
#: track (an auditor answers a regulator months later: it reads the notices, their versions,
#: who changed what, the archived bytes and the incident behind them; it changes nothing). A
#: privacy case's or privacy draft's content (personal data) stays with privacy viewers: an
#: audit grant (``auditor:all`` given to read the log of both tracks) never reaches it
_READ = "viewer|auditor@outage"
NEEDS: dict[str, Need] = {
    # the webhook and the open routes
    "POST /api/v1/alertmanager": _n("webhook", what="deliver alerts"),
    "GET /api/v1/openapi.json": _n("public", what="the OpenAPI document"),
    "GET /healthz": _n("public", what="liveness"),
    "GET /readyz": _n("public", what="readiness"),
    "GET /metrics": _n("public", what="metrics (counts and open incident ids, no personal data)"),
    "GET /static": _n("public", what="the console's scripts and styles (/static/…)"),
    # incidents and drafts
    "GET /api/v1/incidents": _n("caller", _READ, "outage", "list incidents"),
    "GET /api/v1/incidents/{id}": _n("caller", _READ, "target", "read an incident or case"),
    "GET /api/v1/incidents/{id}/alerts": _n(
        "caller", _READ, "target", "read an incident's alerts, a page at a time"
    ),
    "POST /api/v1/incidents/{id}/declaration": _n(
        "person+factor", "approver", "target", "declare an incident significant or not (cyber act)"
    ),
    "POST /api/v1/incidents/{id}/report-requests": _n(
        "caller",
        "editor",
        "target",
        "record a regulator's request for a report (CSIRT intermediate, Nkom hendelsesrapport)",
    ),
    "POST /api/v1/incidents": _n("caller", "editor", "outage", "open an incident by hand"),
    "POST /api/v1/incidents/{id}/end": _n(
        "caller", "editor", "target", "end an incident opened by hand"
    ),
    "GET /api/v1/incidents/{id}/timeline": _n(
        "caller", _READ, "target", "read an incident's timeline (JSON, CSV)"
    ),
    "POST /api/v1/incidents/{id}/title": _n("caller", "editor", "target", "rename an incident"),
    "POST /api/v1/incidents/{id}/ack": _n("caller", "editor", "target", "acknowledge an incident"),
    "POST /api/v1/incidents/{id}/assign": _n(
        "caller", "editor", "target", "assign an incident to a person"
    ),
    "POST /api/v1/incidents/{id}/notes": _n("caller", "editor", "target", "add a note"),
    "POST /api/v1/incidents/{id}/merge": _n(
        "caller", "editor", "target", "merge an incident into another"
    ),
    "POST /api/v1/incidents/{id}/split": _n(
        "caller", "editor", "target", "split alerts out of an incident"
    ),
    "PUT /api/v1/incidents/{id}/impact-override": _n(
        "caller", "editor", "target", "override an incident's impact (with a reason)"
    ),
    "DELETE /api/v1/incidents/{id}/impact-override": _n(
        "caller", "editor", "target", "lift an incident's impact override (with a reason)"
    ),
    "GET /api/v1/assignees": _n("caller", "editor", "outage", "list the people one may assign"),
    "GET /api/v1/queue": _n("caller", _VIEW, "own", "the deadline queue"),
    "GET /api/v1/drafts": _n("caller", _READ, "own", "list drafts"),
    "GET /api/v1/drafts/{id}": _n("caller", _READ, "target", "read a draft"),
    "GET /api/v1/drafts/{id}/versions/{n}": _n("caller", _READ, "target", "read a version"),
    "GET /api/v1/drafts/{id}/diff": _n("caller", _READ, "target", "read a diff"),
    "GET /api/v1/drafts/{id}/attachment": _n("caller", _READ, "target", "read the attachment"),
    "GET /api/v1/drafts/{id}/sent": _n(
        "caller", _READ, "target", "list the archived copies of what was sent (audited)"
    ),
    "GET /api/v1/drafts/{id}/sent/{file}": _n(
        "caller", _READ, "target", "read the exact bytes sent (audited)"
    ),
    "PATCH /api/v1/drafts/{id}": _n("caller", "editor", "target", "edit a draft"),
    "POST /api/v1/drafts/{id}/approve": _n(
        "person+factor", "approver", "target", "approve a notice (it is sent)"
    ),
    "POST /api/v1/drafts/{id}/reject": _n("caller", "approver", "target", "reject a draft"),
    "POST /api/v1/drafts/{id}/resolve": _n(
        "person+factor", "approver", "target", "resend or mark sent a notice in doubt"
    ),
    "POST /api/v1/drafts/{id}/submission": _n(
        "person+factor", "approver", "target", "record a report's submission on a portal"
    ),
    "GET /api/v1/drafts/{id}/receipt": _n("caller", _READ, "target", "read a portal's receipt"),
    "GET /api/v1/audit": _n("caller", "admin|auditor", "own", "read the audit log"),
    "GET /api/v1/audit/export": _n(
        "caller", "admin|auditor", "own", "export the audit log (CSV, JSON Lines; audited)"
    ),
    "GET /api/v1/events": _n("caller", _VIEW, "own", "live updates"),
    # the privacy track
    "GET /api/v1/privacy/cases": _n("caller", _VIEW, "privacy", "list privacy cases"),
    "POST /api/v1/privacy/cases": _n("caller", "editor", "privacy", "open a privacy case"),
    "GET /api/v1/privacy/cases/{id}": _n("caller", _READ, "privacy", "read a privacy case"),
    "PATCH /api/v1/privacy/cases/{id}": _n("caller", "editor", "privacy", "change a case"),
    "GET /api/v1/privacy/cases/{id}/revisions": _n(
        "caller", _READ, "privacy", "read a case's revisions"
    ),
    "POST /api/v1/privacy/cases/{id}/state": _n(
        "caller", "editor", "privacy", "close or reopen a case"
    ),
    "POST /api/v1/privacy/cases/{id}/exemption": _n(
        "person+factor", "approver", "privacy", "record or withdraw the exemption"
    ),
    "POST /api/v1/privacy/cases/{id}/distribution": _n(
        "person+factor", "editor", "privacy", "record how a subscriber notice reached subscribers"
    ),
    "GET /api/v1/privacy/register.csv": _n("caller", _VIEW, "privacy", "export the register"),
    "GET /api/v1/privacy/register.xlsx": _n("caller", _VIEW, "privacy", "export the register"),
    # people and tokens
    "GET /api/v1/users": _n("caller", "admin", "-", "list people"),
    "POST /api/v1/users": _n("person+factor", "admin", "roles", "add a person"),
    "PATCH /api/v1/users/{name}": _n(
        "person+factor", "admin", "roles", "change, reset, unlock or disable a person"
    ),
    "POST /api/v1/users/{name}/pending-roles/confirm": _n(
        "person+factor", "admin", "roles", "confirm roles another admin asked for (approver, admin)"
    ),
    "POST /api/v1/users/{name}/pending-roles/cancel": _n(
        "person+factor", "admin", "roles", "cancel roles waiting for a second admin"
    ),
    "GET /api/v1/tokens": _n("caller", "admin", "-", "list API tokens"),
    "POST /api/v1/tokens": _n("person+factor", "admin", "roles", "make an API token"),
    "POST /api/v1/tokens/{id}/revoke": _n("person+factor", "admin", "roles", "revoke an API token"),
    # sign-in (before a session exists, or to end one)
    "GET /login": _n("public", what="sign in"),
    "POST /login": _n("public", what="sign in"),
    "GET /login/totp": _n("public", what="sign in: TOTP step"),
    "POST /login/totp": _n("public", what="sign in: TOTP step"),
    "GET /enrol/totp": _n("public", what="enrol TOTP"),
    "POST /enrol/totp": _n("public", what="enrol TOTP"),
    "POST /logout": _n("public", what="sign out"),
    # console pages (their data comes through the API rules above)
    "GET /": _n("person", what="the board page"),
    "GET /sent": _n("person", what="the sent page"),
    "GET /report-outage": _n("person", "editor", "outage", "the page to report an outage by hand"),
    "GET /incidents/{id}": _n("person", _READ, "target", "an incident's or case's page"),
    "GET /drafts/{id}": _n("person", _READ, "target", "a draft's page"),
    "GET /audit": _n("person", "admin|auditor", "own", "the audit page"),
    "GET /users": _n("person", "admin", "-", "the people page"),
    "GET /privacy": _n("person", _VIEW, "privacy", "the privacy cases page"),
    "GET /privacy/{id}": _n("person", _VIEW, "privacy", "a privacy case's page"),
}


def route_key(method: str, path: str) -> str:
    return f"{'GET' if method == 'HEAD' else method} {path}"


def need_of(request: web.Request) -> Need:
    """The need of the route this request matched (KeyError: a route without a decision)."""
    resource = request.match_info.route.resource
    path = resource.canonical if resource is not None else request.path
    return NEEDS[route_key(request.method, path)]


def track_of_id(identifier: str) -> str:
    """The track of an incident, case or draft id: privacy for ``priv-…`` (a case, or a draft
    of one: ``priv-….kind``), else outage."""
    return "privacy" if identifier.startswith(PREFIX) else "outage"


def tracks_allowed(need: Need, grants: Iterable[str]) -> list[str]:
    """The tracks on which ``grants`` satisfy ``need`` (for ``own`` routes: what is shown)."""
    grants = tuple(grants)
    return [t for t in TRACKS if need.allows(grants, t)]


def allowed(need: Need, grants: Iterable[str], track: str | None = None) -> bool:
    """Whether ``grants`` satisfy ``need`` on ``track`` (the target's, for ``target``; one of
    the tracks a change touches, for ``roles``; both default to the outage track, which is
    what calling the route takes; ``own``: on at least one track). Who calls (token or person,
    the second factor) is checked apart."""
    grants = tuple(grants)
    if need.track == "own":
        return bool(tracks_allowed(need, grants))
    if need.track in ("target", "roles"):
        return need.allows(grants, track if track in TRACKS else "outage")
    return need.allows(grants, need.track)


def unmanaged_tracks(need: Need, grants: Iterable[str], touched: Iterable[str]) -> list[str]:
    """For a ``roles`` route: the tracks of the roles ``touched`` (given, taken, or held by the
    person or token the change is about) on which ``grants`` do not satisfy ``need`` (admin on
    that track): a change to people or tokens needs every one, so an outage admin (``admin``)
    neither gives a privacy role nor resets, disables or changes a person holding one."""
    grants = tuple(grants)
    return [t for t in grant_tracks(touched) if not allowed(need, grants, t)]


# ---- the role × action table of docs/security.md (a test checks the page holds it) ----------

#: the grants the table shows, one column each
DOC_GRANTS = (
    "viewer",
    "editor",
    "approver",
    "admin",
    "auditor",
    "viewer:privacy",
    "editor:privacy",
    "approver:privacy",
    "admin:all",
    "auditor:all",
)
_CALLERS = {
    "caller": "token or person",
    "person": "person (page)",
    "person+factor": "person + TOTP",
}


def _cell(need: Need, grant: str) -> str:
    if need.track in ("target", "own", "roles"):
        on = [t for t in TRACKS if need.allows((grant,), t)]
        return "both" if len(on) == len(TRACKS) else (on[0] if on else "—")
    return "✓" if allowed(need, (grant,)) else "—"


def role_action_table() -> str:
    """The role × action table (Markdown) of every route a token or person calls: a cell says
    whether one grant alone may (✓, —) or on which tracks (outage, privacy, both: for a change
    to people or tokens, the tracks of the roles it may give, take or touch)."""
    head = ["action", "route", "caller", *(f"`{g}`" for g in DOC_GRANTS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, need in NEEDS.items():
        if need.who not in _CALLERS:
            continue
        cells = [need.what, f"`{key}`", _CALLERS[need.who], *(_cell(need, g) for g in DOC_GRANTS)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
