"""The audit log: ``GET /api/v1/audit`` (docs/design.md), newest first.

Contract: needs ``admin`` or ``auditor`` on a track (bridge/web/decisions.py; 401/403 else) and
shows only the entries of the tracks the caller holds it on (an entry's track is derived from its
target: :func:`bridge.core.access.audit_track`). Paged like every list (bridge/web/paging.py):
``limit`` (1 to 1000, 100 by default), an opaque ``cursor`` (the last ``seq`` of the page
before) and ``next`` in the answer unless it is the last page; ``before`` (a sequence number,
exclusive) still works, and with a cursor the lower of the two bounds holds. ``target`` narrows
the entries; non-numbers, and numbers past a store's 64-bit integers, are 400; a ``target`` of a
track the caller may not read is 403 (a privacy one audited as ``privacy.refused``). The store
pages by ``seq`` (:meth:`~bridge.store.interfaces.AuditLog.audit_log`).
"""

from __future__ import annotations

from aiohttp import web

from bridge.core.access import audit_track
from bridge.core.alerts import format_time
from bridge.errors import BadInput
from bridge.store.records import AuditEntry
from bridge.web import decisions, keys, paging
from bridge.web.access import authorize, privacy_audit

routes = web.RouteTableDef()

_MAX_SEQ = 2**63 - 1  # SQLite's and Redis's largest integer


@routes.get("/api/v1/audit")
async def audit_log(request: web.Request) -> web.Response:
    principal = await authorize(request)
    tracks = decisions.tracks_allowed(decisions.need_of(request), principal.grants)
    limit = paging.limit_of(request.query)
    before = request.query.get("before")
    before_seq = (
        paging.whole_number(before, "before", "expected a whole number") if before else None
    )
    if before_seq is not None and not 0 <= before_seq <= _MAX_SEQ:
        raise BadInput("before", f"expected a sequence number from 0 to {_MAX_SEQ}")
    cursor = paging.cursor_of(request.query, 1)
    if cursor is not None:
        not_given = "not a cursor this list gave (pass `next` as it came)"
        after = paging.whole_number(cursor[0], "cursor", not_given)
        if after > _MAX_SEQ:
            raise BadInput("cursor", not_given)
        before_seq = after if before_seq is None else min(before_seq, after)
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
    wanted = limit + 1  # one more than the page: is there a next page?
    while len(entries) < wanted:  # pages of the store until enough of the caller's tracks
        page = await store.audit_log(wanted, before_seq, target)
        entries += [e for e in page if audit_track(e.target) in tracks][: wanted - len(entries)]
        if len(page) < wanted:
            break
        before_seq = page[-1].seq
    more = len(entries) > limit
    entries = entries[:limit]
    return web.json_response(
        paging.Page(
            entries, paging.encode_cursor((str(entries[-1].seq),)) if more else None
        ).answer(
            "entries",
            [
                {
                    "seq": e.seq,
                    "at": format_time(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "target": e.target,
                    "detail": e.detail,
                }
                for e in entries
            ],
        )
    )
