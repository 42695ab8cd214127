"""The answer to a request aiohttp could not parse (a stray byte in a header, a bad
Content-Length, a line too long, TLS on the plain port: anyone reaching the port can send one,
without credentials).

Contract:
- :data:`REASONS`: what was wrong, in general terms, by the class aiohttp raised (the first that
  matches); fixed texts, never the exception's message, which quotes the offending bytes (a
  bearer token). The log says the same (``bridge.cli.log_format.AiohttpRecords``).
- :class:`AppRunner` is aiohttp's, serving with connection handlers whose answer to such a
  request is ``400 Bad Request: REASON`` (text/plain) instead of aiohttp's, which echoed the
  offending line. Everything else is aiohttp's: the status, closing the connection, the log
  record.

aiohttp has no supported hook for this answer: it is made by the connection handler
(``aiohttp.web_protocol.RequestHandler.handle_error``) before any middleware or
``on_response_prepare`` sees a request (aio-libs/aiohttp#3287, open since 2018). So this
subclasses that handler (overriding only ``handle_error``) and the low-level ``web.Server``
that makes it, through ``AppRunner._make_server``, the runner's hook for its server; the
server's ``_loop`` and ``_kwargs`` are read as aiohttp's own ``Server.__call__`` does.
tests/integration/test_malformed_requests_log.py holds it to a real ``bridge serve`` on each
aiohttp upgrade.
"""

from __future__ import annotations

from http import HTTPStatus

from aiohttp import http_exceptions as bad
from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

#: why a malformed request was refused, by the class aiohttp raised (the first that matches)
REASONS: tuple[tuple[type[Exception], str], ...] = (
    (bad.BadHttpMethod, "not an HTTP request (TLS or another protocol on this port?)"),
    (bad.LineTooLong, "a line or header too long"),
    (bad.InvalidHeader, "an invalid header"),
    (bad.BadStatusLine, "an invalid request line"),
    (bad.InvalidURLError, "an invalid URL"),
    (bad.ContentLengthError, "a body shorter than its Content-Length"),
    (bad.TransferEncodingError, "an invalid chunked body"),
    (bad.ContentEncodingError, "an invalid compressed body"),
    (bad.DecompressSizeError, "a compressed body too large"),
    (bad.BadHttpMessage, "an invalid HTTP message"),
    (bad.HttpProcessingError, "not a valid HTTP request"),
)


def reason(exc: bad.HttpProcessingError) -> str:
    """What was wrong with the request, in general terms (:data:`REASONS`)."""
    return next(text for kind, text in REASONS if isinstance(exc, kind))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class _Handler(RequestHandler):
    """aiohttp's connection handler, answering a request it could not parse without quoting
    it (the module contract)."""

    __slots__ = ()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> StreamResponse:
        if isinstance(exc, bad.HttpProcessingError) and status < 500:
            message = f"{status} {_phrase(status)}: {reason(exc)}"
        return super().handle_error(request, status, exc, message)


class _Server(web.Server):
    """aiohttp's low-level server, making :class:`_Handler` connection handlers."""

    def __call__(self) -> RequestHandler:
        return _Handler(self, loop=self._loop, **self._kwargs)


class AppRunner(web.AppRunner):
    """``web.AppRunner`` whose server answers malformed requests as the contract says."""

    async def _make_server(self) -> web.Server:
        made = await super()._make_server()
        return _Server(
            made.request_handler,
            request_factory=made.request_factory,
            handler_cancellation=made.handler_cancellation,
            loop=made._loop,
            **made._kwargs,
        )
