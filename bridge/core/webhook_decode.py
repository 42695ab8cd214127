"""The webhook's fast lane: raw bytes straight to a :class:`~bridge.core.alerts.Delivery`.

Contract: :func:`decode_webhook` returns exactly what ``parse_webhook(json.loads(raw), …)``
returns for a body that passes, or ``None`` for any body it does not take whole (bad JSON, a
wrong type, a limit exceeded, a bad timestamp, …); the caller then runs the full path, which
finds and names the bad field as it always has. It never raises. So answers (the 400/413 and
the field they name) are the full path's by construction, and only valid bodies take this lane.

Why msgspec: it decodes the JSON and checks every type and length (``server.limits``) in one
compiled pass, without building the intermediate dicts and lists that a generic decoder makes
and hand-written Python then walks; the per-alert Python left is the timestamps and the episode.
msgspec does not decode the timestamps itself: it rounds a fraction beyond microseconds where
:func:`~bridge.core.alerts.parse_time` truncates it (Alertmanager sends nanoseconds). Instead a
timestamp of the usual shape (``2026-11-23T10:59:00.123456789Z``: ASCII digits, a ``T``, at
most nine fraction digits, ``Z``) is read by ``datetime.fromisoformat``, which truncates as
``parse_time`` does, in a fifth of its time; any other shape goes through ``parse_time``.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

import msgspec

from bridge.core.alerts import (
    TRUNCATED_ALERTS_MAX,
    ZERO_TIME_PREFIX,
    AlertEpisode,
    Delivery,
    WebhookLimits,
    merge_episode,
    parse_time,
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
        gc=False,  # holds strings and dicts of strings only: never in a cycle
    )
    body = msgspec.defstruct(
        "Webhook",
        [
            ("version", Literal["4"]),
            ("alerts", Annotated[list[alert], msgspec.Meta(max_length=limits.alerts_per_webhook)]),  # type: ignore[valid-type]
            # at most what SQLite and Redis store as an integer (as the full path)
            ("truncatedAlerts", Annotated[int, msgspec.Meta(ge=0, le=TRUNCATED_ALERTS_MAX)], 0),
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
        lo, hi = limits.plausible_between(received_at)
        for alert in body.alerts:
            ep = _episode(alert, lo, hi, received_at, group_key)
            prior = episodes.setdefault((ep.fingerprint, ep.starts_at), ep)
            if prior is not ep:
                episodes[(ep.fingerprint, ep.starts_at)] = merge_episode(prior, ep)
    # ValidationError is a DecodeError; RecursionError: nesting deeper than the recursion
    # limit allows msgspec (in any field, even one it skips): orjson refuses it as bad JSON
    except (msgspec.DecodeError, BadInput, RecursionError):
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


#: the usual shape of a timestamp, which ``datetime.fromisoformat`` reads as ``parse_time``
#: does (it takes many more shapes, and ``parse_time`` some others: those go the long way)
_USUAL = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-\d\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?Z", re.ASCII
)
_from_iso = datetime.fromisoformat


@lru_cache(maxsize=1 << 14)  # a few MB at most
def _time(text: str) -> datetime | None:
    """:func:`parse_time` (a bad timestamp raises BadInput, which is not remembered), for the
    usual shape through ``fromisoformat``; remembered: a group re-sent with changes repeats
    its alerts' timestamps, and alerts of one rule evaluation share ``startsAt``."""
    if _USUAL.fullmatch(text) is None or text.startswith(ZERO_TIME_PREFIX):
        return parse_time(text, "")
    try:
        return _from_iso(text)  # "Z": aware, in UTC itself (the same object as UTC)
    except ValueError:  # a day the month lacks: parse_time says so
        return parse_time(text, "")


def _episode(
    alert: Any, lo: datetime, hi: datetime, received_at: datetime, group_key: str
) -> AlertEpisode:
    """What ``_parse_alert`` checks beyond types and lengths (BadInput: the full path names
    it); ``lo`` and ``hi`` bound the plausible timestamps."""
    starts_at = _time(alert.startsAt)
    if starts_at is None:
        raise BadInput("", "zero time")
    if not lo <= starts_at <= hi:
        raise BadInput("", "implausible")
    ends_at = None
    status = alert.status
    if status != "firing":
        ends_at = _time(alert.endsAt)
        if ends_at is None:
            ends_at = received_at
        elif ends_at < starts_at:
            raise BadInput("", "before startsAt")
        elif not lo <= ends_at <= hi:
            raise BadInput("", "implausible")
    elif not alert.endsAt.startswith(ZERO_TIME_PREFIX):
        _time(alert.endsAt)  # a firing alert's endsAt is dropped, but must be valid
    return AlertEpisode(
        alert.fingerprint,
        starts_at,
        status,
        ends_at,
        alert.labels or {},
        alert.annotations or {},
        received_at,
        received_at,
        alert.generatorURL or "",
        group_key,
    )
