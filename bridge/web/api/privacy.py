"""HTTP API of the privacy track: ``/api/v1/privacy/…`` (cases, exemption, the register).

Contract:
- Every route needs a role on the ``privacy`` track (``viewer:privacy`` reads,
  ``editor:privacy`` opens and changes cases, ``approver:privacy`` records exemptions, as a
  signed-in person with a fresh second factor: bridge/web/decisions.py); an unscoped role covers
  the outage track only. A caller without it gets 403, and that refusal is audited
  (``privacy.refused``: who, what, which role).
- Every read of a privacy resource is audited too (``privacy.read`` / ``privacy.exported``), and
  is answered only once its audit entry is written (store down: 503, nothing served); an export
  is audited once it is made (if making it fails, no entry says it was served). Audit entries
  name cases and fields, never their contents. The case list writes one entry naming each case
  on the page (``privacy:<id>``: the first its target, the others its ``also``; none for an
  empty page: :func:`bridge.web.access.privacy_list_read`), so a search for a case finds it;
  the register's export, of every case, is one ``privacy.exported`` of ``privacy:register``.
- Free text in a case (create, edit, the exemption's comment) refuses control characters other
  than line breaks and tabs: 400 naming the field, nothing changed.
- Changes name the revision they are based on (``revision``): a stale one is a 409.
- With no ``privacy`` section in the config the track is off and these routes answer 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bridge.core import privacy
from bridge.core.alerts import format_time
from bridge.core.documents import obligation_json
from bridge.core.obligations import Obligation
from bridge.core.privacy import PrivacyCase
from bridge.errors import BadInput
from bridge.notices.attachments import content_disposition
from bridge.privacy.cases import is_case
from bridge.privacy.register_export import CSV_MIME, XLSX_MIME, to_csv, to_xlsx
from bridge.service import BridgeService
from bridge.web import access, keys, paging
from bridge.web.access import body_of, int_field, str_field
from bridge.web.api.drafts import attested
from bridge.web.api.drafts import summary as draft_summary
from bridge.web.auth import Principal

routes = web.RouteTableDef()

_REVISION = "the revision this is based on"  # what a change names (a stale one: 409)


def summary(case: PrivacyCase, obligations: list[Obligation]) -> dict[str, Any]:
    """The list view: state and deadlines, no free text."""
    due = [o.due_at for o in obligations if o.due_at is not None and o.state not in ("sent",)]
    return {
        "id": case.id,
        "state": case.state,
        "nature": case.nature,
        "jurisdictions": list(case.jurisdictions),
        "source": case.source,
        "detected_at": format_time(case.detected_at),
        "revision": case.revision,
        "updated_at": format_time(case.updated_at),
        "exemption": None if case.exemption is None else case.exemption.reason,
        # a closed case's outcome (not_a_breach, handled); its reason is in ``case.closure``
        "outcome": None if case.closure is None else case.closure.outcome,
        "obligations": [obligation_json(o) for o in obligations],
        "next_due_at": format_time(min(due)) if due else None,
        "overdue": sorted(o.kind for o in obligations if o.state == "overdue"),
        "attention": privacy.attention(case),
    }


# ---- access ------------------------------------------------------------------------------


async def _access(request: web.Request, target: str) -> tuple[Principal, BridgeService]:
    """The caller, once known to hold the route's role (bridge/web/decisions.py) on the privacy
    track; a refusal is audited before it is answered."""
    principal = await access.principal(request)
    service = request.app[keys.SERVICE]
    if not service.privacy.enabled:
        raise web.HTTPNotFound(text="the privacy track is off (no privacy section in config)")
    return await access.authorize(request, "privacy", target, principal), service


async def _read(
    request: web.Request, target: str, action: str = "privacy.read"
) -> tuple[Principal, BridgeService]:
    principal, service = await _access(request, target)
    await access.privacy_read(request, principal, target, action)
    return principal, service


async def _case(service: BridgeService, request: web.Request) -> PrivacyCase:
    case_id = request.match_info["id"]
    found = await service.privacy.fresh(case_id) if is_case(case_id) else None
    if found is None:
        raise web.HTTPNotFound(text=f"no privacy case {case_id!r}")
    return found


async def _change(
    request: web.Request,
) -> tuple[Principal, BridgeService, PrivacyCase, dict[str, Any]]:
    """For a change to the case named in the path: the caller, once known to hold the route's
    role, the service, the case and the request's JSON body."""
    principal, service = await _access(request, f"privacy:{request.match_info['id']}")
    case = await _case(service, request)
    return principal, service, case, await body_of(request)


async def _changed(service: BridgeService, case: PrivacyCase, status: int = 200) -> web.Response:
    """Tell the service the case changed; answer with the case as it is now."""
    await service.privacy_changed(case.id)
    return web.json_response(_detail(service, case), status=status)


def _detail(service: BridgeService, case: PrivacyCase) -> dict[str, Any]:
    obligations = service.privacy_owed.obligations(case.id)
    drafts = service.desk.select(incident=case.id)
    return {
        **summary(case, obligations),
        "case": privacy.to_dict(case),
        # the free-text fields still holding only an alert's words: kept from subscribers
        "alert_texts": list(privacy.alert_texts(case)),
        # each subscriber notice handed over for distribution: how it reached the subscribers,
        # or that it is not yet recorded (bridge/web/api/privacy_reach.py)
        "distribution": service.privacy_owed.distribution(case.id),
        "drafts": [draft_summary(d) for d in drafts],
    }


# ---- handlers ----------------------------------------------------------------------------


@routes.get("/api/v1/privacy/cases")
async def list_cases(request: web.Request) -> web.Response:
    principal, service = await _access(request, "privacy:cases")
    state = request.query.get("state", "all")
    if state not in ("open", "closed", "all"):
        raise BadInput("state", f"expected open, closed or all, got {state!r}")
    await service.settle_notices()
    cases = [
        c
        for c in sorted(service.privacy.cases.values(), key=lambda c: c.id, reverse=True)
        if state in ("all", c.state)
    ]
    chosen = paging.page(cases, lambda c: (c.id,), 1, request.query)  # in memory, by id
    await access.privacy_list_read(request, principal, (c.id for c in chosen.items))
    return web.json_response(
        chosen.answer(
            "cases", [summary(c, service.privacy_owed.obligations(c.id)) for c in chosen.items]
        )
    )


@routes.post("/api/v1/privacy/cases")
async def create_case(request: web.Request) -> web.Response:
    principal, service = await _access(request, "privacy:cases")
    body = await body_of(request)
    values = privacy.parse_values(body, service.clock.now())
    case = await service.privacy.create(values, principal.name)
    return await _changed(service, case, status=201)


@routes.get("/api/v1/privacy/cases/{id}")
async def get_case(request: web.Request) -> web.Response:
    case_id = request.match_info["id"]
    _, service = await _read(request, f"privacy:{case_id}")
    await service.settle_notices()
    case = await _case(service, request)
    return web.json_response(_detail(service, case))


@routes.patch("/api/v1/privacy/cases/{id}")
async def edit_case(request: web.Request) -> web.Response:
    principal, service, case, body = await _change(request)
    fields = body.get("fields")
    if not isinstance(fields, dict):
        raise BadInput("fields", "expected an object of field name → new value")
    changed = await service.privacy.edit(
        case.id,
        int_field(body, "revision", _REVISION),
        privacy.parse_values(fields, service.clock.now(), prefix="fields."),
        principal.name,
        prefix="fields.",
    )
    return await _changed(service, changed)


@routes.get("/api/v1/privacy/cases/{id}/revisions")
async def revisions(request: web.Request) -> web.Response:
    case_id = request.match_info["id"]
    _, service = await _read(request, f"privacy:{case_id}")
    records = await service.store.privacy_case_revisions(case_id)
    if not records:
        raise web.HTTPNotFound(text=f"no privacy case {case_id!r}")
    return web.json_response({"revisions": [r.document for r in records]})


@routes.post("/api/v1/privacy/cases/{id}/state")
async def set_state(request: web.Request) -> web.Response:
    principal, service, case, body = await _change(request)
    state = str_field(body, "state", required=True)
    changed = await service.privacy.set_state(
        case.id,
        int_field(body, "revision", _REVISION),
        state,
        principal.name,
        str_field(body, "reason"),
        str_field(body, "outcome") or None,
    )
    return await _changed(service, changed)


@routes.post("/api/v1/privacy/cases/{id}/exemption")
async def exemption(request: web.Request) -> web.Response:
    principal, service, case, body = await _change(request)
    factor_at = await access.second_factor(request, body)
    if "reason" not in body:
        raise BadInput(
            "reason", f"required: one of {', '.join(privacy.EXEMPTION_REASONS)}, or null"
        )
    reason = body["reason"]
    if reason is not None and not isinstance(reason, str):
        raise BadInput("reason", f"expected text or null, got {type(reason).__name__}")
    changed = await service.privacy.exemption(
        case.id,
        int_field(body, "revision", _REVISION),
        reason,
        str_field(body, "comment"),
        principal.name,
        attested(factor_at),
    )
    return await _changed(service, changed)


@routes.get("/api/v1/privacy/register.csv")
async def register_csv(request: web.Request) -> web.Response:
    return await _register(request, to_csv, CSV_MIME, "privacy-register.csv")


@routes.get("/api/v1/privacy/register.xlsx")
async def register_xlsx(request: web.Request) -> web.Response:
    author = request.app[keys.SERVICE].desk.sender.name  # the operator (operator.name)
    return await _register(
        request, lambda rows: to_xlsx(rows, author), XLSX_MIME, "privacy-register.xlsx"
    )


async def _register(
    request: web.Request, export: Callable[[list[list[str]]], bytes], mime: str, name: str
) -> web.Response:
    """The register as a download (``export`` of its rows); the export is audited once it is
    made, before it is answered (an export that fails claims nothing was served)."""
    principal, service = await _access(request, "privacy:register")
    await service.settle_notices()
    body = export(service.privacy_owed.register_rows())
    await access.privacy_read(request, principal, "privacy:register", "privacy.exported")
    return web.Response(
        body=body,
        content_type=mime,
        headers={
            "Content-Disposition": content_disposition(name),
            "Cache-Control": "no-store",
        },
    )
