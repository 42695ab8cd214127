"""Alertmanager webhook v4: parsing, validation and the alert-episode merge.

Contract:
- :func:`parse_webhook` turns a decoded JSON body into a :class:`Delivery` or raises
  :class:`~bridge.errors.BadInput` naming the offending field (``alerts[3].startsAt``).
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

from bridge.errors import BadInput

#: Alertmanager's zero time: firing alerts carry it as ``endsAt``.
ZERO_TIME_PREFIX = "0001-01-01"

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(Z|z|[+-]\d{2}:\d{2})$"
)


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
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz: timezone
    if offset in ("Z", "z"):
        tz = UTC
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
    except ValueError as exc:
        raise BadInput(where, f"not a valid date/time: {value[:40]!r} ({exc})") from None
    return parsed.astimezone(UTC)


def format_time(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z``; None stays None."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class AlertEpisode:
    """One firing period of one alert, as we last know it."""

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
        return None if self.firing else (self.ends_at or self.last_seen)


def _rank(ep: AlertEpisode) -> tuple[int, datetime]:
    # A resolve is final for its episode; among resolves the latest end wins (deterministic).
    if ep.firing:
        return (0, datetime.min.replace(tzinfo=UTC))
    return (1, ep.ends_at or datetime.min.replace(tzinfo=UTC))


def merge_episode(old: AlertEpisode | None, new: AlertEpisode) -> AlertEpisode:
    """Combine two observations of the same episode key; see the module contract."""
    if old is None:
        return new
    if old.key != new.key:
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


def _str_map(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput(where, f"expected an object of strings, got {type(value).__name__}")
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(v, str):
            raise BadInput(f"{where}.{k}", f"expected a string, got {type(v).__name__}")
        out[k] = v
    return out


def _opt_str(body: dict[str, Any], name: str, where: str = "") -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadInput(f"{where}{name}", f"expected a string, got {type(value).__name__}")
    return value


_STATUSES = frozenset({"firing", "resolved"})


def _parse_alert(raw: object, index: int, received_at: datetime, group_key: str) -> AlertEpisode:
    where = f"alerts[{index}]"
    if not isinstance(raw, dict):
        raise BadInput(where, f"expected an object, got {type(raw).__name__}")
    status = raw.get("status")
    if status not in _STATUSES:
        raise BadInput(f"{where}.status", f"expected 'firing' or 'resolved', got {status!r}")
    fingerprint = raw.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        raise BadInput(f"{where}.fingerprint", "expected a non-empty string")
    labels = _str_map(raw.get("labels"), f"{where}.labels")
    annotations = _str_map(raw.get("annotations"), f"{where}.annotations")
    starts_at = parse_time(raw.get("startsAt"), f"{where}.startsAt")
    if starts_at is None:
        raise BadInput(f"{where}.startsAt", "must not be Alertmanager's zero time")
    ends_at = parse_time(raw.get("endsAt", ZERO_TIME_PREFIX + "T00:00:00Z"), f"{where}.endsAt")
    if status == "firing":
        ends_at = None  # a firing alert's endsAt is only Alertmanager's own timeout guess
    elif ends_at is None:
        ends_at = received_at  # resolved without an end: it ended by the time we heard
    elif ends_at < starts_at:
        raise BadInput(f"{where}.endsAt", "is before startsAt")
    return AlertEpisode(
        fingerprint=fingerprint,
        starts_at=starts_at,
        status=status,
        ends_at=ends_at,
        labels=labels,
        annotations=annotations,
        first_seen=received_at,
        last_seen=received_at,
        generator_url=_opt_str(raw, "generatorURL", f"{where}."),
        group_key=group_key,
    )


def parse_webhook(body: object, received_at: datetime) -> Delivery:
    """Validate a decoded webhook v4 body; raise BadInput naming the first bad field."""
    if not isinstance(body, dict):
        raise BadInput("(body)", f"expected a JSON object, got {type(body).__name__}")
    version = body.get("version")
    if version != "4":
        raise BadInput("version", f'only webhook version "4" is understood, got {version!r}')
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise BadInput("alerts", "expected a list of alerts")
    truncated = body.get("truncatedAlerts", 0)
    if isinstance(truncated, bool) or not isinstance(truncated, int) or truncated < 0:
        raise BadInput("truncatedAlerts", f"expected a non-negative integer, got {truncated!r}")
    status = body.get("status", "")
    if status not in ("", "firing", "resolved"):
        raise BadInput("status", f"expected 'firing' or 'resolved', got {status!r}")
    group_key = _opt_str(body, "groupKey")
    episodes: dict[tuple[str, datetime], AlertEpisode] = {}
    for index, raw in enumerate(alerts):
        ep = _parse_alert(raw, index, received_at, group_key)
        episodes[ep.key] = merge_episode(episodes.get(ep.key), ep)
    return Delivery(
        receiver=_opt_str(body, "receiver"),
        status=status,
        group_key=group_key,
        truncated_alerts=truncated,
        group_labels=_str_map(body.get("groupLabels"), "groupLabels"),
        episodes=list(episodes.values()),
        external_url=_opt_str(body, "externalURL"),
    )
