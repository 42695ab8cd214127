"""The webhook's msgspec lane (bridge.core.webhook_decode) agrees with parse_webhook.

For any body: either the lane gives exactly parse_webhook's Delivery, or it declines (None) and
parse_webhook (which names the bad field) decides. A body parse_webhook rejects never passes.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import orjson
import pytest
from builders import alert, webhook
from corekit import at
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.core.alerts import (
    DEFAULT_LIMITS,
    TRUNCATED_ALERTS_MAX,
    WebhookLimits,
    parse_webhook,
)
from bridge.core.webhook_decode import decode_webhook
from bridge.errors import BadInput

RECEIVED = at(90)
SMALL = WebhookLimits(
    alerts_per_webhook=3,
    labels_per_alert=2,
    label_name_length=5,
    label_value_length=6,
    annotation_value_length=8,
    fingerprint_length=6,
)


def _both(body: Any, limits: WebhookLimits = DEFAULT_LIMITS) -> tuple[object, object]:
    raw = json.dumps(body).encode()
    lane = decode_webhook(raw, RECEIVED, limits)
    try:
        full: object = parse_webhook(json.loads(raw), RECEIVED, limits)
    except BadInput as exc:
        full = exc
    return lane, full


def test_a_valid_body_takes_the_lane_with_the_same_delivery() -> None:
    body = webhook(
        alert("fp-1", at(0), element="olt-a1"),
        alert("fp-2", at(5), status="resolved", ends_at=at(20), element="olt-a2"),
        alert("fp-1", at(0), element="olt-a1"),  # one episode twice: merged
        group_key='{}:{alertname="Down"}',
        truncated=3,
    )
    lane, full = _both(body)
    assert lane is not None
    assert lane == full
    assert repr(lane) == repr(full)


def test_a_bad_body_is_declined_so_the_full_path_names_the_field() -> None:
    body = webhook(alert("fp-1", at(0)))
    body["alerts"][0]["startsAt"] = "yesterday"
    lane, full = _both(body)
    assert lane is None
    assert isinstance(full, BadInput)
    assert full.field == "alerts[0].startsAt"


@pytest.mark.parametrize("truncated", [0, 2**63 - 1, 2**63, 2**64 - 1, 2**64])
def test_both_paths_take_truncated_alerts_up_to_the_same_bound(truncated: int) -> None:
    """The lane takes truncatedAlerts up to 2**63 - 1 (what SQLite and Redis store); the full
    path refuses, naming the field, exactly what the lane declines (it took up to 2**64 - 1,
    which SQLite then refused with a 500)."""
    body = webhook(alert("fp-1", at(0), element="olt-a1"), truncated=truncated)
    lane, full = _both(body)
    assert (lane is None) == (truncated > TRUNCATED_ALERTS_MAX)
    if lane is None:
        assert isinstance(full, BadInput)
        assert full.field == "truncatedAlerts"
    else:
        assert lane == full


def test_bad_json_is_declined() -> None:
    assert decode_webhook(b'{"version": "4", "alerts": [', RECEIVED, DEFAULT_LIMITS) is None


def test_nesting_deeper_than_msgspec_recurses_is_declined_not_raised() -> None:
    """msgspec recurses into every value, even of a field it skips, and raises RecursionError
    some 1000 levels down: the lane declines that (its contract: it never raises), and the
    full path's orjson refuses more than 1024 levels as bad JSON (a 400 naming ``body``)."""
    deep = b"[" * 5000 + b"]" * 5000
    raw = json.dumps(webhook(alert("fp-1", at(0)))).encode()[:-1] + b', "x": ' + deep + b"}"
    assert decode_webhook(raw, RECEIVED, DEFAULT_LIMITS) is None
    with pytest.raises(orjson.JSONDecodeError, match="depth limit exceeded"):
        orjson.loads(raw)


@pytest.mark.parametrize("field", ["version", "truncatedAlerts"])
def test_a_known_field_nested_too_deep_to_show_is_named_by_the_full_path(field: str) -> None:
    """A value orjson still decodes (up to 1024 levels) but too deep for ``repr`` is a
    BadInput naming the field, its type shown instead of the value."""
    body = {**webhook(alert("fp-1", at(0))), field: "DEEP"}
    raw = json.dumps(body).encode().replace(b'"DEEP"', b"[" * 1020 + b"]" * 1020)
    assert decode_webhook(raw, RECEIVED, DEFAULT_LIMITS) is None
    with pytest.raises(BadInput) as caught:
        parse_webhook(orjson.loads(raw), RECEIVED, DEFAULT_LIMITS)
    assert caught.value.field == field
    assert caught.value.problem.endswith("got list")


_text = st.sampled_from(["", "a", "abcdef", "abcdefghi", "ü" * 5, "ü" * 7])
_value: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2**64), st.floats(allow_nan=False), _text
)
_TIMES = [
    "2026-11-23T09:59:00Z",
    "2026-11-23T10:59:00.123456789Z",
    "2026-11-23t11:59:00+02:00",
    "2026-11-22 11:59:00-23:59",
    "2026-11-23T11:59:00+24:00",
    "2026-11-23T11:59:00",
    "0001-01-01T00:00:00Z",
    "1999-01-01T00:00:00Z",
    "2026-11-25T00:00:00Z",
    "2026-02-30T00:00:00Z",
    # shapes the lane reads with fromisoformat, and near misses that go the long way
    "2026-11-23T10:59:00.1Z",
    "2026-11-23T10:59:00.1234567Z",
    "2026-11-23T10:59:00.123456789012Z",
    "2026-11-23T10:59:00.Z",
    "2026-11-23T10:59:00.123z",
    "2026-11-23T24:00:00Z",
    "2026-11-23T23:60:00Z",
    "2026-11-23T23:59:60Z",
    "2026-13-23T10:00:00Z",
    "2026-00-23T10:00:00Z",
    "2026-11-00T10:00:00Z",
    "2026-11-23X10:59:00Z",
    "2026-11-23T10:59Z",
    "20261123T105900Z",
    "2026-11-23T10:59:00.5+00:00",
    "２026-11-23T10:59:00Z",
    "0001-01-01T05:00:00Z",
    "0001-01-01Tgarbage",
]
_times = st.sampled_from(_TIMES)
_usual_times = st.builds(
    lambda instant, digits: (
        instant.strftime("%Y-%m-%dT%H:%M:%S")
        + (("." + f"{instant.microsecond:06d}987"[:digits]) if digits else "")
        + "Z"
    ),
    st.datetimes(
        min_value=RECEIVED.replace(tzinfo=None) - timedelta(days=400),
        max_value=RECEIVED.replace(tzinfo=None) + timedelta(days=2),
    ),
    st.integers(0, 9),
)
_maps = st.one_of(
    st.none(),
    _value,
    st.dictionaries(_text, st.one_of(_text, _value), max_size=3),
)


@st.composite
def _alerts(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "status": st.sampled_from(["firing", "resolved", "Firing", None, 1]),
        "fingerprint": st.one_of(_text, _value),
        "startsAt": st.one_of(_times, _usual_times, _value),
        "endsAt": st.one_of(_times, _usual_times, _value),
        "labels": _maps,
        "annotations": _maps,
        "generatorURL": st.one_of(_text, _value),
        "other": _value,
    }
    return {k: draw(v) for k, v in fields.items() if draw(st.integers(0, 9)) > 0}


@st.composite
def _bodies(draw: st.DrawFn) -> Any:
    fields: dict[str, Any] = {
        "version": st.sampled_from(["4", "3", 4, None]),
        "alerts": st.one_of(st.lists(st.one_of(_alerts(), _value), max_size=4), _value),
        "truncatedAlerts": st.one_of(st.integers(-1, 2**64), _value),
        "status": st.sampled_from(["firing", "resolved", "", "other", None]),
        "groupKey": st.one_of(_text, _value),
        "receiver": st.one_of(_text, _value),
        "groupLabels": _maps,
        "externalURL": st.one_of(_text, _value),
    }
    body = {k: draw(v) for k, v in fields.items() if draw(st.integers(0, 9)) > 0}
    return draw(st.one_of(st.just(body), _value)) if draw(st.integers(0, 20)) == 0 else body


@settings(max_examples=600, deadline=timedelta(seconds=2))
@given(_bodies(), st.sampled_from([DEFAULT_LIMITS, SMALL]))
def test_the_lane_gives_the_full_paths_delivery_or_declines(
    body: Any, limits: WebhookLimits
) -> None:
    lane, full = _both(body, limits)
    if lane is not None:
        assert lane == full
        assert repr(lane) == repr(full)  # the same times, down to their tzinfo


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(st.lists(_alerts(), min_size=1, max_size=3))
def test_the_lane_takes_every_body_the_full_path_takes(alerts: list[dict[str, Any]]) -> None:
    lane, full = _both({"version": "4", "status": "firing", "alerts": alerts})
    assert (lane is None) == isinstance(full, BadInput)
    if lane is not None:
        assert lane == full
        assert repr(lane) == repr(full)


@pytest.mark.parametrize("text", _TIMES)
@pytest.mark.parametrize("field", ["startsAt", "endsAt"])
def test_each_timestamp_shape_gives_the_full_paths_outcome(field: str, text: str) -> None:
    """Every shape, as the start or as a resolved alert's end of an otherwise valid body: the
    lane takes it exactly when the full path does, with the same times."""
    body = webhook(alert("fp-1", at(0), status="resolved", ends_at=at(10)))
    body["alerts"][0][field] = text
    lane, full = _both(body)
    assert (lane is None) == isinstance(full, BadInput)
    if lane is not None:
        assert repr(lane) == repr(full)
