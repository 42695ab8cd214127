"""The configuration and the inventory it names, for the commands that read both."""

from __future__ import annotations

from bridge.config import LoadedConfig, load_config
from bridge.config.inventory import load_inventory
from bridge.core.topology import Topology


def load_with_inventory(path: str) -> tuple[LoadedConfig, Topology]:
    """The configuration at ``path`` and the inventory it names (with its service totals).
    Raises :class:`ConfigError` when either is invalid; nothing is printed."""
    loaded = load_config(path)
    inventory = loaded.config.inventory
    return loaded, load_inventory(inventory.path, inventory.service_totals)
