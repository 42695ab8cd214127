"""The audit log: ``GET /api/v1/audit`` (docs/design.md), newest first.

Contract: needs ``admin`` or ``auditor`` on a track (bridge/web/decisions.py; 401/403 else) and
shows only the entries of the tracks the caller holds it on (an entry's track is derived from its
target: :func:`bridge.core.access.audit_track`); ``limit`` (1 to 1000, 100 by default),
``before`` (a sequence number) and ``target`` narrow the page; non-numbers, and numbers past a
store's 64-bit integers, are 400; a ``target`` of a track the caller may not read is 403 (a
privacy one audited as ``privacy.refused``).
"""

from __future__ import annotations

from aiohttp import web

from bridge.core.access import audit_track
from bridge.core.alerts import format_time
from bridge.errors import BadInput
from bridge.store.records import AuditEntry
from bridge.web import decisions, keys
from bridge.web.access import authorize, privacy_audit

routes = web.RouteTableDef()

_MAX_SEQ = 2**63 - 1  # SQLite's and Redis's largest integer


@routes.get("/api/v1/audit")
async def audit_log(request: web.Request) -> web.Response:
    principal = await authorize(request)
    tracks = decisions.tracks_allowed(decisions.need_of(request), principal.grants)
    try:
        limit = min(1000, max(1, int(request.query.get("limit", "100"))))
        before = request.query.get("before")
        before_seq = int(before) if before else None
    except ValueError:
        raise BadInput("limit/before", "expected whole numbers") from None
    if before_seq is not None and not 0 <= before_seq <= _MAX_SEQ:
        raise BadInput("before", f"expected a sequence number from 0 to {_MAX_SEQ}")
    store = request.app[keys.SERVICE].store
    target = request.query.get("target")
    if target and audit_track(target) not in tracks:  # asked for another track's entries
        if audit_track(target) == "privacy":
            await privacy_audit(request, principal, "privacy.refused", target, role="auditor")
        raise web.HTTPForbidden(
            text=f"{principal.name} lacks the admin or auditor role for the "
            f"{audit_track(target)} track"
        )
    entries: list[AuditEntry] = []
    while len(entries) < limit:  # pages of the store until enough of the caller's tracks
        page = await store.audit_log(limit, before_seq, target)
        entries += [e for e in page if audit_track(e.target) in tracks][: limit - len(entries)]
        if len(page) < limit:
            break
        before_seq = page[-1].seq
    return web.json_response(
        {
            "entries": [
                {
                    "seq": e.seq,
                    "at": format_time(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "target": e.target,
                    "detail": e.detail,
                }
                for e in entries
            ]
        }
    )
