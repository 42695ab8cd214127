"""The audit log: ``GET /api/v1/audit`` (docs/design.md), newest first.

Contract: needs ``admin`` or ``auditor`` (401/403 else); ``limit`` (1 to 1000, 100 by
default), ``before`` (a sequence number) and ``target`` narrow the page; non-numbers, and
numbers past a store's 64-bit integers, are 400.
"""

from __future__ import annotations

from aiohttp import web

from bridge.core.alerts import format_time
from bridge.errors import BadInput
from bridge.web import keys
from bridge.web.access import require

routes = web.RouteTableDef()

_MAX_SEQ = 2**63 - 1  # SQLite's and Redis's largest integer


@routes.get("/api/v1/audit")
async def audit_log(request: web.Request) -> web.Response:
    principal = await require(request, "viewer")
    if not (principal.can("admin", "outage") or principal.can("auditor", "outage")):
        raise web.HTTPForbidden(text=f"{principal.name} lacks the admin or auditor role")
    try:
        limit = min(1000, max(1, int(request.query.get("limit", "100"))))
        before = request.query.get("before")
        before_seq = int(before) if before else None
    except ValueError:
        raise BadInput("limit/before", "expected whole numbers") from None
    if before_seq is not None and not 0 <= before_seq <= _MAX_SEQ:
        raise BadInput("before", f"expected a sequence number from 0 to {_MAX_SEQ}")
    entries = await request.app[keys.SERVICE].store.audit_log(
        limit, before_seq, request.query.get("target")
    )
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
