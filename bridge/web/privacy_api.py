"""HTTP API of the privacy track: ``/api/v1/privacy/…`` (cases, exemption, the register).

Contract:
- Every route needs an API token with a role on the ``privacy`` track (``viewer:privacy`` reads,
  ``editor:privacy`` opens and changes cases, ``approver:privacy`` records exemptions); a token
  without it gets 403, and that refusal is audited (``privacy.refused``: who, what, which role).
- Every read of a privacy resource is audited too (``privacy.read`` / ``privacy.exported``), and
  is answered only once its audit entry is written (store down: 503, nothing served). Audit
  entries name cases and fields, never their contents.
- Changes name the revision they are based on (``revision``): a stale one is a 409.
- With no ``privacy`` section in the config the track is off and these routes answer 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bridge.core import privacy
from bridge.core.alerts import format_time
from bridge.core.obligations import Obligation
from bridge.core.privacy import PrivacyCase
from bridge.errors import BadInput
from bridge.privacy.register_export import CSV_MIME, XLSX_MIME, to_csv, to_xlsx
from bridge.service import BridgeService
from bridge.web import notices_api
from bridge.web.auth import Principal

PrincipalOf = Callable[[web.Request], Awaitable[Principal]]


def _obligation(o: Obligation) -> dict[str, Any]:
    return {
        "regulator": o.regulator,
        "kind": o.kind,
        "due_at": format_time(o.due_at),
        "state": o.state,
        "basis": o.basis,
        "explanation": o.explanation,
        "waiting_for": o.waiting_for,
    }


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
        "obligations": [_obligation(o) for o in obligations],
        "next_due_at": format_time(min(due)) if due else None,
        "overdue": sorted(o.kind for o in obligations if o.state == "overdue"),
    }


class PrivacyApi:
    """The handlers; ``service_key`` and ``principal_of`` come from the app factory."""

    def __init__(self, service_key: web.AppKey[BridgeService], principal_of: PrincipalOf) -> None:
        self.key = service_key
        self.principal_of = principal_of

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/api/v1/privacy/cases", self.list_cases)
        r.add_post("/api/v1/privacy/cases", self.create_case)
        r.add_get("/api/v1/privacy/cases/{id}", self.get_case)
        r.add_patch("/api/v1/privacy/cases/{id}", self.edit_case)
        r.add_get("/api/v1/privacy/cases/{id}/revisions", self.revisions)
        r.add_post("/api/v1/privacy/cases/{id}/state", self.set_state)
        r.add_post("/api/v1/privacy/cases/{id}/exemption", self.exemption)
        r.add_get("/api/v1/privacy/register.csv", self.register_csv)
        r.add_get("/api/v1/privacy/register.xlsx", self.register_xlsx)

    # ---- access ------------------------------------------------------------------------
    async def _access(
        self, request: web.Request, role: str, target: str
    ) -> tuple[Principal, BridgeService]:
        """The caller, once known to hold ``role`` on the privacy track; a refusal is audited
        before it is answered."""
        principal = await self.principal_of(request)
        service = request.app[self.key]
        if not service.privacy.enabled:
            raise web.HTTPNotFound(text="the privacy track is off (no privacy section in config)")
        if not principal.can(role, "privacy"):
            await service.privacy.audit_access(
                principal.name,
                "privacy.refused",
                target,
                {"method": request.method, "path": request.path, "role": role},
            )
            raise web.HTTPForbidden(text=f"{principal.name} lacks the {role} role for privacy")
        return principal, service

    async def _read(
        self, request: web.Request, target: str, action: str = "privacy.read"
    ) -> tuple[Principal, BridgeService]:
        principal, service = await self._access(request, "viewer", target)
        await service.privacy.audit_access(
            principal.name, action, target, {"method": request.method, "path": request.path}
        )
        return principal, service

    async def _case(self, service: BridgeService, request: web.Request) -> PrivacyCase:
        case_id = request.match_info["id"]
        found = await service.privacy.fresh(case_id) if service.privacy.is_case(case_id) else None
        if found is None:
            raise web.HTTPNotFound(text=f"no privacy case {case_id!r}")
        return found

    def _detail(self, service: BridgeService, case: PrivacyCase) -> dict[str, Any]:
        obligations = service.privacy.obligations(case.id)
        drafts = service.desk.select(incident=case.id)
        return {
            **summary(case, obligations),
            "case": privacy.to_dict(case),
            "drafts": [notices_api.summary(d) for d in drafts],
        }

    # ---- handlers ----------------------------------------------------------------------
    async def list_cases(self, request: web.Request) -> web.Response:
        _, service = await self._read(request, "privacy:cases")
        state = request.query.get("state", "all")
        if state not in ("open", "closed", "all"):
            raise BadInput("state", f"expected open, closed or all, got {state!r}")
        await service.settle_notices()
        cases = [
            c
            for c in sorted(service.privacy.cases.values(), key=lambda c: c.id, reverse=True)
            if state in ("all", c.state)
        ]
        return web.json_response(
            {"cases": [summary(c, service.privacy.obligations(c.id)) for c in cases]}
        )

    async def create_case(self, request: web.Request) -> web.Response:
        principal, service = await self._access(request, "editor", "privacy:cases")
        body = await notices_api.body_of(request)
        case = await service.privacy.create(privacy.parse_values(body), principal.name)
        await service.privacy_changed(case.id)
        return web.json_response(self._detail(service, case), status=201)

    async def get_case(self, request: web.Request) -> web.Response:
        case_id = request.match_info["id"]
        _, service = await self._read(request, f"privacy:{case_id}")
        await service.settle_notices()
        case = await self._case(service, request)
        return web.json_response(self._detail(service, case))

    async def revisions(self, request: web.Request) -> web.Response:
        case_id = request.match_info["id"]
        _, service = await self._read(request, f"privacy:{case_id}")
        records = await service.store.privacy_case_revisions(case_id)
        if not records:
            raise web.HTTPNotFound(text=f"no privacy case {case_id!r}")
        return web.json_response({"revisions": [r.document for r in records]})

    async def edit_case(self, request: web.Request) -> web.Response:
        principal, service = await self._access(
            request, "editor", f"privacy:{request.match_info['id']}"
        )
        case = await self._case(service, request)
        body = await notices_api.body_of(request)
        fields = body.get("fields")
        if not isinstance(fields, dict):
            raise BadInput("fields", "expected an object of field name → new value")
        changed = await service.privacy.edit(
            case.id,
            _revision(body),
            privacy.parse_values(fields, prefix="fields."),
            principal.name,
        )
        await service.privacy_changed(case.id)
        return web.json_response(self._detail(service, changed))

    async def set_state(self, request: web.Request) -> web.Response:
        principal, service = await self._access(
            request, "editor", f"privacy:{request.match_info['id']}"
        )
        case = await self._case(service, request)
        body = await notices_api.body_of(request)
        state = notices_api.str_field(body, "state", required=True)
        changed = await service.privacy.set_state(case.id, _revision(body), state, principal.name)
        await service.privacy_changed(case.id)
        return web.json_response(self._detail(service, changed))

    async def exemption(self, request: web.Request) -> web.Response:
        principal, service = await self._access(
            request, "approver", f"privacy:{request.match_info['id']}"
        )
        case = await self._case(service, request)
        body = await notices_api.body_of(request)
        if "reason" not in body:
            raise BadInput(
                "reason", f"required: one of {', '.join(privacy.EXEMPTION_REASONS)}, or null"
            )
        reason = body["reason"]
        if reason is not None and not isinstance(reason, str):
            raise BadInput("reason", f"expected text or null, got {type(reason).__name__}")
        changed = await service.privacy.exemption(
            case.id,
            _revision(body),
            reason,
            notices_api.str_field(body, "comment"),
            principal.name,
        )
        await service.privacy_changed(case.id)
        return web.json_response(self._detail(service, changed))

    async def register_csv(self, request: web.Request) -> web.Response:
        _, service = await self._read(request, "privacy:register", "privacy.exported")
        await service.settle_notices()
        body = to_csv(service.privacy.register_rows())
        return _download(body, CSV_MIME, "privacy-register.csv")

    async def register_xlsx(self, request: web.Request) -> web.Response:
        _, service = await self._read(request, "privacy:register", "privacy.exported")
        await service.settle_notices()
        body = to_xlsx(service.privacy.register_rows())
        return _download(body, XLSX_MIME, "privacy-register.xlsx")


def _revision(body: dict[str, Any]) -> int:
    value = body.get("revision")
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput("revision", f"expected the revision this is based on, got {value!r}")
    return value


def _download(body: bytes, mime: str, name: str) -> web.Response:
    return web.Response(
        body=body,
        content_type=mime,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
