"""How ``bridge serve`` writes its log: text lines, or JSON lines for log shippers.

Contract:
- :func:`configure` sets the root logger's level and one stderr handler: ``text`` is
  ``TIME LEVEL LOGGER: MESSAGE``; ``json`` is one JSON object per line with ``time`` (UTC,
  RFC 3339), ``level``, ``logger``, ``message`` and, where the record carries them, the
  lifecycle fields (``event``, ``incident``, ``draft``, ``regulator``, ``kind``, ``version``)
  and ``exception`` (the traceback).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
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


def configure(level: str, fmt: str) -> None:
    """See the module contract."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if fmt == "json" else logging.Formatter(TEXT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
