"""The times people and clients give (bridge/core/instants.py, and the API's ``instant_field``):
in UTC, in the plausible window, else a BadInput naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bridge.core import instants
from bridge.errors import BadInput
from bridge.web.access import instant_field

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2000-01-01T00:00:00Z",  # the earliest taken
        "2000-01-01T01:00:00+01:00",  # the same instant
        "2026-11-23T11:00:00+01:00",
        "2036-11-23T10:00:00Z",  # ten years (3653 days) on
    ],
)
def test_a_plausible_time_is_taken_in_utc(text: str) -> None:
    at = instants.given(datetime.fromisoformat(text), "deadline", NOW)
    assert at == datetime.fromisoformat(text) and at.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0001-01-01T00:30:00+01:00", "outside the years 1 to 9999"),
        ("9999-12-31T23:30:00-01:00", "outside the years 1 to 9999"),
        ("0001-01-02T00:00:00Z", "before 2000-01-01T00:00:00Z"),
        ("1999-12-31T23:59:59.999999Z", "before 2000-01-01T00:00:00Z"),
        ("2036-11-23T10:00:00.000001Z", "more than ten years from now"),
        ("9999-12-31T23:59:59Z", "more than ten years from now"),
    ],
)
def test_an_implausible_time_is_refused_naming_the_field(text: str, why: str) -> None:
    with pytest.raises(BadInput, match=why) as info:
        instants.given(datetime.fromisoformat(text), "received_at", NOW)
    assert info.value.field == "received_at"


def test_a_time_without_its_offset_is_refused() -> None:
    with pytest.raises(BadInput, match="offset") as info:
        instants.in_utc(NOW.replace(tzinfo=None), "cursor")
    assert info.value.field == "cursor"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"deadline": "0001-01-01T00:30:00+01:00"}, "outside the years 1 to 9999"),
        ({"deadline": "9999-12-31T23:30:00-01:00"}, "outside the years 1 to 9999"),
        ({"deadline": "1970-01-01T00:00:00Z"}, "before 2000"),
        ({"deadline": "2040-01-01T00:00:00+02:00"}, "ten years"),
        ({"deadline": "2026-11-23T10:00:00"}, "offset"),
        ({"deadline": "soon"}, "ISO 8601"),
        ({"deadline": 20261123}, "ISO 8601"),
    ],
)
def test_the_apis_time_fields_name_the_field(body: dict[str, Any], why: str) -> None:
    """``instant_field`` reads every time an API body gives (deadline, received_at, aware_at,
    submitted_at): the same window, a 400 naming the field."""
    with pytest.raises(BadInput, match=why) as info:
        instant_field(body, "deadline", NOW)
    assert info.value.field == "deadline"


def test_the_apis_time_fields_are_utc_or_absent() -> None:
    at = instant_field({"at": "2026-11-30T12:00:00+01:00"}, "at", NOW)
    assert at == NOW + timedelta(days=7, hours=1) and at is not None and at.tzinfo is UTC
    assert instant_field({}, "at", NOW) is None and instant_field({"at": None}, "at", NOW) is None
