"""`log_format: json` (bridge/cli/log_format.py): one JSON object per line, lifecycle ids kept."""

from __future__ import annotations

import json
import logging

from bridge.cli.log_format import JsonLines


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
