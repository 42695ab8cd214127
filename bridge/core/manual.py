"""Incidents opened by hand: an outage monitoring never saw (reported by phone, by a field
technician) becomes alerts the bridge makes itself, so rules, obligations, drafts, retention and
replay treat it like any other incident. Pure.

Contract:
- :func:`parse_manual` validates what a person entered (title, start, optional end, impacts as
  service × region × connections (0 to :data:`~bridge.core.mapping.MAX_CONNECTIONS`) with
  optional flags, and/or inventory elements) and raises
  :class:`~bridge.errors.BadInput` naming the first bad field; nothing is written on a bad field.
  Its texts reach notices as typed: no control or bidirectional characters (the description
  may hold line ends and tabs).
- :func:`manual_delivery` turns it into one delivery of alert episodes, one per impact and one
  per element, all carrying the correlation's incident label set to the incident's reference,
  so they form one incident (key ``label:<reference>``); impacts are self-described alerts
  (:mod:`bridge.core.mapping`), elements are placed in the inventory as an alert on them would
  be. Given an end, the episodes are resolved at it.
- :func:`started_by_hand` and :func:`entered_at` read an incident *document*: whether its start
  is a person's word (its first alerts were entered by hand), and when the by-hand record was
  entered (the alerts' ``first_seen``), so a notice never says monitoring saw what a person
  reported.
- The reference is derived from who entered it, the start and the title (:func:`reference`):
  entering the same incident again (a retry after a timeout) gives the same alerts, which the
  store merges (duplicates are harmless), never a second incident.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bridge.core import instants, person_text
from bridge.core.alerts import AlertEpisode, Delivery, parse_time, read_time
from bridge.core.mapping import MAX_CONNECTIONS, MappingRules
from bridge.core.topology import FLAGS
from bridge.errors import BadInput

#: the alert name of the alerts an incident opened by hand is made of
ALERT_NAME = "ReportedByHand"
#: their group key's prefix (what the store records as the delivery's group)
GROUP_PREFIX = "manual:"
TITLE_MAX = 200
DESCRIPTION_MAX = 4000
MAX_IMPACTS = 50
#: how far in the future a start or an end may lie (clock skew between a person's browser and
#: the bridge)
FUTURE_SLACK = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ManualImpact:
    service: str
    region: str
    connections: int
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ManualIncident:
    title: str
    description: str
    started_at: datetime
    ended_at: datetime | None
    jurisdiction: str | None
    severity: str
    impacts: tuple[ManualImpact, ...]
    elements: tuple[str, ...]


def _text(
    body: Mapping[str, Any], name: str, limit: int, required: bool = False, lines: bool = False
) -> str:
    """What a person typed in ``name``: stripped, at most ``limit`` characters, no control
    or bidirectional characters (``lines``: line ends and tabs allowed; the text becomes an
    alert's annotation that notices quote: :func:`bridge.core.person_text.refused`)."""
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadInput(name, f"expected text, got {type(value).__name__}")
    value = value.strip()
    found = person_text.refused(value, "\n\r\t" if lines else "", formats=not lines)
    if found is not None:
        raise BadInput(name, person_text.problem(found))
    if required and not value:
        raise BadInput(name, "required")
    if len(value) > limit:
        raise BadInput(name, f"{len(value)} characters, more than {limit}")
    return value


def parse_impact(raw: object, where: str, services: Collection[str]) -> ManualImpact:
    """One impact a person entered (``{service, region, connections, <flag>: bool}``) at
    ``where`` in the body; BadInput naming ``where.<field>`` (``services``: empty, any)."""
    if not isinstance(raw, dict):
        raise BadInput(where, "expected an object with service, region and connections")
    service = raw.get("service")
    if not isinstance(service, str) or not service.strip():
        raise BadInput(f"{where}.service", "required (a service, e.g. internet)")
    if services and service not in services:
        raise BadInput(
            f"{where}.service",
            f"{service!r} is not a service the inventory knows: {', '.join(sorted(services))}",
        )
    region = raw.get("region")
    if not isinstance(region, str) or not region.strip() or len(region) > 64:
        raise BadInput(f"{where}.region", "required (a region code, e.g. SE-2380)")
    connections = raw.get("connections")
    if (
        isinstance(connections, bool)
        or not isinstance(connections, int)
        or not 0 <= connections <= MAX_CONNECTIONS
    ):
        raise BadInput(
            f"{where}.connections",
            f"expected a whole number of connections from 0 to {MAX_CONNECTIONS}",
        )
    flags = []
    for flag in FLAGS:
        value = raw.get(flag, False)
        if not isinstance(value, bool):
            raise BadInput(f"{where}.{flag}", "expected true or false")
        if value:
            flags.append(flag)
    unknown = sorted(set(raw) - {"service", "region", "connections", *FLAGS})
    if unknown:
        raise BadInput(f"{where}.{unknown[0]}", "not a field of an impact")
    return ManualImpact(service.strip(), region.strip(), connections, tuple(flags))


def parse_manual(
    body: Mapping[str, Any],
    now: datetime,
    known_elements: Collection[str],
    services: Collection[str] = (),
) -> ManualIncident:
    """See the module contract (``services``: the inventory's; empty: any)."""
    title = _text(body, "title", TITLE_MAX, required=True)
    description = _text(body, "description", DESCRIPTION_MAX, lines=True)
    started_at = parse_time(body.get("started_at"), "started_at")
    if started_at is None:
        raise BadInput("started_at", "required")
    started_at = instants.given(started_at, "started_at", now)
    if started_at > now + FUTURE_SLACK:
        raise BadInput("started_at", "lies in the future")
    ended_raw = body.get("ended_at")
    ended_at = None if ended_raw in (None, "") else parse_time(ended_raw, "ended_at")
    if ended_at is not None:
        ended_at = instants.given(ended_at, "ended_at", now)
        if ended_at < started_at:
            raise BadInput("ended_at", "is before started_at")
        if ended_at > now + FUTURE_SLACK:
            raise BadInput("ended_at", "lies in the future")
    jurisdiction = _text(body, "jurisdiction", 8).upper() or None
    severity = _text(body, "severity", 32).lower()
    raw_impacts = body.get("impacts") or []
    if not isinstance(raw_impacts, list) or len(raw_impacts) > MAX_IMPACTS:
        raise BadInput("impacts", f"expected a list of at most {MAX_IMPACTS} impacts")
    impacts = tuple(
        parse_impact(raw, f"impacts[{i}]", services) for i, raw in enumerate(raw_impacts)
    )
    raw_elements = body.get("elements") or []
    if not isinstance(raw_elements, list) or len(raw_elements) > MAX_IMPACTS:
        raise BadInput("elements", f"expected a list of at most {MAX_IMPACTS} element ids")
    for i, element in enumerate(raw_elements):
        if not isinstance(element, str) or element not in known_elements:
            raise BadInput(f"elements[{i}]", f"{str(element)[:64]!r} is not in the inventory")
    if not impacts and not raw_elements:
        raise BadInput("impacts", "give at least one impact or one inventory element")
    unknown = sorted(
        set(body)
        - {
            "title",
            "description",
            "started_at",
            "ended_at",
            "jurisdiction",
            "severity",
            "impacts",
            "elements",
        }
    )
    if unknown:
        raise BadInput(unknown[0], "not a field of an incident opened by hand")
    return ManualIncident(
        title,
        description,
        started_at,
        ended_at,
        jurisdiction,
        severity,
        impacts,
        tuple(dict.fromkeys(raw_elements)),
    )


def reference(incident: ManualIncident, actor: str) -> str:
    """The incident's stable reference (see the module contract)."""
    seed = f"{actor}\n{incident.started_at.isoformat()}\n{incident.title}".encode()
    return "manual-" + hashlib.sha256(seed).hexdigest()[:12]


def manual_delivery(
    incident: ManualIncident,
    ref: str,
    actor: str,
    rules: MappingRules,
    incident_label: str,
    received_at: datetime,
) -> Delivery:
    """The alerts an incident opened by hand is made of (see the module contract)."""
    common = {"alertname": ALERT_NAME, incident_label: ref}
    if incident.severity:
        common[rules.severity] = incident.severity
    annotations = {"summary": incident.title, "reported_by": actor}
    if incident.description:
        annotations["description"] = incident.description
    labels: list[tuple[str, dict[str, str]]] = []
    for n, impact in enumerate(incident.impacts):
        own = {
            rules.service: impact.service,
            rules.region: impact.region,
            rules.affected_connections: str(impact.connections),
            **dict.fromkeys(impact.flags, "true"),
        }
        if incident.jurisdiction:
            own[rules.jurisdiction] = incident.jurisdiction
        labels.append((f"{ref}-i{n}", own))
    element_label = rules.element_labels[0]
    for n, element in enumerate(incident.elements):
        labels.append((f"{ref}-e{n}", {element_label: element}))
    status = "firing" if incident.ended_at is None else "resolved"
    episodes = [
        AlertEpisode(
            fingerprint=fingerprint,
            starts_at=incident.started_at,
            status=status,
            ends_at=incident.ended_at,
            labels={**common, **own},
            annotations=annotations,
            first_seen=received_at,
            last_seen=received_at,
            generator_url="",
            group_key=GROUP_PREFIX + ref,
        )
        for fingerprint, own in labels
    ]
    return Delivery(
        receiver="console",
        status=status,
        group_key=GROUP_PREFIX + ref,
        truncated_alerts=0,
        group_labels={incident_label: ref},
        episodes=episodes,
    )


def ended(episodes: Collection[AlertEpisode], at: datetime) -> list[AlertEpisode]:
    """The episodes of an incident opened by hand, resolved at ``at`` (ending it by hand)."""
    return [
        AlertEpisode(
            fingerprint=ep.fingerprint,
            starts_at=ep.starts_at,
            status="resolved",
            ends_at=max(at, ep.starts_at),
            labels=ep.labels,
            annotations=ep.annotations,
            first_seen=ep.first_seen,
            last_seen=at,
            generator_url=ep.generator_url,
            group_key=ep.group_key,
        )
        for ep in episodes
        if ep.labels.get("alertname") == ALERT_NAME
    ]


def _by_hand(alert: Mapping[str, Any]) -> bool:
    return (alert.get("labels") or {}).get("alertname") == ALERT_NAME


def started_by_hand(doc: Mapping[str, Any]) -> bool:
    """The incident document's first alerts (the earliest ``starts_at``; every alert when none
    says) were all entered by hand: its start is what a person reported, not what monitoring
    saw."""
    alerts: list[Mapping[str, Any]] = list(doc.get("alert_details") or ())
    starts = [(read_time(a.get("starts_at")), a) for a in alerts]
    known = [at for at, _ in starts if at is not None]
    first = [a for at, a in starts if at == min(known)] if known else alerts
    return bool(first) and all(_by_hand(a) for a in first)


def entered_at(doc: Mapping[str, Any]) -> datetime | None:
    """When the incident's by-hand record was entered: the earliest ``first_seen`` of its alerts
    entered by hand (None: none, or a document without it)."""
    found = [
        at
        for a in doc.get("alert_details") or ()
        if _by_hand(a) and (at := read_time(a.get("first_seen"))) is not None
    ]
    return min(found, default=None)
