"""The stored text of a time (bridge.store.codec.ts): fixed width, the instant's UTC
``isoformat`` without "+00:00", read back to the same instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from bridge.store.codec import parse_ts, ts

_offsets = st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))
_instants = st.datetimes(  # hypothesis takes naive bounds
    min_value=datetime(1, 1, 2),  # noqa: DTZ001
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(_instants, _offsets)
def test_ts_is_the_utc_isoformat_with_a_z_whatever_the_offset(
    instant: datetime, tz: timezone
) -> None:
    shown = instant.astimezone(tz)
    text = ts.__wrapped__(shown)  # not the remembered one
    assert text == instant.isoformat(timespec="microseconds").replace("+00:00", "Z")
    assert len(text) == 27
    assert parse_ts(text) == instant
    assert ts(shown) == text
