"""One text form for stored values, shared by every store so they agree byte for byte:
timestamps (:func:`ts`, fixed width, so text order is time order), compact sorted JSON, and the
episodes. Records (users, drafts, …) are written by :mod:`bridge.store.record_codec` on top."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from bridge.core.alerts import AlertEpisode


@lru_cache(maxsize=1 << 14)  # a few MB at most
def ts(value: datetime) -> str:
    """Canonical UTC text with microseconds: sorts like the instant it names. Remembered: the
    webhook hot path writes the same instants again (a re-sent group's start times, a
    delivery's receive time), and equal instants have one text whatever their offset."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # what ``isoformat(timespec="microseconds")`` writes without "+00:00", in half its time
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031 (the fastest form here)
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def parse_ts(text: str) -> datetime:
    """Inverse of :func:`ts` (fromisoformat: strptime is ten times slower on this hot path)."""
    return datetime.fromisoformat(text)  # 3.11 reads the "Z" as UTC


def opt_ts(value: datetime | None) -> str | None:
    return None if value is None else ts(value)


def opt_parse_ts(text: str | None) -> datetime | None:
    return None if text is None else parse_ts(text)


def dumps(value: Any) -> str:
    """Compact JSON with sorted keys (orjson: this runs for every stored alert)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)


def episode_to_dict(ep: AlertEpisode) -> dict[str, Any]:
    return {
        "fingerprint": ep.fingerprint,
        "starts_at": ts(ep.starts_at),
        "status": ep.status,
        "ends_at": opt_ts(ep.ends_at),
        "labels": ep.labels,
        "annotations": ep.annotations,
        "first_seen": ts(ep.first_seen),
        "last_seen": ts(ep.last_seen),
        "generator_url": ep.generator_url,
        "group_key": ep.group_key,
    }


def episode_from_dict(d: dict[str, Any]) -> AlertEpisode:
    return AlertEpisode(
        fingerprint=d["fingerprint"],
        starts_at=parse_ts(d["starts_at"]),
        status=d["status"],
        ends_at=opt_parse_ts(d["ends_at"]),
        labels=dict(d["labels"]),
        annotations=dict(d["annotations"]),
        first_seen=parse_ts(d["first_seen"]),
        last_seen=parse_ts(d["last_seen"]),
        generator_url=d.get("generator_url", ""),
        group_key=d.get("group_key", ""),
    )
