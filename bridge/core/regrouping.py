"""People's merges and splits of incidents, as kept in the casebook. Pure.

Contract:
- :func:`merge` records in the absorbed incident's casebook document that a person merged it
  into another (``merged_into``: ``{"into", "reason", "by", "at", "bond"}``, the bond being the
  episodes each held, as ``[fingerprint, start]`` pairs); :func:`split` records in the source
  incident's document that a person took alerts out of it into an incident of their own
  (``splits``: ``[{"key", "alerts", "reason", "by", "at"}]``). Each returns the new document
  and its audit events (``incident.merged`` on the absorbed one and ``incident.absorbed`` on
  the other; ``incident.split``; target ``incident:ID``), or
  raises :class:`~bridge.errors.BadInput` naming the field (``reason``, ``into``, ``alerts``).
- :func:`directives` reads the bonds and pins back from casebook documents, so a restart
  rebuilds the same incidents (the engine applies them: :mod:`bridge.core.covering` for bonds,
  ``Engine.split`` for pins).
- The engine decides what a merge makes of the incidents; the casebook keeps what people
  asked for, with their reason, for the evidence file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bridge.core.alerts import format_time, parse_time
from bridge.core.casework import AuditEvent
from bridge.core.covering import Bond
from bridge.core.handling import incident_event
from bridge.core.incidents import EpisodeKey
from bridge.core.person_text import clean_text
from bridge.errors import BadInput

MAX_REASON = 1000
#: the correlation key prefix of alerts a person split out of an incident
SPLIT_PREFIX = "split:"

Document = dict[str, Any]


def clean_reason(reason: object) -> str:
    """Why, as kept: required, at most :data:`MAX_REASON` characters, no control characters
    but lines and tabs (:func:`bridge.core.person_text.clean_text`); else BadInput naming
    ``reason``."""
    if not isinstance(reason, str):
        raise BadInput("reason", "required: say why (text)")
    text = clean_text(reason, "reason", MAX_REASON, one_line=False)
    if not text:
        raise BadInput("reason", "required: say why")
    return text


def _ek(ek: EpisodeKey) -> list[str]:
    return [ek[0], ek[1].isoformat()]


def _read_ek(raw: object) -> EpisodeKey | None:
    if not isinstance(raw, list) or len(raw) != 2 or not isinstance(raw[0], str):
        return None
    start = parse_time(raw[1], "start")
    return None if start is None else (raw[0], start)


def merge(
    doc: Document,
    incident: str,
    into: str,
    bond: Bond,
    reason: str,
    actor: str,
    now: datetime,
) -> tuple[Document, list[AuditEvent]]:
    """``incident`` is merged into ``into`` by ``actor`` (see the module contract)."""
    if into == incident:
        raise BadInput("into", "an incident cannot be merged into itself")
    why = clean_reason(reason)
    new = {
        **doc,
        "merged_into": {
            "into": into,
            "reason": why,
            "by": actor,
            "at": format_time(now),
            "bond": [[_ek(ek) for ek in bond[0]], [_ek(ek) for ek in bond[1]]],
        },
    }
    return new, [
        incident_event(incident, now, actor, "incident.merged", into=into, reason=why),
        incident_event(into, now, actor, "incident.absorbed", absorbed=incident, reason=why),
    ]


def split_key(incident: str, alerts: Sequence[EpisodeKey]) -> str:
    """The key alerts split out of ``incident`` form their incident under (the same alerts
    give the same key: a retried split is one split)."""
    first = min(alerts, key=lambda ek: (ek[1], ek[0]))
    digest = hashlib.sha1(
        "|".join(f"{fp}@{s.isoformat()}" for fp, s in sorted(alerts)).encode()
    ).hexdigest()[:8]
    return f"{SPLIT_PREFIX}{incident}:{first[0]}:{digest}"


def split_origin(key: object) -> str | None:
    """The incident a person split the alerts of correlation key ``key`` out of (a key
    :func:`split_key` made), else None."""
    if not isinstance(key, str) or not key.startswith(SPLIT_PREFIX):
        return None
    return key[len(SPLIT_PREFIX) :].split(":", 1)[0] or None


def check_split(alerts: Sequence[EpisodeKey], held: Iterable[EpisodeKey]) -> None:
    """BadInput naming ``alerts`` unless they are some, not all, of ``held``."""
    mine = set(held)
    if not alerts:
        raise BadInput("alerts", "name at least one alert of the incident")
    strange = [ek for ek in alerts if ek not in mine]
    if strange:
        raise BadInput(
            "alerts",
            f"{strange[0][0]} (from {format_time(strange[0][1])}) is not an alert of this incident",
        )
    if mine <= set(alerts):
        raise BadInput("alerts", "every alert of the incident: leave at least one in it")


def split(
    doc: Document,
    incident: str,
    alerts: Sequence[EpisodeKey],
    held: Iterable[EpisodeKey],
    reason: str,
    actor: str,
    now: datetime,
) -> tuple[Document, list[AuditEvent], str]:
    """``actor`` takes ``alerts`` (some, not all, of those ``incident`` holds: ``held``) out of
    it into an incident of their own; also returns the key they go to."""
    why = clean_reason(reason)
    check_split(alerts, held)
    key = split_key(incident, alerts)
    splits = list(doc.get("splits", []))
    splits.append(
        {
            "key": key,
            "alerts": [_ek(ek) for ek in sorted(alerts)],
            "reason": why,
            "by": actor,
            "at": format_time(now),
        }
    )
    event = incident_event(
        incident, now, actor, "incident.split", alerts=[ek[0] for ek in sorted(alerts)], reason=why
    )
    return {**doc, "splits": splits}, [event], key


def directives(
    docs: Mapping[str, Document],
) -> tuple[list[Bond], dict[EpisodeKey, str]]:
    """The bonds (absorbed episode, host episode) and pins (episode → split key) the
    casebook documents record, in the order people made them."""
    bonds: list[tuple[str, Bond]] = []
    pins: list[tuple[str, EpisodeKey, str]] = []
    for doc in docs.values():
        merged = doc.get("merged_into")
        if isinstance(merged, dict):
            raw = merged.get("bond") or []
            if isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, list) for x in raw):
                sides = [tuple(ek for x in side if (ek := _read_ek(x)) is not None) for side in raw]
                bonds.append((str(merged.get("at", "")), (sides[0], sides[1])))
        for entry in doc.get("splits", []) or []:
            for raw in entry.get("alerts", []):
                ek = _read_ek(raw)
                if ek is not None:
                    pins.append((str(entry.get("at", "")), ek, str(entry["key"])))
    bonds.sort(key=lambda b: b[0])
    pins.sort(key=lambda p: p[0])
    return [b for _, b in bonds], {ek: key for _, ek, key in pins}
