"""The audit log: ``GET /api/v1/audit`` (docs/design.md), newest first, searched; and
``GET /api/v1/audit/export`` (CSV or JSON Lines), streamed.

Contract:
- Both need ``admin`` or ``auditor`` on a track (bridge/web/decisions.py; 401/403 else) and show
  only the entries of the tracks the caller holds it on (an entry's track is derived from its
  target: :func:`bridge.core.access.audit_track`); the store applies that rule with the rest of
  the filter, so no page carries another track's entry.
- Filters (:class:`bridge.core.audit_search.AuditFilter`), each optional: ``from`` (included)
  and ``to`` (excluded), RFC 3339 times with their offset in the plausible window of the times
  people give (:func:`bridge.core.instants.given`), ``to`` after ``from``; ``actor``;
  ``action`` (exact, or a prefix when it ends with ``.``: ``draft.``); ``target`` (exact: an
  entry's target or one of its further targets, ``also``, a list's read naming each case);
  ``incident``, an incident's or case's id, or an outage incident's number (``42`` or
  ``#42``), which finds the entries about it, its drafts and its notices. Every bad value is a
  400 naming the parameter, nothing read. A ``target`` or ``incident`` of a track the caller
  may not read is 403 (on the privacy track audited as ``privacy.refused``), as reading its
  entries would be.
- Paged like every list (bridge/web/paging.py): ``limit`` (1 to 1000, 100 by default), an opaque
  ``cursor`` and ``next`` unless it is the last page; ``before`` (a sequence number, exclusive)
  still works, and with a cursor the lower of the two bounds holds. The store looks at no more
  than :data:`SCAN` entries per request (:meth:`~bridge.store.interfaces.AuditLog.search_audit`):
  a search whose matches lie far apart answers a short page, even an empty one, with ``next``
  where to go on. A page without ``next`` is the last.
- The export takes the same filters (no ``limit``, ``cursor`` or ``before``): every matching
  entry, newest first, streamed a page of the store at a time (never the whole log in memory),
  as ``format=csv`` (the default; UTF-8 with a byte-order mark, CRLF, a cell starting with
  ``=``, ``+``, ``-``, ``@``, tab or carriage return prefixed with ``'``: free text in the log
  is untrusted) or ``format=jsonl`` (one entry a line, as the list gives it). Its CSV gives each
  time in UTC (RFC 3339) and in ``console.time_zone``. Each export is audited before the first
  byte goes (``audit.exported``: who, which filters, which format), one entry per track it
  covers (targets ``audit:export`` and ``privacy:audit-export``), so whoever reads those tracks'
  entries sees it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bridge.core import handling, instants
from bridge.core.access import audit_track
from bridge.core.alerts import format_time
from bridge.core.audit_search import AuditFilter
from bridge.errors import BadInput
from bridge.privacy.register_export import safe
from bridge.store.records import AuditEntry
from bridge.web import decisions, keys, paging
from bridge.web.access import authorize, privacy_audit
from bridge.web.auth import Principal

routes = web.RouteTableDef()

_MAX_SEQ = 2**63 - 1  # SQLite's and Redis's largest integer
#: the most entries the store looks at for one request (a page, or a page of an export): on
#: Redis one search holds every other client back while it runs (bench/audit_search.py)
SCAN = 1000
#: the entries an export asks the store for at a time
EXPORT_PAGE = 500
#: the longest actor, action, target or incident taken (anything longer is a 400)
MOST_TEXT = 200


@routes.get("/api/v1/audit")
async def audit_log(request: web.Request) -> web.Response:
    principal = await authorize(request)
    where = await _filter(request, principal)
    limit = paging.limit_of(request.query)
    before_seq = _before(request.query)
    store = request.app[keys.SERVICE].store
    page = await store.search_audit(where, limit + 1, before_seq, SCAN)
    entries = page.entries[:limit]
    more = len(page.entries) > limit
    resume = entries[-1].seq if more else page.resume
    return web.json_response(
        paging.Page(
            entries, paging.encode_cursor((str(resume),)) if resume is not None else None
        ).answer("entries", [_json(e) for e in entries])
    )


@routes.get("/api/v1/audit/export")
async def audit_export(request: web.Request) -> web.StreamResponse:
    principal = await authorize(request)
    where = await _filter(request, principal)
    form = request.query.get("format", "csv")
    if form not in ("csv", "jsonl"):
        raise BadInput("format", f"expected csv or jsonl, got {form[:40]!r}")
    stray = sorted({"limit", "cursor", "before"} & set(request.query))
    if stray:
        raise BadInput(stray[0], "an export has every matching entry: no paging")
    service = request.app[keys.SERVICE]
    detail = {"format": form, **{k: v for k, v in request.query.items() if k in _FILTERS}}
    now = service.clock.now()
    await service.store.append_audit(
        [
            AuditEntry(now, principal.name, "audit.exported", target, dict(detail))
            for track, target in (("outage", "audit:export"), ("privacy", "privacy:audit-export"))
            if where.tracks is None or track in where.tracks
        ]
    )
    zone = request.app[keys.CONFIG].config.console.time_zone
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8"
            if form == "csv"
            else "application/jsonl; charset=utf-8",
            "Content-Disposition": f'attachment; filename="audit-{now:%Y%m%dT%H%M%SZ}.{form}"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    if form == "csv":
        await response.write(_csv_line(["seq", "at (UTC)", f"at ({zone})", *_CSV_REST], bom=True))
    before: int | None = None
    tz = ZoneInfo(zone)
    while True:
        page = await service.store.search_audit(where, EXPORT_PAGE, before, SCAN)
        lines = [
            _csv_row(e, tz) if form == "csv" else json.dumps(_json(e), ensure_ascii=False) + "\n"
            for e in page.entries
        ]
        if lines:
            await response.write("".join(lines).encode("utf-8"))
        if page.resume is None:
            break
        before = page.resume
    await response.write_eof()
    return response


_FILTERS = ("from", "to", "actor", "action", "target", "incident")
_CSV_REST = ["actor", "action", "target", "detail", "also"]


def _json(e: AuditEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": format_time(e.at),
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "detail": e.detail,
        "also": list(e.also),  # further targets: the cases a list's read showed
    }


def _csv_line(cells: list[str], bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([safe(c) for c in cells])
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def _csv_row(e: AuditEntry, tz: ZoneInfo) -> str:
    local = e.at.astimezone(tz).isoformat()
    cells = [str(e.seq), format_time(e.at) or "", local, e.actor, e.action, e.target]
    cells.append(json.dumps(e.detail, ensure_ascii=False, sort_keys=True))
    cells.append(" ".join(e.also))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([safe(c) for c in cells])
    return out.getvalue()


def _before(query: Mapping[str, str]) -> int | None:
    """``before`` and ``cursor``: the lower of the two bounds (None: from the newest)."""
    before = query.get("before")
    before_seq = (
        paging.whole_number(before, "before", "expected a whole number") if before else None
    )
    if before_seq is not None and not 0 <= before_seq <= _MAX_SEQ:
        raise BadInput("before", f"expected a sequence number from 0 to {_MAX_SEQ}")
    cursor = paging.cursor_of(query, 1)
    if cursor is not None:
        not_given = "not a cursor this list gave (pass `next` as it came)"
        after = paging.whole_number(cursor[0], "cursor", not_given)
        if after > _MAX_SEQ:
            raise BadInput("cursor", not_given)
        before_seq = after if before_seq is None else min(before_seq, after)
    return before_seq


async def _filter(request: web.Request, principal: Principal) -> AuditFilter:
    """The query's filters (see the module contract), the caller's tracks among them."""
    query = request.query
    tracks = decisions.tracks_allowed(decisions.need_of(request), principal.grants)
    now = request.app[keys.SERVICE].clock.now()
    since, until = _instant(query, "from", now), _instant(query, "to", now)
    if since is not None and until is not None and until <= since:
        raise BadInput("to", "must be later than from")
    target = _text(query, "target")
    incident = await _incident(request, _text(query, "incident"))
    for name, about in (("target", target), ("incident", incident and f"incident:{incident}")):
        if about and audit_track(about) not in tracks:  # another track's entries
            if audit_track(about) == "privacy":
                await privacy_audit(request, principal, "privacy.refused", about, role="auditor")
            raise web.HTTPForbidden(
                text=f"{principal.name} lacks the admin or auditor role for the "
                f"{audit_track(about)} track (the {name} asked for)"
            )
    return AuditFilter(
        since=since,
        until=until,
        actor=_text(query, "actor"),
        action=_text(query, "action"),
        target=target,
        incident=incident,
        tracks=frozenset(tracks),
    )


def _text(query: Mapping[str, str], name: str) -> str | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    if len(value) > MOST_TEXT:
        raise BadInput(name, f"longer than {MOST_TEXT} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise BadInput(name, "holds a control character")
    return value


def _instant(query: Mapping[str, str], name: str, now: datetime) -> datetime | None:
    text = _text(query, name)
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(
            name,
            f"expected an RFC 3339 time with its offset (e.g. 2026-03-01T00:00:00Z; a + in a "
            f"URL is written %2B), got {text[:40]!r}",
        ) from None
    return instants.given(at, name, now)


async def _incident(request: web.Request, text: str | None) -> str | None:
    """The incident or case id ``text`` names: an id as it is, a number (``42``, ``#42``)
    through the casebook; 400 naming ``incident`` when it is neither."""
    if text is None:
        return None
    digits = text.removeprefix("#")
    if digits.isascii() and digits.isdigit():
        wanted = handling.number_written(digits)
        if wanted is None:
            raise BadInput("incident", "expected an incident number or id")
        store = request.app[keys.SERVICE].store
        found = [r.incident_id for r in await store.list_casebooks() if r.number == wanted]
        if not found:
            raise BadInput("incident", f"no incident has the number {wanted}")
        return found[0]
    if "." in text or ":" in text:
        raise BadInput("incident", f"expected an incident number or id, got {text[:40]!r}")
    return text
