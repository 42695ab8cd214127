"""Alertmanager webhook v4: parsing, validation and the alert-episode merge.

Contract:
- :func:`parse_webhook` turns a decoded JSON body into a :class:`Delivery` or raises
  :class:`~bridge.errors.BadInput` naming the offending field (``alerts[3].startsAt``); never
  anything else, whatever the JSON. Bodies over a :class:`WebhookLimits` raise
  :class:`~bridge.errors.TooLarge` (413) naming the field and the limit; the number of alerts
  is checked before any alert is parsed. Timestamps outside the plausible window around the
  time of receipt are BadInput.
- An *episode* is one firing period of one alert: keyed by ``(fingerprint, starts_at)``.
  Alertmanager keeps ``startsAt`` for as long as an alert stays active and gives a re-fire a new
  one, so an episode key never changes its meaning.
- :func:`merge_episode` is a join: commutative, associative and idempotent on the structural
  state (status, ends_at, last_seen), so duplicate and re-ordered deliveries give one outcome.
  Labels are the alert's identity (they define the fingerprint) and never change for one key;
  annotations (display only) follow the delivery last received.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec

from bridge.errors import BadInput, TooLarge

#: Alertmanager's zero time: firing alerts carry it as ``endsAt``.
ZERO_TIME_PREFIX = "0001-01-01"

#: The largest ``truncatedAlerts`` taken: the largest integer SQLite and Redis store (2**63 - 1).
#: Both paths refuse more (the full path's BadInput names the field), so no body is
#: acknowledged that the store cannot keep, nor refused with a 500 that Alertmanager retries.
TRUNCATED_ALERTS_MAX = 2**63 - 1

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(Z|z|[+-]\d{2}:\d{2})$"
)


@dataclass(frozen=True, slots=True)
class WebhookLimits:
    """What one webhook may carry (``server.limits`` in the configuration; these defaults)."""

    alerts_per_webhook: int = 2000
    labels_per_alert: int = 64  # and as many annotations
    label_name_length: int = 256
    label_value_length: int = 2048
    annotation_value_length: int = 16384
    fingerprint_length: int = 128
    #: ``startsAt``/``endsAt`` no earlier than this before the time of receipt
    timestamps_past: timedelta = timedelta(days=366)
    #: ``startsAt``/``endsAt`` no later than this after the time of receipt (clock skew)
    timestamps_future: timedelta = timedelta(days=1)

    def plausible_between(self, received_at: datetime) -> tuple[datetime, datetime]:
        """The earliest and latest plausible ``startsAt``/``endsAt`` of a body received at
        ``received_at`` (both included)."""
        return received_at - self.timestamps_past, received_at + self.timestamps_future


LIMITS_KEY = "server.limits"


def _limit(name: str) -> str:
    return f"{LIMITS_KEY}.{name}"


def parse_time(value: object, where: str) -> datetime | None:
    """Parse an RFC 3339 timestamp (any fraction length, any offset) to aware UTC.

    Returns None for Alertmanager's zero time. Raises BadInput naming ``where`` otherwise.
    """
    if not isinstance(value, str):
        raise BadInput(where, f"expected an RFC 3339 timestamp string, got {type(value).__name__}")
    if value.startswith(ZERO_TIME_PREFIX):
        return None
    m = _RFC3339.match(value)
    if m is None:
        raise BadInput(where, f"expected an RFC 3339 timestamp, got {value[:40]!r}")
    year, month, day, hour, minute, second, frac, offset = m.groups()
    micro = int(frac[:6].ljust(6, "0")) if frac else 0
    tz: timezone
    if offset in ("Z", "z"):
        try:  # already UTC: no conversion
            return datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second), micro, UTC
            )
        except ValueError as exc:
            raise BadInput(where, f"not a valid date/time: {value[:40]!r} ({exc})") from None
    else:
        sign = 1 if offset[0] == "+" else -1
        off_hours, off_minutes = int(offset[1:3]), int(offset[4:6])
        if off_hours > 23 or off_minutes > 59:
            # RFC 3339 bounds; datetime.timezone would raise a bare ValueError past ±24 h.
            raise BadInput(where, f"offset out of range in {value[:40]!r}")
        tz = timezone(sign * timedelta(hours=off_hours, minutes=off_minutes))
    try:
        parsed = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
        )
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # e.g. 9999-12-31T23:59:59-23:00 overflows UTC
        raise BadInput(where, f"not a valid date/time: {value[:40]!r} ({exc})") from None


def format_time(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z``; None stays None. An instant UTC cannot hold (only a store
    written before the API checked the times people give, :mod:`bridge.core.instants`, has
    one) keeps its own offset: never an OverflowError."""
    if value is None:
        return None
    try:
        text = value.astimezone(UTC).isoformat()
    except OverflowError:
        return value.isoformat()
    return text.replace("+00:00", "Z")


def read_time(text: object) -> datetime | None:
    """A time as the documents write it (:func:`format_time`, or any ISO text with an offset),
    or None: no text, unparsable, or naive (a time without its zone is not guessed at)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


class AlertEpisode(msgspec.Struct, frozen=True, gc=False):
    """One firing period of one alert, as we last know it.

    A msgspec Struct rather than a dataclass: the bridge builds one per alert received and
    per alert of a re-sent group (about a tenth of a frozen dataclass's construction time),
    and holds every firing one; ``gc=False`` keeps them out of the cycle collector's walks
    (an episode holds strings, datetimes and dicts of strings only, never a cycle)."""

    fingerprint: str
    starts_at: datetime
    status: str  # "firing" | "resolved"
    ends_at: datetime | None
    labels: dict[str, str]
    annotations: dict[str, str]
    first_seen: datetime
    last_seen: datetime
    generator_url: str = ""
    group_key: str = ""

    @property
    def key(self) -> tuple[str, datetime]:
        return (self.fingerprint, self.starts_at)

    @property
    def firing(self) -> bool:
        return self.status == "firing"

    def end_for_impact(self) -> datetime | None:
        """When this episode stopped counting: its end if resolved, else None (ongoing)."""
        return None if self.status == "firing" else (self.ends_at or self.last_seen)  # hot


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _rank(ep: AlertEpisode) -> tuple[int, datetime]:
    # A resolve is final for its episode; among resolves the latest end wins (deterministic).
    if ep.status == "firing":
        return (0, _EARLIEST)
    return (1, ep.ends_at or _EARLIEST)


def merge_episode(old: AlertEpisode | None, new: AlertEpisode) -> AlertEpisode:
    """Combine two observations of the same episode key; see the module contract."""
    if old is None:
        return new
    if old.fingerprint != new.fingerprint or old.starts_at != new.starts_at:  # not .key: hot
        raise ValueError(f"cannot merge different episodes {old.key} and {new.key}")
    winner = new if _rank(new) >= _rank(old) else old
    display = new if new.last_seen >= old.last_seen else old
    # built directly: dataclasses.replace costs several times more on the ingest hot path
    return AlertEpisode(
        fingerprint=winner.fingerprint,
        starts_at=winner.starts_at,
        status=winner.status,
        ends_at=winner.ends_at,
        labels=winner.labels,
        annotations=display.annotations,
        first_seen=min(old.first_seen, new.first_seen),
        last_seen=max(old.last_seen, new.last_seen),
        generator_url=display.generator_url,
        group_key=display.group_key,
    )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook POST, validated."""

    receiver: str
    status: str
    group_key: str
    truncated_alerts: int
    group_labels: dict[str, str]
    episodes: list[AlertEpisode] = field(default_factory=list)
    external_url: str = ""


def _str_map(
    value: object, where: str, limits: WebhookLimits | None = None, value_limit: str = ""
) -> dict[str, str]:
    """An object of strings; with ``limits``, at most ``labels_per_alert`` entries, names of
    at most ``label_name_length`` and values of at most the limit named ``value_limit``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput(where, f"expected an object of strings, got {type(value).__name__}")
    if limits is not None and len(value) > limits.labels_per_alert:
        raise TooLarge(
            where,
            f"{len(value)} entries, more than {limits.labels_per_alert}",
            _limit("labels_per_alert"),
        )
    longest = getattr(limits, value_limit) if limits is not None else 0
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(v, str):
            raise BadInput(f"{where}.{k[:64]}", f"expected a string, got {type(v).__name__}")
        if limits is not None:
            if len(k) > limits.label_name_length:
                raise TooLarge(
                    f"{where}.{k[:64]}…",
                    f"a name of {len(k)} characters, more than {limits.label_name_length}",
                    _limit("label_name_length"),
                )
            if len(v) > longest:
                raise TooLarge(
                    f"{where}.{k}",
                    f"a value of {len(v)} characters, more than {longest}",
                    _limit(value_limit),
                )
        out[k] = v
    return out


def _opt_str(
    body: dict[str, Any], name: str, where: str = "", limits: WebhookLimits | None = None
) -> str:
    """An optional string; with ``limits``, of at most ``annotation_value_length``."""
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadInput(f"{where}{name}", f"expected a string, got {type(value).__name__}")
    if limits is not None and len(value) > limits.annotation_value_length:
        raise TooLarge(
            f"{where}{name}",
            f"{len(value)} characters, more than {limits.annotation_value_length}",
            _limit("annotation_value_length"),
        )
    return value


_STATUSES = frozenset({"firing", "resolved"})
_GROUP_STATUSES = _STATUSES | {""}


def _status(value: object, where: str, allowed: frozenset[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value)[:40] if isinstance(value, str | None) else type(value).__name__
        expected = " or ".join(repr(s) for s in sorted(allowed) if s)
        raise BadInput(where, f"expected {expected}, got {shown}")
    return value


def plausible(
    value: datetime | None, where: str, received_at: datetime, lim: WebhookLimits
) -> None:
    if value is None:
        return
    earliest, latest = lim.plausible_between(received_at)
    if value < earliest:
        raise BadInput(
            where,
            f"{format_time(value)} is more than {lim.timestamps_past} before it was received "
            f"(limit: {_limit('timestamps_past')})",
        )
    if value > latest:
        raise BadInput(
            where,
            f"{format_time(value)} is more than {lim.timestamps_future} after it was received "
            f"(limit: {_limit('timestamps_future')})",
        )


def _parse_alert(
    raw: object, index: int, received_at: datetime, group_key: str, limits: WebhookLimits
) -> AlertEpisode:
    where = f"alerts[{index}]"
    if not isinstance(raw, dict):
        raise BadInput(where, f"expected an object, got {type(raw).__name__}")
    status = _status(raw.get("status"), f"{where}.status", _STATUSES)
    fingerprint = raw.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        raise BadInput(f"{where}.fingerprint", "expected a non-empty string")
    if len(fingerprint) > limits.fingerprint_length:
        raise TooLarge(
            f"{where}.fingerprint",
            f"{len(fingerprint)} characters, more than {limits.fingerprint_length}",
            _limit("fingerprint_length"),
        )
    labels = _str_map(raw.get("labels"), f"{where}.labels", limits, "label_value_length")
    annotations = _str_map(
        raw.get("annotations"), f"{where}.annotations", limits, "annotation_value_length"
    )
    starts_at = parse_time(raw.get("startsAt"), f"{where}.startsAt")
    if starts_at is None:
        raise BadInput(f"{where}.startsAt", "must not be Alertmanager's zero time")
    plausible(starts_at, f"{where}.startsAt", received_at, limits)
    ends_at = parse_time(raw.get("endsAt", ZERO_TIME_PREFIX + "T00:00:00Z"), f"{where}.endsAt")
    if status == "firing":
        ends_at = None  # a firing alert's endsAt is only Alertmanager's own timeout guess
    elif ends_at is None:
        ends_at = received_at  # resolved without an end: it ended by the time we heard
    elif ends_at < starts_at:
        raise BadInput(f"{where}.endsAt", "is before startsAt")
    else:
        plausible(ends_at, f"{where}.endsAt", received_at, limits)
    return AlertEpisode(
        fingerprint=fingerprint,
        starts_at=starts_at,
        status=status,
        ends_at=ends_at,
        labels=labels,
        annotations=annotations,
        first_seen=received_at,
        last_seen=received_at,
        generator_url=_opt_str(raw, "generatorURL", f"{where}.", limits),
        group_key=group_key,
    )


DEFAULT_LIMITS = WebhookLimits()

#: how many ``"fingerprint"`` strings per allowed alert the raw body may hold before it is
#: refused undecoded: one is the alert's own key; the slack is for labels or annotations that
#: happen to be named (or valued) ``fingerprint``
_RAW_SLACK = 4


def check_raw(raw: bytes, limits: WebhookLimits = DEFAULT_LIMITS) -> None:
    """Refuse, before it is decoded, a body that certainly holds far too many alerts: every
    alert carries the key ``"fingerprint"`` (escaped quotes never match), so a body with more
    than ``_RAW_SLACK`` × ``alerts_per_webhook`` of them is a 413 without building a single
    object. The exact count is :func:`parse_webhook`'s."""
    most = limits.alerts_per_webhook * _RAW_SLACK
    if raw.count(b'"fingerprint"') > most:
        raise TooLarge(
            "alerts",
            f"more than {most} fingerprints in the body, far more than "
            f"{limits.alerts_per_webhook} alerts; set Alertmanager's max_alerts below it",
            _limit("alerts_per_webhook"),
        )


def _shown(value: object) -> str:
    """A value for a message: a scalar's repr (cut short), else only its type: the repr of an
    object or list could be long, or nested too deeply to make, and Python refuses to write an
    integer of more than 4300 digits."""
    if isinstance(value, str | float | None) or (
        isinstance(value, int) and value.bit_length() <= 128
    ):
        return repr(value)[:40]
    return type(value).__name__


def parse_webhook(
    body: object, received_at: datetime, limits: WebhookLimits = DEFAULT_LIMITS
) -> Delivery:
    """Validate a decoded webhook v4 body; raise BadInput naming the first bad field."""
    if not isinstance(body, dict):
        raise BadInput("(body)", f"expected a JSON object, got {type(body).__name__}")
    version = body.get("version")
    if version != "4":
        raise BadInput("version", f'only webhook version "4" is understood, got {_shown(version)}')
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise BadInput("alerts", "expected a list of alerts")
    if len(alerts) > limits.alerts_per_webhook:  # before any alert is parsed
        raise TooLarge(
            "alerts",
            f"{len(alerts)} alerts, more than {limits.alerts_per_webhook}; set Alertmanager's "
            "max_alerts below it (it then truncates and says so in truncatedAlerts)",
            _limit("alerts_per_webhook"),
        )
    truncated = body.get("truncatedAlerts", 0)
    if (
        isinstance(truncated, bool)
        or not isinstance(truncated, int)
        or not 0 <= truncated <= TRUNCATED_ALERTS_MAX
    ):
        raise BadInput(
            "truncatedAlerts",
            f"expected an integer from 0 to {TRUNCATED_ALERTS_MAX}, got {_shown(truncated)}",
        )
    status = _status(body.get("status", ""), "status", _GROUP_STATUSES)
    group_key = _opt_str(body, "groupKey", "", limits)
    episodes: dict[tuple[str, datetime], AlertEpisode] = {}
    for index, raw in enumerate(alerts):
        ep = _parse_alert(raw, index, received_at, group_key, limits)
        episodes[ep.key] = merge_episode(episodes.get(ep.key), ep)
    return Delivery(
        receiver=_opt_str(body, "receiver"),
        status=status,
        group_key=group_key,
        truncated_alerts=truncated,
        group_labels=_str_map(body.get("groupLabels"), "groupLabels", limits, "label_value_length"),
        episodes=list(episodes.values()),
        external_url=_opt_str(body, "externalURL"),
    )
