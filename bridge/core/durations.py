"""Durations as written in configuration and rule sets: ``90s``, ``15m``, ``1h30m``, ``14d``,
``100ms``. One parser for bridge.yaml and rule-set data alike."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")


def parse_duration(value: object) -> timedelta:
    """A duration string (or a non-negative timedelta) → timedelta; anything else: ValueError."""
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise ValueError(f"expected a non-negative duration, got {value!r}")
        return value
    # Every part of the pattern is optional, so an empty or blank string would match as 0s.
    match = _DURATION.match(value.strip()) if isinstance(value, str) and value.strip() else None
    if match is None:
        raise ValueError(f"expected a duration like '30s', '15m' or '1h30m', got {value!r}")
    d, h, m, s, ms = (int(x) if x else 0 for x in match.groups())
    return timedelta(days=d, hours=h, minutes=m, seconds=s, milliseconds=ms)


def format_duration(value: timedelta) -> str:
    """The inverse of :func:`parse_duration`: ``timedelta(hours=1, minutes=30)`` → '1h30m'."""
    total_ms = round(value.total_seconds() * 1000)
    d, rest = divmod(total_ms, 86_400_000)
    h, rest = divmod(rest, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    pairs = ((d, "d"), (h, "h"), (m, "m"), (s, "s"), (ms, "ms"))
    return "".join(f"{n}{unit}" for n, unit in pairs if n) or "0s"
