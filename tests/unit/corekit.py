"""Plain-value builders for the pure core's unit tests (no I/O, no clock)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bridge.core.alerts import AlertEpisode, parse_webhook
from bridge.core.engine import Engine
from bridge.core.incidents import CorrelationRules
from bridge.core.mapping import OUTAGE, MappingRules, Target
from bridge.core.rules import Criterion, RuleSet
from bridge.core.topology import Element, Topology

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """T0 plus a number of minutes."""
    return T0 + timedelta(minutes=minutes)


def episode(
    fingerprint: str,
    start: datetime,
    *,
    end: datetime | None = None,
    seen: datetime | None = None,
    annotations: dict[str, str] | None = None,
    **labels: str,
) -> AlertEpisode:
    """An episode as the store would hold it: resolved when ``end`` is given, else firing."""
    heard = seen or end or start
    return AlertEpisode(
        fingerprint=fingerprint,
        starts_at=start,
        status="resolved" if end is not None else "firing",
        ends_at=end,
        labels={"alertname": "Down", **labels},
        annotations=dict(annotations or {}),
        first_seen=heard,
        last_seen=heard,
    )


def network() -> Topology:
    """A small two-country inventory.

    SE internet total 20 000 (SE-0180: 10 000, SE-1480: 10 000), SE iptv 1 000, NO internet 2 000.
    """
    return Topology(
        [
            Element("core-se", None, "SE", "SE-0180", kind="core"),
            Element("site-a", "core-se", "SE", "SE-0180", kind="site"),
            Element(
                "olt-a1",
                "site-a",
                "SE",
                "SE-0180",
                kind="olt",
                connections={"internet": 6000, "iptv": 1000},
                area_km2=500.0,
                capacity_share=0.02,
                emergency_112=True,
            ),
            Element(
                "olt-a2",
                "site-a",
                "SE",
                "SE-0180",
                kind="olt",
                connections={"internet": 4000},
                societal=True,
            ),
            Element("site-b", "core-se", "SE", "SE-1480", kind="site"),
            Element(
                "olt-b1",
                "site-b",
                "SE",
                "SE-1480",
                kind="olt",
                connections={"internet": 10000},
                area_km2=800.0,
                capacity_share=0.05,
                wholesale=True,
            ),
            Element("core-no", None, "NO", "NO-0301", kind="core"),
            Element("site-n", "core-no", "NO", "NO-0301", kind="site"),
            Element(
                "olt-n1",
                "site-n",
                "NO",
                "NO-0301",
                kind="olt",
                connections={"internet": 2000},
                societal=True,
                emergency_112=True,
            ),
        ],
        region_names={"SE-0180": "Stockholm", "SE-1480": "Göteborg", "NO-0301": "Oslo"},
    )


def el(element: str, kind: str = OUTAGE, jurisdiction: str = "SE", severity: str = "") -> Target:
    """A target on an inventory element."""
    return Target(
        key=f"el:{element}",
        impact_kind=kind,
        jurisdiction=jurisdiction,
        element=element,
        severity=severity,
    )


def described(
    key: str,
    connections: int,
    *,
    service: str = "internet",
    region: str = "SE-0180",
    jurisdiction: str = "SE",
    kind: str = OUTAGE,
    severity: str = "",
) -> Target:
    """A self-described target (no inventory element)."""
    return Target(
        key=key,
        impact_kind=kind,
        jurisdiction=jurisdiction,
        vector={("conn", jurisdiction, service, region): connections},
        severity=severity,
    )


def rule_set(
    *criteria: Criterion,
    jurisdiction: str = "SE",
    regulator: str = "pts",
    severity_map: dict[str, str] | None = None,
) -> RuleSet:
    return RuleSet(
        id=f"{regulator}-test",
        regulator=regulator,
        jurisdiction=jurisdiction,
        source="unit test",
        verified=True,
        criteria=tuple(criteria),
        severity_map=dict(severity_map or {}),
    )


PTS = rule_set(
    Criterion("conn-5k-1h", "connections", min_duration=timedelta(hours=1), min_connections=5000),
    Criterion("e112", "emergency_112"),
)
NKOM = rule_set(
    Criterion("societal", "societal"),
    Criterion("sev", "severity", levels=("alvorlig", "kritisk")),
    jurisdiction="NO",
    regulator="nkom",
    severity_map={"critical": "kritisk", "major": "alvorlig"},
)


def engine(
    topology: Topology | None = None,
    *,
    rule_sets: Iterable[RuleSet] = (PTS, NKOM),
    stale_after: timedelta = timedelta(hours=2),
    **correlation: Any,
) -> Engine:
    """An engine over ``network()`` correlating by site, then by (alertname, cluster)."""
    settings: dict[str, Any] = {
        "ancestor_kind": "site",
        "key_labels": (("alertname", "cluster"),),
        "window": timedelta(minutes=10),
        "quiet_period": timedelta(minutes=30),
    }
    settings.update(correlation)
    return Engine(
        topology if topology is not None else network(),
        MappingRules(),
        CorrelationRules(**settings),
        list(rule_sets),
        stale_after,
    )


def deliver(eng: Engine, now: datetime, body: dict[str, Any]) -> set[str]:
    """Parse one webhook body received at ``now`` and apply it, as the service does."""
    delivery = parse_webhook(body, now)
    return eng.apply(delivery.episodes, now, {delivery.group_key: delivery.truncated_alerts})


def live(eng: Engine) -> dict[str, Any]:
    """Incidents not merged away, by id."""
    return {i: inc for i, inc in eng.incidents.items() if inc.merged_into is None}
