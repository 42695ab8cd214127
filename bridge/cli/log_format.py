"""How ``bridge serve`` writes its log: text lines, or JSON lines for log shippers.

Contract:
- :func:`configure` sets the root logger's level and one stderr handler: ``text`` is
  ``TIME LEVEL LOGGER: MESSAGE``; ``json`` is one JSON object per line with ``time`` (UTC,
  RFC 3339), ``level``, ``logger``, ``message`` and, where the record carries them, the
  lifecycle fields (``event``, ``incident``, ``draft``, ``regulator``, ``kind``, ``version``)
  and ``exception`` (the traceback).
- In both formats the handler passes aiohttp's own records (``aiohttp.*``: the HTTP server, the
  web app, the client) through :class:`AiohttpRecords`: they never carry a request's bytes nor
  an exception's message (which quotes them: a bearer token, a query string). A malformed
  request (anyone reaching the port can send one, without credentials) is one WARNING line
  ``malformed request from ADDRESS: CLASS: REASON`` (``REASON`` fixed per class,
  :data:`bridge.web.malformed.REASONS`, as in the 400's body; a non-HTTP
  first line stays at DEBUG, as aiohttp logs it); any other exception of theirs is its type
  and frames without its message (:func:`bridge.errors.traced`). ``aiohttp.access`` lines are
  dropped: ``bridge serve`` runs without an access log, and one would carry query strings.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from aiohttp import http_exceptions as bad

from bridge.errors import traced
from bridge.web.malformed import reason

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class TextLines(logging.Formatter):
    """:data:`TEXT`, its time in UTC with the zone said (``2026-12-01T04:19:19.586Z``): a line
    read months later, on another host or in the hour summer time repeats, says when."""

    def __init__(self) -> None:
        super().__init__(TEXT)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        at = datetime.fromtimestamp(record.created, UTC)
        return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


#: the record attributes the lifecycle log adds (``extra=``), copied into a JSON line
FIELDS = ("event", "incident", "draft", "regulator", "kind", "version")


class JsonLines(logging.Formatter):
    """One JSON object per record (see the module contract)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _from_aiohttp(name: str) -> bool:
    return name == "aiohttp" or name.startswith("aiohttp.")


class AiohttpRecords(logging.Filter):
    """aiohttp's records without request bytes or exception messages (the module contract).
    Rewrites the record in place: the one handler is the only reader."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _from_aiohttp(record.name):
            return True
        if record.name == "aiohttp.access":
            return False
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, bad.HttpProcessingError):
            args = record.args if isinstance(record.args, tuple) else ()
            remote = (
                f" from {args[0]}"
                if str(record.msg).startswith("Error handling request from") and args
                else ""
            )
            record.msg = f"malformed request{remote}: {type(exc).__name__}: {reason(exc)}"
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        elif exc is not None:
            record.msg = f"{record.getMessage()}\n{traced(exc)}"
        else:
            return True
        record.args = ()
        record.exc_info = record.exc_text = record.stack_info = None
        return True


def configure(level: str, fmt: str) -> None:
    """See the module contract."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(AiohttpRecords())
    handler.setFormatter(JsonLines() if fmt == "json" else TextLines())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
