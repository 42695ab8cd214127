"""The core engine for a configuration: mapping and correlation rules, enabled rule sets."""

from __future__ import annotations

from bridge.config import LoadedConfig
from bridge.core.engine import Engine
from bridge.core.incidents import CorrelationRules
from bridge.core.mapping import MappingRules
from bridge.core.topology import Topology


def mapping_rules(loaded: LoadedConfig) -> MappingRules:
    """How alerts are placed in the inventory (``inventory.labels``)."""
    labels = loaded.config.inventory.labels
    return MappingRules(
        element_labels=tuple(labels.element),
        service=labels.service,
        region=labels.region,
        affected_connections=labels.affected_connections,
        jurisdiction=labels.jurisdiction,
        impact=labels.impact,
        severity=labels.severity,
        default_jurisdiction=loaded.config.inventory.default_jurisdiction,
    )


def correlation_rules(loaded: LoadedConfig) -> CorrelationRules:
    """How alerts are grouped into incidents (``correlation``)."""
    c = loaded.config.correlation
    return CorrelationRules(
        incident_label=c.incident_label,
        ancestor_kind=c.ancestor_kind,
        key_labels=tuple(tuple(k) for k in c.key_labels),
        window=c.window,
        quiet_period=c.quiet_period,
    )


def build_engine(loaded: LoadedConfig, topology: Topology) -> Engine:
    """An empty engine for this configuration and inventory."""
    return Engine(
        topology,
        mapping_rules(loaded),
        correlation_rules(loaded),
        [rs.to_core() for rs in loaded.enabled_rule_sets()],
        loaded.config.evaluation.stale_after,
    )
