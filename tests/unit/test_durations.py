"""Durations as written in bridge.yaml and rule sets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bridge.core.durations import MAX_DURATION, format_duration, parse_duration


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


@pytest.mark.parametrize("text", ["1000000000d", "9999999999d", "99999999999999999999h", "36526d"])
def test_a_duration_beyond_100_years_is_a_value_error(text: str) -> None:
    """Too long for a timedelta (OverflowError once) or beyond MAX_DURATION: a ValueError."""
    with pytest.raises(ValueError, match=r"at most 36525d \(100 years\)"):
        parse_duration(text)


def test_100_years_is_the_longest_duration() -> None:
    """MAX_DURATION itself parses, as a string and as a timedelta."""
    assert parse_duration("36525d") == MAX_DURATION == parse_duration(MAX_DURATION)
    with pytest.raises(ValueError, match="at most"):
        parse_duration(MAX_DURATION + timedelta(milliseconds=1))
