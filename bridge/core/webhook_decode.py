"""The webhook's fast lane: raw bytes straight to a :class:`~bridge.core.alerts.Delivery`.

Contract: :func:`decode_webhook` returns exactly what ``parse_webhook(json.loads(raw), …)``
returns for a body that passes, or ``None`` for any body it does not take whole (bad JSON, a
wrong type, a limit exceeded, a bad timestamp, …); the caller then runs the full path, which
finds and names the bad field as it always has. It never raises. So answers (the 400/413 and
the field they name) are the full path's by construction, and only valid bodies take this lane.

Why msgspec: it decodes the JSON and checks every type and length (``server.limits``) in one
compiled pass, without building the intermediate dicts and lists that a generic decoder makes
and hand-written Python then walks; the per-alert Python left is the timestamps and the episode.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

import msgspec

from bridge.core.alerts import (
    ZERO_TIME_PREFIX,
    AlertEpisode,
    Delivery,
    WebhookLimits,
    merge_episode,
    parse_time,
    plausible,
)
from bridge.errors import BadInput

_ZERO = ZERO_TIME_PREFIX + "T00:00:00Z"
_decoders: dict[WebhookLimits, msgspec.json.Decoder[Any]] = {}


def _decoder(limits: WebhookLimits) -> msgspec.json.Decoder[Any]:
    """A decoder whose types carry ``limits`` (built once per limits; a handful at most)."""
    decoder = _decoders.get(limits)
    if decoder is not None:
        return decoder

    def text(longest: int, shortest: int = 0) -> Any:
        return Annotated[str, msgspec.Meta(min_length=shortest, max_length=longest)]

    def str_map(value_length: int) -> Any:
        entries = dict[text(limits.label_name_length), text(value_length)]  # type: ignore[misc,valid-type]
        return Annotated[entries, msgspec.Meta(max_length=limits.labels_per_alert)] | None

    long_text = text(limits.annotation_value_length)
    alert = msgspec.defstruct(
        "Alert",
        [
            ("status", Literal["firing", "resolved"]),
            ("fingerprint", text(limits.fingerprint_length, 1)),
            ("startsAt", str),
            ("labels", str_map(limits.label_value_length), None),
            ("annotations", str_map(limits.annotation_value_length), None),
            ("endsAt", str, _ZERO),
            ("generatorURL", long_text | None, ""),
        ],
        kw_only=True,
    )
    body = msgspec.defstruct(
        "Webhook",
        [
            ("version", Literal["4"]),
            ("alerts", Annotated[list[alert], msgspec.Meta(max_length=limits.alerts_per_webhook)]),  # type: ignore[valid-type]
            # at most what SQLite and Redis store as an integer
            ("truncatedAlerts", Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)], 0),
            ("status", Literal["firing", "resolved", ""], ""),
            ("groupKey", long_text | None, ""),
            ("receiver", str | None, ""),
            ("groupLabels", str_map(limits.label_value_length), None),
            ("externalURL", str | None, ""),
        ],
        kw_only=True,
    )
    decoder = _decoders[limits] = msgspec.json.Decoder(body)
    return decoder


def decode_webhook(raw: bytes, received_at: datetime, limits: WebhookLimits) -> Delivery | None:
    """See the module contract."""
    try:
        body = _decoder(limits).decode(raw)
        group_key = body.groupKey or ""
        episodes: dict[tuple[str, datetime], AlertEpisode] = {}
        for alert in body.alerts:
            ep = _episode(alert, received_at, group_key, limits)
            key = (ep.fingerprint, ep.starts_at)
            prior = episodes.get(key)
            episodes[key] = ep if prior is None else merge_episode(prior, ep)
    except (msgspec.DecodeError, BadInput):  # ValidationError is a DecodeError
        return None
    return Delivery(
        receiver=body.receiver or "",
        status=body.status,
        group_key=group_key,
        truncated_alerts=body.truncatedAlerts,
        group_labels=body.groupLabels or {},
        episodes=list(episodes.values()),
        external_url=body.externalURL or "",
    )


@lru_cache(maxsize=1 << 14)  # a few MB at most
def _time(text: str) -> datetime | None:
    """:func:`parse_time` remembered: a re-sent group repeats its alerts' timestamps (a bad one
    raises, which is not remembered)."""
    return parse_time(text, "")


def _episode(
    alert: Any, received_at: datetime, group_key: str, limits: WebhookLimits
) -> AlertEpisode:
    """What ``_parse_alert`` checks beyond types and lengths (BadInput: the full path names it)."""
    starts_at = _time(alert.startsAt)
    if starts_at is None:
        raise BadInput("", "zero time")
    plausible(starts_at, "", received_at, limits)
    ends_at = None
    if alert.status != "firing":
        ends_at = _time(alert.endsAt)
        if ends_at is None:
            ends_at = received_at
        elif ends_at < starts_at:
            raise BadInput("", "before startsAt")
        else:
            plausible(ends_at, "", received_at, limits)
    elif not alert.endsAt.startswith(ZERO_TIME_PREFIX):
        _time(alert.endsAt)  # a firing alert's endsAt is dropped, but must be valid
    return AlertEpisode(
        fingerprint=alert.fingerprint,
        starts_at=starts_at,
        status=alert.status,
        ends_at=ends_at,
        labels=alert.labels or {},
        annotations=alert.annotations or {},
        first_seen=received_at,
        last_seen=received_at,
        generator_url=alert.generatorURL or "",
        group_key=group_key,
    )
