"""Webhook v4 parsing and the episode merge (bridge.core.alerts)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from functools import reduce
from typing import Any

import pytest
from builders import alert, webhook
from corekit import T0, at, episode
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from bridge.core.alerts import (
    TRUNCATED_ALERTS_MAX,
    AlertEpisode,
    format_time,
    merge_episode,
    parse_time,
    parse_webhook,
)
from bridge.errors import BadInput

RECEIVED = at(90)


def _bad(body: object) -> BadInput:
    with pytest.raises(BadInput) as info:
        parse_webhook(body, RECEIVED)
    return info.value


def _two_alerts() -> dict[str, Any]:
    return webhook(
        alert("fp-1", at(0), element="olt-a1"),
        alert("fp-2", at(5), status="resolved", ends_at=at(20), element="olt-a2"),
        group_key='{}:{alertname="Down"}',
        truncated=3,
    )


# ---- parse_webhook: happy path ------------------------------------------------------------


def test_parse_webhook_happy_path_keeps_every_alert_with_its_own_status() -> None:
    """A valid v4 body becomes a Delivery whose episodes carry each alert's own status and times."""
    delivery = parse_webhook(_two_alerts(), RECEIVED)
    assert delivery.receiver == "bridge"
    assert delivery.group_key == '{}:{alertname="Down"}'
    assert delivery.truncated_alerts == 3
    assert delivery.external_url == "http://alertmanager.example"
    by_fp = {ep.fingerprint: ep for ep in delivery.episodes}
    assert set(by_fp) == {"fp-1", "fp-2"}
    firing, resolved = by_fp["fp-1"], by_fp["fp-2"]
    assert (firing.status, firing.starts_at, firing.ends_at) == ("firing", at(0), None)
    assert (resolved.status, resolved.starts_at, resolved.ends_at) == ("resolved", at(5), at(20))
    assert firing.labels == {"alertname": "Down", "element": "olt-a1"}
    assert firing.first_seen == firing.last_seen == RECEIVED
    assert firing.group_key == delivery.group_key
    assert firing.key == ("fp-1", at(0))
    assert firing.generator_url == "http://prometheus.example/graph"


def test_parse_webhook_accepts_unknown_fields_at_top_level_and_in_alerts() -> None:
    """Fields this receiver does not know are ignored, not rejected."""
    body = _two_alerts()
    body["somethingNew"] = {"nested": [1, 2]}
    body["alerts"][0]["alsoNew"] = 42
    delivery = parse_webhook(body, RECEIVED)
    assert len(delivery.episodes) == 2


def test_parse_webhook_accepts_an_empty_alert_list() -> None:
    """An empty group is valid and yields no episodes."""
    assert parse_webhook(webhook(), RECEIVED).episodes == []


def test_parse_webhook_merges_two_copies_of_one_episode_in_one_body() -> None:
    """The same (fingerprint, startsAt) twice in one body is one episode; the resolve wins."""
    body = webhook(
        alert("fp-1", at(0), status="resolved", ends_at=at(10)),
        alert("fp-1", at(0)),
    )
    delivery = parse_webhook(body, RECEIVED)
    assert len(delivery.episodes) == 1
    assert delivery.episodes[0].status == "resolved"
    assert delivery.episodes[0].ends_at == at(10)


def test_parse_webhook_keeps_two_episodes_of_one_fingerprint_apart() -> None:
    """A re-fire (same fingerprint, new startsAt) is a separate episode."""
    body = webhook(
        alert("fp-1", at(0), status="resolved", ends_at=at(10)),
        alert("fp-1", at(30)),
    )
    keys = sorted(ep.key for ep in parse_webhook(body, RECEIVED).episodes)
    assert keys == [("fp-1", at(0)), ("fp-1", at(30))]


# ---- parse_webhook: errors name the field ---------------------------------------------------


@pytest.mark.parametrize("version", ["3", 4, None, "v4", ""])
def test_parse_webhook_rejects_other_versions_naming_version(version: object) -> None:
    """Only version "4" is understood; anything else is BadInput on field ``version``."""
    body = _two_alerts()
    body["version"] = version
    assert _bad(body).field == "version"


def test_parse_webhook_rejects_a_missing_version() -> None:
    """A body without ``version`` is BadInput on field ``version``."""
    body = _two_alerts()
    del body["version"]
    assert _bad(body).field == "version"


@pytest.mark.parametrize("body", [[], "x", None, 4])
def test_parse_webhook_rejects_a_non_object_body(body: object) -> None:
    """A JSON value that is not an object is BadInput on ``(body)``."""
    assert _bad(body).field == "(body)"


def test_parse_webhook_rejects_alerts_that_are_not_a_list() -> None:
    """``alerts`` must be a list."""
    body = _two_alerts()
    body["alerts"] = {"0": {}}
    assert _bad(body).field == "alerts"


def test_parse_webhook_rejects_an_alert_that_is_not_an_object() -> None:
    """A non-object alert is BadInput naming its index."""
    body = _two_alerts()
    body["alerts"].append("oops")
    assert _bad(body).field == "alerts[2]"


@pytest.mark.parametrize("status", ["active", "", None, "FIRING", 1])
def test_parse_webhook_rejects_a_bad_alert_status_naming_it(status: object) -> None:
    """An alert status other than firing/resolved is BadInput on ``alerts[i].status``."""
    body = _two_alerts()
    body["alerts"][1]["status"] = status
    err = _bad(body)
    assert err.field == "alerts[1].status"
    assert "alerts[1].status" in str(err)


def test_parse_webhook_rejects_a_bad_group_status() -> None:
    """The group's own status must be firing/resolved when present."""
    body = _two_alerts()
    body["status"] = "broken"
    assert _bad(body).field == "status"


@pytest.mark.parametrize("fingerprint", [None, "", 123], ids=["missing", "empty", "number"])
def test_parse_webhook_rejects_a_missing_fingerprint_naming_it(fingerprint: object) -> None:
    """An alert without a non-empty string fingerprint is BadInput on ``alerts[i].fingerprint``."""
    body = _two_alerts()
    if fingerprint is None:
        del body["alerts"][1]["fingerprint"]
    else:
        body["alerts"][1]["fingerprint"] = fingerprint
    assert _bad(body).field == "alerts[1].fingerprint"


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2026-11-23T10:00:00",  # no offset
        "2026-13-01T10:00:00Z",  # month 13
        "2026-02-30T10:00:00Z",  # no such day
        "2026-11-23T25:00:00Z",
        "2026-11-23T10:00:00+0200",  # offset without colon
        "2026-11-23T10:00:00+24:00",  # offset out of range
        "2026-11-23T10:00:00-23:99",  # offset minutes out of range
        "",
        1700000000,
        None,
    ],
)
def test_parse_webhook_rejects_a_bad_starts_at_naming_the_field(value: object) -> None:
    """A malformed startsAt is BadInput on ``alerts[i].startsAt``, never another exception."""
    body = _two_alerts()
    body["alerts"][1]["startsAt"] = value
    assert _bad(body).field == "alerts[1].startsAt"


def test_parse_webhook_rejects_a_missing_starts_at() -> None:
    """An alert without startsAt is BadInput on ``alerts[i].startsAt``."""
    body = _two_alerts()
    del body["alerts"][0]["startsAt"]
    assert _bad(body).field == "alerts[0].startsAt"


def test_parse_webhook_rejects_zero_time_as_starts_at() -> None:
    """Alertmanager's zero time is not a start."""
    body = _two_alerts()
    body["alerts"][0]["startsAt"] = "0001-01-01T00:00:00Z"
    assert _bad(body).field == "alerts[0].startsAt"


def test_parse_webhook_rejects_a_bad_ends_at_naming_the_field() -> None:
    """A malformed endsAt is BadInput on ``alerts[i].endsAt``."""
    body = _two_alerts()
    body["alerts"][1]["endsAt"] = "soon"
    assert _bad(body).field == "alerts[1].endsAt"


def test_parse_webhook_rejects_a_resolve_ending_before_it_started() -> None:
    """A resolved alert whose endsAt precedes startsAt is BadInput on endsAt."""
    body = webhook(alert("fp-1", at(10), status="resolved", ends_at=at(5)))
    assert _bad(body).field == "alerts[0].endsAt"


@pytest.mark.parametrize("value", [-1, "3", 1.5, True, None, 2**63, 2**64 - 1, 2**64])
def test_parse_webhook_rejects_a_bad_truncated_alerts(value: object) -> None:
    """truncatedAlerts must be an integer from 0 to 2**63 - 1 (not a bool, string or float;
    beyond, SQLite could not store it: a 500 Alertmanager retried forever)."""
    body = _two_alerts()
    body["truncatedAlerts"] = value
    assert _bad(body).field == "truncatedAlerts"


def test_parse_webhook_takes_truncated_alerts_up_to_the_stores_largest_integer() -> None:
    body = _two_alerts()
    body["truncatedAlerts"] = TRUNCATED_ALERTS_MAX
    assert TRUNCATED_ALERTS_MAX == 2**63 - 1
    assert parse_webhook(body, RECEIVED).truncated_alerts == TRUNCATED_ALERTS_MAX


def test_parse_webhook_defaults_missing_truncated_alerts_to_zero() -> None:
    """A body without truncatedAlerts means nothing was dropped."""
    body = _two_alerts()
    del body["truncatedAlerts"]
    assert parse_webhook(body, RECEIVED).truncated_alerts == 0


def test_parse_webhook_rejects_a_non_string_label_naming_it() -> None:
    """Label values must be strings; the error names the label."""
    body = _two_alerts()
    body["alerts"][0]["labels"]["count"] = 3
    assert _bad(body).field == "alerts[0].labels.count"


def test_parse_webhook_rejects_non_object_annotations() -> None:
    """Annotations must be an object of strings."""
    body = _two_alerts()
    body["alerts"][1]["annotations"] = ["a"]
    assert _bad(body).field == "alerts[1].annotations"


def test_parse_webhook_rejects_a_non_string_receiver() -> None:
    """A receiver that is not a string is BadInput on ``receiver``."""
    body = _two_alerts()
    body["receiver"] = ["bridge"]
    assert _bad(body).field == "receiver"


# ---- timestamps ---------------------------------------------------------------------------


def test_parse_webhook_reads_nanosecond_timestamps_to_the_microsecond() -> None:
    """Nanosecond fractions are truncated to microseconds at the right UTC instant."""
    body = webhook(alert("fp-1", T0))
    body["alerts"][0]["startsAt"] = "2026-11-23T10:00:00.123456789Z"
    (ep,) = parse_webhook(body, RECEIVED).episodes
    assert ep.starts_at == datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)
    assert ep.starts_at.utcoffset() == timedelta(0)


def test_parse_webhook_converts_non_utc_offsets_to_utc() -> None:
    """ "+02:00" and "-05:30" offsets parse to the same instant expressed in UTC."""
    body = webhook(alert("fp-1", T0), alert("fp-2", T0))
    body["alerts"][0]["startsAt"] = "2026-11-23T12:00:00+02:00"
    body["alerts"][1]["startsAt"] = "2026-11-23T04:30:00.5-05:30"
    by_fp = {ep.fingerprint: ep for ep in parse_webhook(body, RECEIVED).episodes}
    assert by_fp["fp-1"].starts_at == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert by_fp["fp-1"].starts_at.tzinfo == UTC
    assert by_fp["fp-2"].starts_at == datetime(2026, 11, 23, 10, 0, 0, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23T10:00:00Z", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
        ("2026-11-23t10:00:00z", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
        ("2026-11-23 10:00:00+00:00", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
        ("2026-11-23T10:00:00.1Z", datetime(2026, 11, 23, 10, 0, 0, 100000, tzinfo=UTC)),
        ("2026-11-24T00:30:00+01:00", datetime(2026, 11, 23, 23, 30, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", None),
    ],
)
def test_parse_time_reads_rfc3339_variants(text: str, expected: datetime | None) -> None:
    """parse_time accepts RFC 3339 fraction lengths, separators and offsets; zero time is None."""
    assert parse_time(text, "x") == expected


def test_format_time_writes_utc_with_z_and_round_trips() -> None:
    """format_time gives UTC with a Z that parse_time reads back to the same instant."""
    local = datetime(2026, 11, 23, 12, 0, 0, 250000, tzinfo=timezone(timedelta(hours=2)))
    text = format_time(local)
    assert text == "2026-11-23T10:00:00.250000Z"
    assert parse_time(text, "x") == local
    assert format_time(None) is None


def test_parse_webhook_sets_firing_ends_at_to_none() -> None:
    """A firing alert's endsAt (zero time or Alertmanager's timeout guess) is not an end."""
    zero = webhook(alert("fp-1", T0))
    guess = webhook(alert("fp-1", T0))
    guess["alerts"][0]["endsAt"] = "2026-11-23T10:05:00Z"
    assert parse_webhook(zero, RECEIVED).episodes[0].ends_at is None
    assert parse_webhook(guess, RECEIVED).episodes[0].ends_at is None


def test_parse_webhook_gives_a_resolve_without_end_the_receive_time() -> None:
    """A resolved alert carrying zero time as endsAt ended by the time it was heard."""
    body = webhook(alert("fp-1", T0, status="resolved"))
    (ep,) = parse_webhook(body, RECEIVED).episodes
    assert ep.ends_at == RECEIVED
    assert ep.end_for_impact() == RECEIVED


# ---- merge_episode -------------------------------------------------------------------------


def _structural(ep: AlertEpisode) -> tuple[object, ...]:
    return (ep.key, ep.status, ep.ends_at, ep.first_seen, ep.last_seen)


def test_merge_episode_resolve_beats_firing_in_either_order() -> None:
    """A resolve of an episode wins over a firing observation of it, whichever arrives first."""
    firing = episode("fp", T0, seen=at(50))
    resolved = episode("fp", T0, end=at(30), seen=at(31))
    for merged in (merge_episode(firing, resolved), merge_episode(resolved, firing)):
        assert merged.status == "resolved"
        assert merged.ends_at == at(30)
        assert merged.first_seen == at(31)
        assert merged.last_seen == at(50)


def test_merge_episode_with_nothing_returns_the_new_observation() -> None:
    """Merging into None is the observation itself."""
    ep = episode("fp", T0)
    assert merge_episode(None, ep) is ep


def test_merge_episode_refuses_different_keys() -> None:
    """Two different episodes cannot be merged."""
    with pytest.raises(ValueError, match="different episodes"):
        merge_episode(episode("fp", T0), episode("fp", at(1)))


def test_merge_episode_annotations_follow_the_latest_observation() -> None:
    """Display-only annotations come from the observation heard last, in either order."""
    old = episode("fp", T0, seen=at(1), annotations={"summary": "old"})
    new = episode("fp", T0, seen=at(2), annotations={"summary": "new"})
    assert merge_episode(old, new).annotations == {"summary": "new"}
    assert merge_episode(new, old).annotations == {"summary": "new"}


def test_merge_episode_between_two_resolves_keeps_the_latest_end() -> None:
    """Of two resolves with different ends, the later end wins in either order."""
    a = episode("fp", T0, end=at(10), seen=at(12))
    b = episode("fp", T0, end=at(20), seen=at(11))
    assert merge_episode(a, b).ends_at == at(20)
    assert merge_episode(b, a).ends_at == at(20)


_observations = st.lists(
    st.tuples(
        st.booleans(),  # resolved?
        st.integers(min_value=0, max_value=5),  # end minute offset
        st.integers(min_value=0, max_value=5),  # seen minute offset
    ),
    min_size=1,
    max_size=5,
)


def _observation(resolved: bool, end: int, seen: int) -> AlertEpisode:
    ep = episode("fp", T0, end=at(10 + end) if resolved else None, seen=at(20 + seen))
    return replace(ep, first_seen=at(20 + seen - (end % 2)))


@settings(max_examples=150, deadline=None, database=None)
@given(_observations)
def test_merge_episode_is_a_join_on_structural_state(raw: list[tuple[bool, int, int]]) -> None:
    """Every order and grouping of the same observations, with repeats, merges to one state."""
    obs = [_observation(*r) for r in raw]
    outcomes = {_structural(reduce(merge_episode, perm)) for perm in itertools.permutations(obs)}
    assert len(outcomes) == 1  # commutative and associative (fold over every order)
    folded = reduce(merge_episode, obs)
    assert _structural(merge_episode(folded, folded)) == _structural(folded)  # idempotent
    for ep in obs:
        assert _structural(merge_episode(folded, ep)) == _structural(folded)  # absorbs repeats
    if len(obs) >= 3:
        a, b, c = obs[:3]
        left = merge_episode(merge_episode(a, b), c)
        right = merge_episode(a, merge_episode(b, c))
        assert _structural(left) == _structural(right)
    if any(ep.status == "resolved" for ep in obs):
        assert folded.status == "resolved"
