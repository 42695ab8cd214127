"""Unexpected errors reach the log without their messages (bridge.errors.traced and the error
middleware, bridge/web/answers.py): a message may hold any value being processed, personal data
included; the type, the frames and the causes are kept, with an error id the 500 names."""

from __future__ import annotations

import logging
import re

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bridge.errors import traced
from bridge.web.answers import error_middleware

SECRET = "Anna Svensson 19800101-1234"


class Leaky(Exception):
    pass


def _inner() -> None:
    raise KeyError(SECRET)


def _outer() -> None:
    try:
        _inner()
    except KeyError as exc:
        raise Leaky(f"could not handle {SECRET}") from exc


def test_traced_names_types_frames_and_causes_but_no_message() -> None:
    """The cause comes first, as Python prints it; each exception's frames name file, line and
    function; no message of any exception in the chain is there."""
    try:
        _outer()
    except Leaky as exc:
        text = traced(exc)
    assert SECRET not in text and "could not handle" not in text
    assert text.index("KeyError") < text.index("direct cause") < text.index(f"{__name__}.Leaky")
    assert re.search(r'File ".*test_error_log\.py", line \d+, in _inner', text)
    assert re.search(r'File ".*test_error_log\.py", line \d+, in _outer', text)


def test_traced_follows_a_context_and_the_members_of_a_group() -> None:
    """An exception raised while handling another, and the members of an exception group."""
    try:
        try:
            _inner()
        except KeyError:
            raise ExceptionGroup(SECRET, [ValueError(SECRET), Leaky(SECRET)]) from None
    except ExceptionGroup as exc:
        text = traced(exc)
    assert SECRET not in text and "KeyError" not in text  # `from None` hides the context
    assert "ExceptionGroup" in text and "ValueError" in text and "Leaky" in text
    try:
        try:
            _inner()
        except KeyError:
            raise RuntimeError(SECRET)  # noqa: B904 (the context is what is tested)
    except RuntimeError as exc:
        text = traced(exc)
    assert SECRET not in text and "another occurred" in text
    assert text.index("KeyError") < text.index("RuntimeError")


async def test_an_unexpected_error_logs_its_type_not_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The middleware logs one ERROR record with the type and frames but not the message of the
    raised exception (nor of its cause), and the 500 names the record's error id."""

    async def handler(request: web.Request) -> web.StreamResponse:
        _outer()
        return web.Response()

    with caplog.at_level(logging.DEBUG):
        response = await error_middleware(make_mocked_request("GET", "/boom"), handler)
    assert response.status == 500
    assert isinstance(response, web.Response) and isinstance(response.body, bytes)
    found = re.search(rb"error id ([0-9a-f]{12})", response.body)
    assert found is not None
    [record] = [r for r in caplog.records if r.name == "bridge.web"]
    assert record.levelno == logging.ERROR and record.exc_info is None
    message = record.getMessage()
    assert message.startswith(f"unhandled error on GET /boom (error id {found[1].decode()})")
    assert f"{__name__}.Leaky" in message and "KeyError" in message and "in _inner" in message
    assert all(SECRET not in f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
