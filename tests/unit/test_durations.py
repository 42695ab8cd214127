"""Durations as written in bridge.yaml and rule sets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bridge.core.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    "text", ["0s", "90s", "15m", "1h30m", "2d", "1d2h3m4s", "100ms", "1s500ms", "14d"]
)
def test_format_is_the_inverse_of_parse(text: str) -> None:
    """Every accepted duration formats back to a string that parses to the same value."""
    value = parse_duration(text)
    assert parse_duration(format_duration(value)) == value


def test_milliseconds_are_kept_when_formatting() -> None:
    """A sub-second duration (evaluation.coalesce) is not rounded away to 0s."""
    assert format_duration(timedelta(milliseconds=100)) == "100ms"


def test_negative_timedelta_is_refused() -> None:
    """A negative timedelta is not a duration."""
    with pytest.raises(ValueError, match="non-negative"):
        parse_duration(timedelta(seconds=-1))
