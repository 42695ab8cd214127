"""Error answers: every error body is ``{"error": …, "detail": …}``, mapped in one middleware.

Contract (:func:`error_middleware`, outermost on the app):
- a :class:`bridge.errors.BridgeError` answers by its data (:func:`bridge_error`): a retryable
  one 503 (Alertmanager retries only 5xx) with a fixed detail: :data:`STORE_DOWN` ("the store is
  unavailable; nothing was stored; retry") when nothing reached the store, or
  :data:`OUTCOME_UNKNOWN` for a :class:`bridge.errors.StoreOutcomeUnknown` (a write sent but not
  answered: it may have been stored, so whoever acted checks before repeating; a webhook is
  still a 503, which Alertmanager sends again: harmless), never the error's own text, which
  names the store (a Redis host and port, a file): the webhook's answer lands in Alertmanager's
  log and any answer with any API client; the bridge logs the text as a warning (a Redis URL's
  password is redacted there: bridge/store/redis/url.py), once per outage, not once per request
  (:class:`bridge.store.outage.Refusals`, ``app[keys.REFUSALS]``: at the first refusal, naming
  its method and path, when the cause changes, at most once a minute while it lasts, and an INFO
  with the count when the store answers again) and counts each in
  ``bridge_store_errors_total{op}`` by the store operation it met, unless the stage that met it
  counted it already (``Metrics.store_error``: once each); any other its ``status`` with its
  message as the detail (BadInput → 400 naming the field, Conflict → 409); a status of 500 is
  not the caller's doing and answers like any other unexpected error;
- aiohttp's own HTTP errors keep their status, reason and text (413 names the body limit);
- anything else → 500 "internal error" whose detail carries an error id; the log has one ERROR
  record ``unhandled error on METHOD PATH (error id …)`` with the exception's type and frames,
  causes included, but no exception's message (:func:`bridge.errors.traced`): a message may hold
  any value being processed, personal data included.
- every answer under ``/api/`` but the webhook's carries ``Cache-Control: no-store`` and
  ``X-Content-Type-Options: nosniff`` (:func:`api_not_stored`): its JSON may hold personal data
  (a privacy case, users, the audit), which a shared NOC workstation's browser must not keep in
  its cache after sign-out.
- every answer carries the bridge's clock (``clock.now()`` of the service) in ``X-Bridge-Time``,
  RFC 3339 in UTC to the millisecond (:func:`bridge_time`): the console's countdowns follow it,
  not the clock of the PC they run on.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC
from http import HTTPStatus

from aiohttp import web
from aiohttp.typedefs import Handler

from bridge.errors import BridgeError, StoreOutcomeUnknown, StoreUnavailable, traced
from bridge.web import keys
from bridge.web.auth import WEBHOOK_PATH

log = logging.getLogger("bridge.web")

#: the detail of every 503 for a store error: never the error's text, which names the store
STORE_DOWN = "the store is unavailable; nothing was stored; retry"
#: the detail of a 503 for a write sent to the store but not answered (it may have been stored)
OUTCOME_UNKNOWN = (
    "the store did not answer in time; outcome unknown: it may have been stored; "
    "check before repeating"
)
#: the detail of ``/readyz``'s 503 to an anonymous caller (a probe): the cause is in the log
NOT_READY = "the store is unavailable, or the bridge is starting; the cause is in the bridge's log"


def error(status: int, error_: str, detail: str, **headers: str) -> web.Response:
    return web.json_response({"error": error_, "detail": detail}, status=status, headers=headers)


def too_large(limit: int) -> str:
    """The detail of a 413: the body limit (``server.max_body_bytes``)."""
    return f"request body exceeds the limit of {limit} bytes"


def bridge_error(exc: BridgeError) -> web.Response:
    """The answer to ``exc`` by its data (see the module contract); logging is the caller's."""
    if isinstance(exc, StoreOutcomeUnknown):
        return error(503, "store unavailable", OUTCOME_UNKNOWN)
    if exc.retryable:
        return error(503, "store unavailable", STORE_DOWN)
    if exc.status >= 500:
        return _internal()
    return error(exc.status, HTTPStatus(exc.status).phrase.lower(), str(exc))


def _http_error(request: web.Request, exc: web.HTTPException) -> web.Response:
    reason = exc.reason
    detail = exc.text or reason
    if exc.status == 413:
        detail = too_large(request.app[keys.CONFIG].config.server.max_body_bytes)
    return error(
        exc.status,
        reason.lower(),
        detail,
        **{k: v for k, v in exc.headers.items() if k.lower() in ("www-authenticate", "allow")},
    )


def _internal(error_id: str | None = None) -> web.Response:
    detail = "see the bridge's log" + ("" if error_id is None else f" (error id {error_id})")
    return error(500, "internal error", detail)


def _unexpected(request: web.Request, exc: BaseException) -> web.Response:
    """Log ``exc`` without its message under a new error id; answer 500 with that id."""
    error_id = secrets.token_hex(6)
    log.error(
        "unhandled error on %s %s (error id %s)\n%s",
        request.method,
        request.path,
        error_id,
        traced(exc),
    )
    return _internal(error_id)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BridgeError as exc:
        if exc.retryable:
            # logged once per outage, not per request (a few consoles polling make hundreds)
            request.app[keys.REFUSALS].refused(exc, f"{request.method} {request.path}")
            if isinstance(exc, StoreUnavailable):  # counted each, by operation (once: see it)
                request.app[keys.METRICS].store_error(exc)
        elif exc.status >= 500:
            return _unexpected(request, exc)
        return bridge_error(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _http_error(request, exc)
    except Exception as exc:
        return _unexpected(request, exc)


async def api_not_stored(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the API's answers are not kept by browsers or proxies (see the
    module contract); the webhook's answer (Alertmanager's, no personal data) is left alone."""
    path = request.path
    if path.startswith("/api/") and path != WEBHOOK_PATH:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"


#: The header of every answer that says the bridge's clock (see the module contract).
TIME_HEADER = "X-Bridge-Time"


async def bridge_time(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the service's clock in :data:`TIME_HEADER` (see the module
    contract)."""
    now = request.app[keys.SERVICE].clock.now().astimezone(UTC)
    response.headers[TIME_HEADER] = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
