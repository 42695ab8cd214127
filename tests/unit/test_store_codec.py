"""The stored text of a time (bridge.store.codec.ts): fixed width, the instant's UTC
``isoformat`` without "+00:00", read back to the same instant; and of an episode in Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from bridge.core.alerts import AlertEpisode
from bridge.store.codec import dumps, parse_ts, ts
from bridge.store.record_codec import decode, encode
from bridge.store.records import IncidentRecord, UserRecord
from bridge.store.redis.alerts import episode, episode_value
from bridge.store.sqlite.guards import to_row
from bridge.store.sqlite.incidents import COLUMNS

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


def _as_text(value: object) -> object:
    """A field's JSON value as records are stored: instants as ``ts`` text, arrays element by
    element (the plain form the record codec once built in Python), objects as they are."""
    if isinstance(value, datetime):
        return ts(value)
    if isinstance(value, list | tuple):
        return [_as_text(v) for v in value]
    return value


@given(
    st.lists(st.tuples(st.text(max_size=12), _instants, _offsets), max_size=20),
    _instants,
    st.dictionaries(_text, _text | st.integers(-(2**53), 2**53), max_size=4),
)
def test_an_incident_record_is_stored_as_its_fields_json_with_instants_as_ts_text(
    episodes: list[tuple[str, datetime, timezone]],
    started: datetime,
    document: dict[str, object],
) -> None:
    """The stored text of a record (written with its arrays in one pass in C, instants through
    ``ts``) is the compact sorted JSON of its fields as text: the same bytes as the form built
    value by value, whatever the instants' offsets; a tuple field is an array; it reads back
    to the record."""
    record = IncidentRecord(
        id="INC-1",
        key="topo:site-a",
        started_at=started,
        state="open",
        episodes=[(fp, at.astimezone(tz)) for fp, at, tz in episodes],
        merged_into=None,
        document=document,
        settled_at=None,
    )
    fields = {
        "id": "INC-1",
        "key": "topo:site-a",
        "started_at": ts(started),
        "state": "open",
        "episodes": _as_text(record.episodes),
        "merged_into": None,
        "document": document,
        "settled_at": None,
    }
    assert encode(record) == dumps(fields)
    assert to_row(record, COLUMNS, ("episodes", "document")) == tuple(
        dumps(fields[c]) if c in ("episodes", "document") else fields[c] for c in COLUMNS
    )
    back = decode(encode(record), IncidentRecord)
    assert [(fp, at) for fp, at in back.episodes] == [(fp, at) for fp, at, _ in episodes]
    user = UserRecord("ana", "Ana", "hash", ("noc", "privacy"), started, started)
    assert '"grants":["noc","privacy"]' in encode(user)  # a tuple field: an array
