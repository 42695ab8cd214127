"""Alert → what it affects: an inventory element, or the alert's own description.

Contract: :func:`map_alert` never drops an alert. It returns a :class:`Target` that is
- an inventory element (the first configured element label whose value the inventory knows), or
- *self-described* when the alert itself carries ``service``, ``region`` and
  ``affected_connections`` (labels or annotations; names configurable), or
- *unmapped*: kept and shown with the reason, adding no impact. So is an alert whose
  ``affected_connections`` is not a count (:func:`connection_count`: a finite whole number
  from 0 to :data:`MAX_CONNECTIONS`).
A target named by an element label the inventory does not know is unmapped even when it also
self-describes (``unmapped_reason`` says so) but its self-description still counts, so an
inventory gap never hides an outage.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from functools import lru_cache

from bridge.core.alerts import AlertEpisode
from bridge.core.topology import FLAGS, Topology, Vector

OUTAGE = "outage"
DEGRADATION = "degradation"
_TRUE = frozenset({"true", "yes", "1", "ja"})

#: The most connections one alert, or one impact a person states, may say it affects. No
#: operator serves anywhere near a billion connections from one element or one region, so a
#: larger count is a typo or a broken exporter, not an outage. Unbounded, such a count broke
#: what keeps it: JSON (orjson) and SQLite integers end at 2**63, and an incident sums its
#: alerts' counts, which must stay far below that.
MAX_CONNECTIONS = 10**9


@dataclass(frozen=True, slots=True)
class MappingRules:
    """Label names used to read alerts (config ``inventory.labels``)."""

    element_labels: tuple[str, ...] = ("element",)
    service: str = "service"
    region: str = "region"
    affected_connections: str = "affected_connections"
    jurisdiction: str = "jurisdiction"
    impact: str = "impact"
    degradation_values: frozenset[str] = frozenset({"degradation", "störning", "degraded"})
    severity: str = "severity"
    area_km2: str = "area_km2"
    default_jurisdiction: str = "SE"


@dataclass(frozen=True, slots=True)
class Target:
    """What one alert episode affects. ``key`` dedupes: two alerts on one element count once."""

    key: str
    impact_kind: str  # OUTAGE | DEGRADATION
    jurisdiction: str
    element: str | None = None
    vector: Vector = field(default_factory=dict)  # self-described impact (no element)
    unmapped_reason: str | None = None
    severity: str = ""

    @property
    def unmapped(self) -> bool:
        return self.unmapped_reason is not None


def _value(ep: AlertEpisode, name: str) -> str | None:
    value = ep.labels.get(name)
    if value is None:
        value = ep.annotations.get(name)
        if value is None:
            return None
    return value.strip()


def region_jurisdiction(region: str | None, default: str) -> str:
    """The jurisdiction a region code names (``SE-2380`` → ``SE``), else ``default``."""
    if region and len(region) > 3 and region[2] == "-" and region[:2].isalpha():
        return region[:2].upper()
    return default


def _jurisdiction_of(ep: AlertEpisode, rules: MappingRules, region: str | None) -> str:
    explicit = _value(ep, rules.jurisdiction)
    if explicit:
        return explicit.upper()
    return region_jurisdiction(region, rules.default_jurisdiction)


def connection_count(raw: str, label: str) -> int | str:
    """The number of connections ``raw`` (the value of ``label``) states, or why it states
    none: a finite whole number from 0 to :data:`MAX_CONNECTIONS` (``1500``, ``1.5e3`` and
    ``1500.0`` alike)."""
    try:
        number = float(raw)
    except ValueError:
        return f"{label}={raw!r} is not a number"
    if not math.isfinite(number):
        return f"{label}={raw!r} is not a finite number"
    if number < 0:
        return f"{label}={raw!r} is negative"
    if number > MAX_CONNECTIONS:
        return f"{label}={raw!r} is more than {MAX_CONNECTIONS} connections"
    if not number.is_integer():
        return f"{label}={raw!r} is not a whole number"
    return int(number)


def _self_described(ep: AlertEpisode, rules: MappingRules) -> tuple[Vector, str] | str:
    """The alert's own impact vector and jurisdiction, or why it has none."""
    raw = _value(ep, rules.affected_connections)
    service = _value(ep, rules.service)
    region = _value(ep, rules.region)
    if raw is None:
        return "no inventory element and no affected_connections on the alert"
    count = connection_count(raw, rules.affected_connections)
    if isinstance(count, str):
        return count
    if not service or not region:
        return f"{rules.affected_connections} given without {rules.service} and {rules.region}"
    j = _jurisdiction_of(ep, rules, region)
    vec: Vector = {("conn", j, service, region): count} if count else {}
    area = _value(ep, rules.area_km2)
    if area:
        with contextlib.suppress(ValueError):
            km2 = float(area)
            if math.isfinite(km2):  # float() takes "nan" and "inf": they would poison sums
                vec[("area", j)] = km2
    for flag in FLAGS:
        if (_value(ep, flag) or "").lower() in _TRUE:
            vec[("flag", j, flag)] = 1
    return vec, j


@lru_cache(maxsize=1 << 16)
def _element_target(element: str, kind: str, jurisdiction: str, severity: str) -> Target:
    """An inventory element's target, one shared value per distinct combination: a storm
    maps thousands of alerts onto the same few elements (Target is immutable)."""
    return Target(
        key=f"el:{element}",
        impact_kind=kind,
        jurisdiction=jurisdiction,
        element=element,
        severity=severity,
    )


def map_alert(ep: AlertEpisode, topology: Topology, rules: MappingRules) -> Target:
    """See the module contract."""
    kind = (
        DEGRADATION
        if (_value(ep, rules.impact) or "").lower() in rules.degradation_values
        else OUTAGE
    )
    severity = (_value(ep, rules.severity) or "").lower()
    named: str | None = None
    for label in rules.element_labels:
        value = _value(ep, label)
        if value:
            named = value
            el = topology.elements.get(value)
            if el is not None:
                return _element_target(value, kind, el.jurisdiction, severity)
    described = _self_described(ep, rules)
    if isinstance(described, str):
        reason = f"element {named!r} is not in the inventory" if named else described
        region = _value(ep, rules.region)
        return Target(
            key=f"fp:{ep.fingerprint}",
            impact_kind=kind,
            jurisdiction=_jurisdiction_of(ep, rules, region),
            unmapped_reason=reason,
            severity=severity,
        )
    vec, j = described
    return Target(
        key=f"self:{named}" if named else f"fp:{ep.fingerprint}",
        impact_kind=kind,
        jurisdiction=j,
        vector=vec,
        unmapped_reason=f"element {named!r} is not in the inventory" if named else None,
        severity=severity,
    )
