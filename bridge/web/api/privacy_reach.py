"""HTTP API of a subscriber notice's distribution: ``POST /api/v1/privacy/cases/{id}/distribution``.

Contract:
- The bridge hands an approved subscriber notice to the operator's own address
  (``privacy.subscriber_notice_recipient``, else ``operator.contact.email``); a person then
  records how it reached the subscribers (:mod:`bridge.core.privacy_reach`): ``revision`` (the
  case's, a stale one is a 409), ``kind`` (``subscriber_notice`` or
  ``nkom_privacy_subscriber``; one not handed over is a 409), ``channels`` (email, sms, letter,
  web), ``went_out_at``, ``reached``, ``unreached``, ``unreached_action`` (required when some
  were not reached), ``comment``?, and ``totp``? (as a portal submission: a signed-in person
  with ``editor:privacy`` or more and a fresh second factor, bridge/web/decisions.py). A bad
  value is a 400 naming the field, nothing recorded; a refusal is audited
  (``privacy.refused``); the record is audited as ``privacy.distribution_recorded`` (counts and
  channels, never its text) with when the factor was checked.
- The answer is the case as ``GET …/cases/{id}`` gives it, whose ``distribution`` lists each
  handed-over notice with its record, or the words "handed to <address> for distribution, not
  yet recorded as reached".
"""

from __future__ import annotations

from aiohttp import web

from bridge.web import access
from bridge.web.access import int_field
from bridge.web.api.drafts import attested
from bridge.web.api.privacy import _change, _changed

routes = web.RouteTableDef()


@routes.post("/api/v1/privacy/cases/{id}/distribution")
async def record_distribution(request: web.Request) -> web.Response:
    principal, service, case, body = await _change(request)
    factor_at = await access.second_factor(request, body)
    revision = int_field(body, "revision", "the revision this is based on")
    values = {k: v for k, v in body.items() if k not in ("revision", "totp")}
    changed = await service.privacy.record_distribution(
        case.id,
        revision,
        values,
        service.privacy_owed.handed(case.id),
        principal.name,
        attested(factor_at),
    )
    return await _changed(service, changed)
