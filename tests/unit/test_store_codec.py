"""The stored text of a time (bridge.store.codec.ts): fixed width, the instant's UTC
``isoformat`` without "+00:00", read back to the same instant; and of an episode in Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from bridge.core.alerts import AlertEpisode
from bridge.store.codec import dumps, parse_ts, ts
from bridge.store.redis.alerts import episode, episode_value

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


_text = st.text(max_size=8)
_episodes = st.builds(
    AlertEpisode,
    fingerprint=st.text(min_size=1, max_size=8),
    starts_at=_instants,
    status=st.sampled_from(["firing", "resolved"]),
    ends_at=st.none() | _instants,
    labels=st.dictionaries(_text, _text, max_size=4),
    annotations=st.dictionaries(_text, _text, max_size=4),
    first_seen=_instants,
    last_seen=_instants,
    generator_url=_text,
    group_key=_text,
)


@given(_episodes)
def test_the_redis_value_holds_the_two_sorted_json_objects(ep: AlertEpisode) -> None:
    """Redis's stored text of an episode (written without building its two objects) is the
    compact sorted JSON of each, and reads back to the episode."""
    value = episode_value(ep)
    _, _, _, _, rest = value.split("|", 4)
    identity, display = rest.split("\n", 1)
    assert identity == dumps(
        {"fingerprint": ep.fingerprint, "starts_at": ts(ep.starts_at), "labels": ep.labels}
    )
    assert display == dumps(
        {
            "annotations": ep.annotations,
            "generator_url": ep.generator_url,
            "group_key": ep.group_key,
        }
    )
    assert episode(value) == ep
