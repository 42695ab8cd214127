"""`log_format: json` (bridge/cli/log_format.py): one JSON object per line, lifecycle ids kept."""

from __future__ import annotations

import json
import logging

from aiohttp.http_exceptions import BadHttpMethod

from bridge.cli.log_format import AiohttpRecords, JsonLines


def record(**extra: object) -> logging.LogRecord:
    rec = logging.LogRecord(
        "bridge.lifecycle", logging.INFO, __file__, 1, "incident opened: %s", ("inc-1",), None
    )
    for name, value in extra.items():
        setattr(rec, name, value)
    return rec


def test_a_lifecycle_record_is_one_json_line_with_its_ids() -> None:
    """A lifecycle record becomes one line of JSON with time, level, logger, message and ids."""
    line = JsonLines().format(record(event="incident.opened", incident="inc-1"))
    assert "\n" not in line
    doc = json.loads(line)
    assert doc["level"] == "INFO" and doc["logger"] == "bridge.lifecycle"
    assert doc["message"] == "incident opened: inc-1"
    assert doc["event"] == "incident.opened" and doc["incident"] == "inc-1"
    assert doc["time"].endswith("+00:00") and "draft" not in doc


def test_an_exception_stays_inside_its_line() -> None:
    """A traceback is a field of the same JSON line, not lines of its own."""
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        rec = record()
        rec.exc_info = sys.exc_info()
    doc = json.loads(JsonLines().format(rec))
    assert "ValueError: boom" in doc["exception"]


def aiohttp_record(
    name: str, level: int, msg: str, args: tuple[object, ...], exc: BaseException
) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        import sys

        return logging.LogRecord(name, level, __file__, 1, msg, args, sys.exc_info())


def test_an_aiohttp_error_keeps_its_frames_but_not_its_message() -> None:
    """Anything aiohttp logs with an exception that is not a malformed request (a handler's
    error reaching aiohttp) keeps the type and frames, never the message (request data)."""
    rec = aiohttp_record(
        "aiohttp.server", logging.ERROR, "Unhandled exception", (), ValueError("Bearer s3cret")
    )
    assert AiohttpRecords().filter(rec)
    line = JsonLines().format(rec)
    doc = json.loads(line)
    assert "s3cret" not in line and "exception" not in doc
    assert doc["message"].startswith("Unhandled exception\nValueError (message not logged)")
    assert doc["level"] == "ERROR"


def test_a_non_http_first_line_stays_at_debug() -> None:
    """aiohttp logs a first line that is not HTTP (TLS on the plain port) at DEBUG: kept so."""
    exc = BadHttpMethod("\x16\x03\x01 s3cret")
    rec = aiohttp_record(
        "aiohttp.server", logging.DEBUG, "Error handling request from %s", ("10.0.0.9",), exc
    )
    assert AiohttpRecords().filter(rec)
    assert (rec.levelname, rec.getMessage(), rec.exc_info) == (
        "DEBUG",
        "malformed request from 10.0.0.9: BadHttpMethod: not an HTTP request (TLS or another "
        "protocol on this port?)",
        None,
    )


def test_access_lines_are_dropped_and_the_bridges_own_records_untouched() -> None:
    """An access line (it would carry the query string) never reaches the log; the bridge's
    own records pass as they are (its code logs through traced())."""
    access = logging.LogRecord(
        "aiohttp.access", logging.INFO, __file__, 1, '"%s"', ("GET /x?token=s3cret",), None
    )
    assert not AiohttpRecords().filter(access)
    own = record()
    assert AiohttpRecords().filter(own) and own.getMessage() == "incident opened: inc-1"


def test_a_text_line_says_its_time_in_utc_with_its_zone() -> None:
    """The text format's time names its zone (an operator reading "04:19" months later must not
    have to know the host's zone, nor the hour repeated when summer time ends)."""
    from bridge.cli.log_format import TextLines

    rec = record()
    rec.created = 1796098759.586  # 2026-12-01 04:19:19.586 UTC
    line = TextLines().format(rec)
    assert line.startswith("2026-12-01T04:19:19.586Z INFO bridge.lifecycle: incident opened")
