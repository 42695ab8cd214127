"""Durations as written in configuration and rule sets: ``90s``, ``15m``, ``1h30m``, ``14d``,
``100ms``. One parser for bridge.yaml and rule-set data alike."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")

#: The longest duration anything may be configured to: 100 years (36525d). No interval,
#: threshold, deadline or retention period means anything beyond it, and the instants computed
#: from a duration (``now + d``, a retention cut-off ``now - d``) must stay inside the calendar
#: ``datetime`` can hold (years 1 to 9999): ``9999999d`` passed the parser once and then failed
#: ``bridge prune`` with "date value out of range". 100 years keeps every such sum far inside.
MAX_DURATION = timedelta(days=36525)


def parse_duration(value: object) -> timedelta:
    """A duration string (or a non-negative timedelta) of at most :data:`MAX_DURATION` →
    timedelta; anything else: ValueError (never OverflowError: ``1000000000d`` is too long, not
    a crash)."""
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise ValueError(f"expected a non-negative duration, got {value!r}")
        return _bounded(value, value)
    # Every part of the pattern is optional, so an empty or blank string would match as 0s.
    match = _DURATION.match(value.strip()) if isinstance(value, str) and value.strip() else None
    if match is None:
        raise ValueError(f"expected a duration like '30s', '15m' or '1h30m', got {value!r}")
    d, h, m, s, ms = (int(x) if x else 0 for x in match.groups())
    try:
        parsed = timedelta(days=d, hours=h, minutes=m, seconds=s, milliseconds=ms)
    except OverflowError:  # more days than a timedelta holds (about 2.7 million years)
        raise ValueError(_too_long(value)) from None
    return _bounded(parsed, value)


def _too_long(value: object) -> str:
    return f"expected a duration of at most {MAX_DURATION.days}d (100 years), got {value!r}"


def _bounded(parsed: timedelta, value: object) -> timedelta:
    if parsed > MAX_DURATION:
        raise ValueError(_too_long(value))
    return parsed


def format_duration(value: timedelta) -> str:
    """The inverse of :func:`parse_duration`: ``timedelta(hours=1, minutes=30)`` → '1h30m'."""
    total_ms = round(value.total_seconds() * 1000)
    d, rest = divmod(total_ms, 86_400_000)
    h, rest = divmod(rest, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    pairs = ((d, "d"), (h, "h"), (m, "m"), (s, "s"), (ms, "ms"))
    return "".join(f"{n}{unit}" for n, unit in pairs if n) or "0s"
